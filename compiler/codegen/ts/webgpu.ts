// A model's WebGPU programs compiled ahead of time, for a generated module: every program the
// backend may ask for (runtime/webgpu/resident.ts: the step, the evaluation, L-BFGS's gradient,
// each output's prediction), requested exactly as the backend requests them and planned exactly as
// runtime/webgpu/compile.ts plans them on a device, for WebGPU's default limits, which every
// adapter has: storage bindings of 128 MiB and 8 storage buffers per kernel. The matmuls take one
// variant everywhere, a blocked one by default, since nothing can be timed here and subgroup sizes
// differ between adapters.

import { compiledProgram, planProgram, type CompiledProgram } from "../wgsl/dispatches.ts";
import { parseVariant, variantName, type MatmulVariant } from "../wgsl/matmul.ts";
import type { ModelPrograms } from "../../step/programs.ts";
import { programKeys, programRequest, residentLayout, type ProgramKey } from "../../../runtime/webgpu/resident.ts";
import type { WebGpuPrograms } from "../../../runtime/model/spec.ts";

// WebGPU's default maxStorageBufferBindingSize (128 MiB) in f32 elements, and its default
// maxStorageBuffersPerShaderStage.
export const DEFAULT_BINDING_ELEMENTS = 2 ** 27 / 4;
export const DEFAULT_STORAGE_BUFFERS = 8;
export const PORTABLE_MATMUL = "blocked8x4";

// The matmul variant of a name, when every adapter can run it (naive or blocked; a subgroup
// variant needs an adapter with that subgroup size); null otherwise.
export function portableVariant(name: string): MatmulVariant | null {
  const variant = parseVariant(name);
  return variant && variant.kind !== "subgroup" ? variant : null;
}

export function compileForWebGpu(programs: ModelPrograms, outputs: string[], matmul: MatmulVariant): WebGpuPrograms {
  const layout = residentLayout(programs, DEFAULT_BINDING_ELEMENTS);
  const compiled: Partial<Record<ProgramKey, CompiledProgram>> = {};
  for (const key of programKeys(programs, outputs)) {
    const request = programRequest(programs, layout, key);
    const spec = { read: request.read, updates: request.updates, resident: request.resident, maxBindingElements: DEFAULT_BINDING_ELEMENTS };
    const plan = planProgram(request.graph, spec, { maxStorageBuffers: DEFAULT_STORAGE_BUFFERS, matmulVariant: () => matmul });
    compiled[key] = compiledProgram(request.graph, plan, spec);
  }
  return { maxArenaElements: DEFAULT_BINDING_ELEMENTS, matmul: variantName(matmul), programs: compiled };
}
