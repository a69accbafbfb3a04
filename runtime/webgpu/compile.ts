// Compiling a graph into a program for this device: the matmul variants chosen (autotune.ts), the
// kernels, dispatches and places planned (compiler/codegen/wgsl/dispatches.ts) for the device's
// limits. This is the compiler's side of the WebGPU backend: a generated module holds programs
// compiled ahead of time instead, and the backend runs either through a ProgramSource.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import { compiledProgram, planProgram, type CompiledProgram, type ResidentPlace } from "../../compiler/codegen/wgsl/dispatches.ts";
import type { Graph, IRNode } from "../../compiler/ir/graph.ts";
import { chooseMatmulVariants, type TuneOptions, type TuningReport } from "./autotune.ts";
import type { ProgramRequest, ProgramSource } from "./backend.ts";
import type { GpuContext } from "./device.ts";
import { GpuProgram } from "./program.ts";

export interface ProgramSpec {
  read: number[]; // nodes whose values come back from a run
  // Node values written into resident tensors (parameter and state updates).
  updates?: { node: number; target: ResidentPlace }[];
  // Where a param or state source lives in the resident arenas (null: feed it every run).
  resident?: (source: IRNode) => ResidentPlace | null;
  // How matmuls are computed (autotune.ts): "auto" (the default, unless the NNC_MATMUL environment
  // variable says otherwise), "tune", "default", or a variant's name.
  matmul?: string;
  tuneBindings?: Record<string, number>; // the symbolic dims to tune at (default 128 each)
}

export interface Compiled {
  program: CompiledProgram;
  tuning: TuningReport;
  // Times the matmul shapes this program took the default variant for ("auto"), for later
  // programs, which find the choices in the cache; null when nothing was pending.
  tunePending(budgetSeconds: number): Promise<TuningReport | null>;
}

export async function compileProgram(gpu: GpuContext, graph: Graph, spec: ProgramSpec): Promise<Compiled> {
  const updates = spec.updates ?? [];
  const outputs = [...spec.read, ...updates.map((u) => u.node)];
  for (const id of outputs) if (!graph.nodes[id]) throw new InternalError(`no IR node ${id} to compute`);
  const { limits } = gpu.device;
  const maxStorageBuffers = limits.maxStorageBuffersPerShaderStage;
  const options: TuneOptions = { matmul: spec.matmul, bindings: spec.tuneBindings, maxStorageBuffers };
  const { variantOf, report } = await chooseMatmulVariants(gpu, graph, outputs, options);
  const programSpec = { read: spec.read, updates, resident: spec.resident ?? (() => null), maxBindingElements: Math.floor(limits.maxStorageBufferBindingSize / 4) };
  const plan = planProgram(graph, programSpec, { maxStorageBuffers, matmulVariant: variantOf });
  return {
    program: compiledProgram(graph, plan, programSpec),
    tuning: report,
    async tunePending(budgetSeconds) {
      if (!report.matmuls.some((m) => m.source === "pending")) return null;
      return (await chooseMatmulVariants(gpu, graph, outputs, { ...options, matmul: "tune", budgetSeconds })).report;
    },
  };
}

// Compile and load in one: a program on its own buffers (tests, the benchmark), or on resident
// arenas.
export async function createProgram(gpu: GpuContext, graph: Graph, spec: ProgramSpec | number[], resident: GPUBuffer[] = []): Promise<GpuProgram> {
  const compiled = await compileProgram(gpu, graph, Array.isArray(spec) ? { read: spec } : spec);
  return GpuProgram.load(gpu, compiled.program, { resident, tuning: compiled.tuning });
}

// The backend's programs compiled on this device from the model's graphs, remembering which
// matmul shapes took the default variant untimed, to time them after the run.
export function compilingSource(gpu: GpuContext): ProgramSource {
  const compiled: Compiled[] = [];
  return {
    async program(request: ProgramRequest) {
      const c = await compileProgram(gpu, request.graph, { read: request.read, updates: request.updates, resident: request.resident });
      compiled.push(c);
      return { program: c.program, tuning: c.tuning };
    },
    async tunePending(budgetSeconds) {
      const started = performance.now();
      const reports: TuningReport[] = [];
      for (const c of compiled) {
        const left = budgetSeconds - (performance.now() - started) / 1000;
        const report = left > 0 ? await c.tunePending(left) : null;
        if (report) reports.push(report);
      }
      if (reports.length === 0) return null;
      const timed = new Set(reports.flatMap((r) => r.matmuls.filter((m) => m.source === "timed").map((m) => m.shape)));
      const left = new Set(reports.flatMap((r) => r.matmuls.filter((m) => m.source === "pending").map((m) => m.shape)));
      const seconds = (performance.now() - started) / 1000;
      const rest = left.size ? `; ${left.size} left for a later run` : "";
      return `timed the matmul variants of ${timed.size} shape${timed.size === 1 ? "" : "s"} for the next run in ${seconds.toFixed(1)} s (cached in ${reports[0]!.cache})${rest}`;
    },
  };
}
