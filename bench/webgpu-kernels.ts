// Every kernel of examples/mnist_mlp.nn's training step on the WebGPU adapter, timed on its own
// (not merged into the step's dispatches)
// (runtime/webgpu/kernel-timer.ts): what each costs per step, and each matmul's variant with the
// autotuner's figures for the other candidates. For finding where a step's time goes; the step
// itself is timed by `npm run bench`.
//
//   node --import tsx bench/webgpu-kernels.ts [--batch 128] [--rounds 5]
// NNC_MATMUL=naive (or any variant) times the step with that variant instead of the tuned ones.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { compile } from "../compiler/index.ts";
import { compilePrograms } from "../runtime/session.ts";
import { adapterName, openGpu } from "../runtime/webgpu/device.ts";
import { planKernels } from "../compiler/codegen/wgsl/kernels.ts";
import { chooseMatmulVariants } from "../runtime/webgpu/autotune.ts";
import { prepareKernel } from "../runtime/webgpu/kernel-timer.ts";
import { MNIST_MLP } from "./nnc.ts";

const { values } = parseArgs({ options: { batch: { type: "string", default: "128" }, rounds: { type: "string", default: "5" } } });
const batch = Number(values.batch);
const rounds = Number(values.rounds);

const compiled = compile(readFileSync(MNIST_MLP, "utf8"), MNIST_MLP);
const programs = compilePrograms({ model: compiled.model!, trainGraph: compiled.trainGraph!, evalGraph: compiled.evalGraph! }, compiled.config!);
const graph = programs.step.graph;
const outputs = [graph.outputs.loss!, ...graph.paramUpdates.map((u) => u.node), ...graph.stateUpdates.map((u) => u.node)];
const gpu = await openGpu({ allowSoftware: true });
const bindings = Object.fromEntries(graph.inputs.flatMap((i) => i.shape.filter((d): d is string => typeof d === "string").map((d) => [d, batch])));
const started = performance.now();
const maxStorageBuffers = gpu.device.limits.maxStorageBuffersPerShaderStage;
const { variantOf, report: tuning } = await chooseMatmulVariants(gpu, graph, outputs, { bindings, maxStorageBuffers });
const plan = planKernels(graph, outputs, { maxStorageBuffers, matmulVariant: variantOf });
console.log(`${adapterName(gpu.adapter)}, batch ${batch}; kernels planned in ${((performance.now() - started) / 1000).toFixed(1)} s, ${tuning.seconds.toFixed(1)} s of it tuning`);

const runners = [];
for (const kernel of plan.kernels) runners.push(await prepareKernel(gpu, graph, plan.uniform, kernel, bindings));
const best = runners.map(() => Infinity);
for (const runner of runners) await runner.run(1); // compiles on lavapipe
for (let round = 0; round < rounds; round++) for (let k = 0; k < runners.length; k++) best[k] = Math.min(best[k]!, await runners[k]!.run(3));
for (const runner of runners) runner.destroy();

const choices = new Map(tuning.matmuls.map((m) => [m.node, m]));
const rows = plan.kernels.map((kernel, k) => {
  const choice = kernel.nodes.map((id) => choices.get(id)).find((c) => c !== undefined);
  const others = choice && Object.keys(choice.ms).length ? ` (tuned: ${Object.entries(choice.ms).map(([name, ms]) => `${name} ${ms.toFixed(2)}`).join(", ")})` : "";
  return `${best[k]!.toFixed(3).padStart(8)} ms  ${kernel.name}${choice ? ` — ${choice.shape}, ${choice.variant}${others}` : ""}`;
});
console.log(rows.join("\n"));
const total = best.reduce((a, b) => a + b, 0);
const matmuls = plan.kernels.reduce((sum, kernel, k) => sum + (kernel.nodes.some((id) => choices.has(id)) ? best[k]! : 0), 0);
console.log(`${total.toFixed(2)} ms over ${plan.kernels.length} kernels (each dispatched on its own), ${matmuls.toFixed(2)} ms of it in the ${choices.size} matmul kernels`);
gpu.destroy();
process.exit(0);
