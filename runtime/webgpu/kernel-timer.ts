// One kernel of a plan, dispatched on its own on buffers of its real size filled with random
// values (buffers never written can read faster than real data), and timed by the wall clock
// from submit to `onSubmittedWorkDone` (lavapipe has no timestamp queries). The autotuner times
// matmul candidates with it; bench/webgpu-kernels.ts times every kernel of a step.

import { workgroupGrid, workgroups, type Kernel, type UniformLayout } from "../../compiler/codegen/wgsl/kernels.ts";
import { concreteShape, type Graph } from "../../compiler/ir/graph.ts";
import { Rng } from "../rng.ts";
import type { GpuContext } from "./device.ts";
import { pipelineFor } from "./pipelines.ts";

export interface KernelRunner {
  run(dispatches: number): Promise<number>; // milliseconds per dispatch
  destroy(): void;
}

// A kernel ready to dispatch on buffers of its real size, filled with random values.
export async function prepareKernel(gpu: GpuContext, graph: Graph, uniform: UniformLayout, kernel: Kernel, bindings: Record<string, number>): Promise<KernelRunner> {
  const { device } = gpu;
  const pipeline = await pipelineFor(device, kernel.code, kernel.name);
  const rng = new Rng(7);
  const owned: GPUBuffer[] = [];
  const entries: GPUBindGroupEntry[] = [];
  if (kernel.usesDims) {
    const { symbols, scalars } = uniform;
    const values = new Uint32Array(Math.ceil((symbols.length + 1 + scalars.length) / 4) * 4 || 4);
    symbols.forEach((s, i) => (values[i] = bindings[s]!));
    new Float32Array(values.buffer, (symbols.length + 1) * 4, scalars.length).fill(0.5);
    const dims = device.createBuffer({ size: values.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(dims, 0, values);
    owned.push(dims);
    entries.push({ binding: 0, resource: { buffer: dims } });
  }
  for (const id of [...kernel.reads, ...kernel.outputs]) {
    const size = concreteShape(graph.nodes[id]!.shape, bindings).reduce((a, b) => a * b, 1);
    const buffer = device.createBuffer({ size: Math.max(4, size * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buffer, 0, Float32Array.from({ length: Math.max(1, size) }, () => rng.uniform() * 2 - 1));
    owned.push(buffer);
    entries.push({ binding: entries.length, resource: { buffer } });
  }
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  const grid = workgroupGrid(workgroups(kernel, concreteShape(kernel.count, bindings)));
  return {
    async run(dispatches) {
      const start = performance.now();
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      for (let d = 0; d < dispatches; d++) pass.dispatchWorkgroups(grid[0], grid[1]);
      pass.end();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return (performance.now() - start) / dispatches;
    },
    destroy() {
      for (const buffer of owned) buffer.destroy();
    },
  };
}
