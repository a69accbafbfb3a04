// How long the adapter takes to compile each dispatch of examples/mnist_mlp.nn's training step:
// lavapipe compiles a shader at its first dispatch, so each dispatch is run alone once and timed.
// Point MESA_SHADER_CACHE_DIR at an empty folder for cold figures; NNC_MATMUL picks the matmul
// variants (default: the untimed ones, what a cold start gets).
//
//   MESA_SHADER_CACHE_DIR=$(mktemp -d) node --import tsx bench/compile-times.ts

import { readFileSync } from "node:fs";
import { compile } from "../compiler/index.ts";
import { compilePrograms } from "../runtime/session.ts";
import { adapterName, openGpu } from "../runtime/webgpu/device.ts";
import { compileProgram } from "../runtime/webgpu/compile.ts";
import { GpuProgram } from "../runtime/webgpu/program.ts";
import { MNIST_MLP } from "./nnc.ts";

process.env.NNC_MATMUL ||= "default";
const compiled = compile(readFileSync(MNIST_MLP, "utf8"), MNIST_MLP);
const programs = compilePrograms({ model: compiled.model!, trainGraph: compiled.trainGraph!, evalGraph: compiled.evalGraph! }, compiled.config!);
const graph = programs.step.graph;
const gpu = await openGpu({ allowSoftware: true });
const started = performance.now();
const outputs = [graph.outputs.loss!, ...graph.paramUpdates.map((u) => u.node), ...graph.stateUpdates.map((u) => u.node)];
const { program } = await compileProgram(gpu, graph, { read: outputs });
const loaded = await GpuProgram.load(gpu, program);
console.log(`${adapterName(gpu.adapter)}: planned and pipelines made in ${(performance.now() - started).toFixed(0)} ms`);
let total = 0;
for (const [k, dispatch] of program.dispatches.entries()) {
  const ms = await loaded.timeDispatch(k, { B: 128 });
  total += ms;
  console.log(`${ms.toFixed(0).padStart(6)} ms  ${dispatch.name}  (${dispatch.code.length} characters of WGSL)`);
}
console.log(`${total.toFixed(0)} ms in first dispatches`);
gpu.destroy();
process.exit(0);
