// How long the adapter takes to compile each dispatch of examples/mnist_mlp.nn's training step at
// its first dispatch (lavapipe compiles there): run with MESA_SHADER_CACHE_DIR pointing at an
// empty folder for cold figures.
//
//   node --import tsx bench/compile-times.ts
import { readFileSync } from "node:fs";
import { compile } from "../compiler/index.ts";
import { compilePrograms } from "../runtime/session.ts";
import { adapterName, openGpu } from "../runtime/webgpu/device.ts";
import { compileProgram } from "../runtime/webgpu/compile.ts";
import { GpuProgram } from "../runtime/webgpu/program.ts";
import { MNIST_MLP } from "./nnc.ts";

const t0 = performance.now();
const compiled = compile(readFileSync(MNIST_MLP, "utf8"), MNIST_MLP);
const programs = compilePrograms({ model: compiled.model!, trainGraph: compiled.trainGraph!, evalGraph: compiled.evalGraph! }, compiled.config!);
const graph = programs.step.graph;
const t1 = performance.now();
const gpu = await openGpu({ allowSoftware: true });
const t2 = performance.now();
const outputs = [graph.outputs.loss!, ...graph.paramUpdates.map((u) => u.node), ...graph.stateUpdates.map((u) => u.node)];
const { program } = await compileProgram(gpu, graph, { read: outputs });
const t3 = performance.now();
const loaded = await GpuProgram.load(gpu, program);
const t4 = performance.now();
console.log(`${adapterName(gpu.adapter)}: nnc compile ${(t1 - t0).toFixed(0)} ms, open gpu ${(t2 - t1).toFixed(0)} ms, plan ${(t3 - t2).toFixed(0)} ms, pipelines ${(t4 - t3).toFixed(0)} ms`);
const plan = (loaded as any).planFor({ B: 128 });
let total = 0;
for (const [k, d] of plan.dispatches.entries()) {
  const started = performance.now();
  const encoder = gpu.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(d.pipeline);
  pass.setBindGroup(0, d.bindGroup);
  pass.dispatchWorkgroups(d.grid[0], d.grid[1]);
  pass.end();
  gpu.device.queue.submit([encoder.finish()]);
  await gpu.device.queue.onSubmittedWorkDone();
  const ms = performance.now() - started;
  total += ms;
  const code = program.dispatches[k]!;
  console.log(`${ms.toFixed(0).padStart(6)} ms  ${code.name}  (${code.code.length} chars)`);
}
console.log(`${total.toFixed(0)} ms in first dispatches`);
gpu.destroy();
process.exit(0);
