// Step parity: one whole training step of every example (forward, loss, gradients, clipping and
// the optimizer's update) on WebGPU against the CPU runtime, from the same weights and batch. Each
// program goes through JSON between compiling and loading, as a generated module holds it.

import { readdirSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { matmulCandidates, variantName } from "../../compiler/codegen/wgsl/matmul.ts";
import { compile } from "../../compiler/index.ts";
import { runPasses, STANDARD_PIPELINE } from "../../compiler/passes/index.ts";
import { buildStepGraph, stepScalars } from "../../compiler/step/build.ts";
import { CpuProgram } from "../../runtime/cpu/executor.ts";
import type { Feeds } from "../../runtime/cpu/types.ts";
import { Rng } from "../../runtime/rng.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { compileProgram } from "../../runtime/webgpu/compile.ts";
import { GpuProgram } from "../../runtime/webgpu/program.ts";
import { testGpu } from "./gpu.ts";

const gpu = await testGpu();
afterAll(() => gpu?.destroy());

const examples = readdirSync("examples").filter((f) => f.endsWith(".nn"));

describe.skipIf(!gpu)("one training step on WebGPU matches the CPU runtime", () => {
  for (const file of examples) it(file, () => stepParity(file));
});

// The MLP's step has every kind of fused matmul (bias and ReLU forward, g · step(x) backward,
// Aᵀ·G for the weight gradients); each variant the adapter offers computes all of them.
const variants = gpu ? matmulCandidates({ subgroupSize: gpu.adapter.subgroupSize }).map(variantName) : [];
describe.skipIf(!gpu)("the MLP's training step under every matmul variant", () => {
  for (const variant of variants) it(`mnist_mlp.nn, ${variant}`, () => stepParity("mnist_mlp.nn", variant));
});

async function stepParity(file: string, matmul?: string): Promise<void> {
  const compiled = compile(readFileSync(`examples/${file}`, "utf8"), `examples/${file}`);
  const { trainGraph, config } = compiled;
  if (!trainGraph || !config) throw new Error(`${file} does not compile`);
  const step = buildStepGraph(trainGraph, config);
  const graph = runPasses(step.graph, STANDARD_PIPELINE);
  const batch = 6;
  const bindings = Object.fromEntries(graph.inputs.flatMap((i) => i.shape.filter((d): d is string => typeof d === "string").map((d) => [d, batch])));
  const rng = new Rng(3);
  const inputs: Feeds["inputs"] = {};
  for (const input of graph.inputs) {
    const size = input.shape.reduce<number>((n, d) => n * (typeof d === "number" ? d : batch), 1);
    inputs[input.name] =
      input.role === "scalar"
        ? Float32Array.of(0)
        : input.dtype === "i32" ? Int32Array.from({ length: size }, () => rng.int(input.classes!)) : Float32Array.from({ length: size }, () => rng.uniform() * 2 - 1);
  }
  Object.entries(stepScalars(step, { step: 3, lr: config.optimizer.lr, momentum: null })).forEach(([name, value]) => (inputs[name] = Float32Array.of(value)));
  const params = initializeParams(graph.params, 1);
  const state = initializeState(graph.state).map((s) => s.map(() => rng.uniform() * 0.01 + (s[0] === 1 ? 1 : 0)));
  const feeds: Feeds = {
    inputs,
    params: Object.fromEntries(graph.params.map((p, i) => [p.name, params[i]!])),
    state: Object.fromEntries(graph.state.map((s, i) => [s.name, state[i]!])),
  };
  const outputs = [graph.outputs.loss!, ...graph.paramUpdates.map((u) => u.node), ...graph.stateUpdates.map((u) => u.node)];
  const expected = new CpuProgram(graph, outputs).run(feeds, bindings, 0).map((r) => Float32Array.from(r));
  const { program: compiledProgram } = await compileProgram(gpu!, graph, { read: outputs, matmul });
  const program = await GpuProgram.load(gpu!, JSON.parse(JSON.stringify(compiledProgram)));
  const actual = await program.run(feeds, bindings);
  program.destroy();
  let worst = 0;
  expected.forEach((e, k) => e.forEach((v, i) => (worst = Math.max(worst, Math.abs(actual[k]![i]! - v) / Math.max(1, Math.abs(v))))));
  expect(worst).toBeLessThan(1e-5);
}
