// The training step as IR (compiler/step/): the IR update of every optimizer matches the
// per-element oracle in runtime/train/optimizers step after step; building a step leaves the
// lowered graph untouched; clipping matches clip_grad_norm_.

import { describe, expect, it } from "vitest";
import { differentiate } from "../../compiler/autodiff/autodiff.ts";
import { compile } from "../../compiler/index.ts";
import type { OptimizerConfig } from "../../compiler/ir/config.ts";
import type { Graph } from "../../compiler/ir/graph.ts";
import { printGraph } from "../../compiler/ir/print.ts";
import { runPasses, STANDARD_PIPELINE } from "../../compiler/passes/index.ts";
import { buildStepGraph, stepScalars, type StepGraph } from "../../compiler/step/build.ts";
import { CpuProgram } from "../../runtime/cpu/executor.ts";
import type { Feeds } from "../../runtime/cpu/types.ts";
import { Rng } from "../../runtime/rng.ts";
import { clipGradNorm } from "../../runtime/train/clip.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { createOptimizer, type FirstOrderConfig } from "../../runtime/train/optimizers/index.ts";

const SOURCE = `
model tiny {
  input  x: [B, 3]
  target y: class[B] of 2
  h = dense(x, 4) |> tanh
  logits = dense(h, 2)
  loss cross_entropy(logits, y)
  regularize l2(1e-3)
}
`;

function trainGraph(): Graph {
  const compiled = compile(SOURCE, "tiny.nn");
  if (!compiled.trainGraph) throw new Error(compiled.diagnostics.map((d) => d.message).join("; "));
  return compiled.trainGraph;
}

const BATCH = 5;
function batch(step: number) {
  const rng = new Rng(100 + step);
  const x = Float32Array.from({ length: BATCH * 3 }, () => rng.normal());
  const y = Int32Array.from({ length: BATCH }, () => rng.int(2)); // class labels are i32
  return { x, y };
}

// Runs `steps` steps of the IR step graph and returns the parameters after them.
function runStepGraph(graph: Graph, step: StepGraph, steps: number, lrAt: (t: number) => number): Float32Array[] {
  const params = initializeParams(graph.params, 7);
  const state = initializeState(step.graph.state);
  const feeds: Feeds = {
    inputs: {},
    params: Object.fromEntries(step.graph.params.map((p, i) => [p.name, params[i]!])),
    state: Object.fromEntries(step.graph.state.map((s, i) => [s.name, state[i]!])),
  };
  const updates = [...step.graph.paramUpdates, ...step.graph.stateUpdates];
  const program = new CpuProgram(step.graph, updates.map((u) => u.node));
  for (let t = 1; t <= steps; t++) {
    const { x, y } = batch(t);
    feeds.inputs = { x, y };
    for (const [name, value] of Object.entries(stepScalars(step, { step: t, lr: lrAt(t), momentum: null }))) feeds.inputs[name] = Float32Array.of(value);
    const results = program.run(feeds, { B: BATCH }, 0);
    // Every update is computed from the old values, then all are written back.
    const copies = results.map((r) => Float32Array.from(r));
    updates.forEach((u, i) => {
      const target = feeds.params[u.name] ?? feeds.state[u.name];
      target!.set(copies[i]!);
    });
  }
  return params;
}

// The same steps with the gradients from the training graph and the per-element optimizer.
function runOracle(graph: Graph, config: FirstOrderConfig, clip: number | null, steps: number, lrAt: (t: number) => number): Float32Array[] {
  const params = initializeParams(graph.params, 7);
  const { graph: withGrads, grads } = differentiate(graph, graph.outputs.loss!, graph.params.map((p) => p.node));
  const program = new CpuProgram(withGrads, grads);
  const optimizer = createOptimizer(config, params.map((p) => p.length));
  const feeds: Feeds = { inputs: {}, params: Object.fromEntries(graph.params.map((p, i) => [p.name, params[i]!])), state: {} };
  for (let t = 1; t <= steps; t++) {
    const { x, y } = batch(t);
    feeds.inputs = { x, y };
    const g = program.run(feeds, { B: BATCH }, 0).map((r) => Float32Array.from(r));
    if (clip !== null) clipGradNorm(g, clip);
    optimizer.step(params, g, lrAt(t));
  }
  return params;
}

const base = { lr: 0.05, weight_decay: 0 };
const CONFIGS: Record<string, FirstOrderConfig> = {
  "sgd": { kind: "sgd", ...base, momentum: 0, dampening: 0, nesterov: false },
  "sgd with weight decay": { kind: "sgd", ...base, weight_decay: 0.01, momentum: 0, dampening: 0, nesterov: false },
  "sgd momentum, dampening": { kind: "sgd", ...base, momentum: 0.9, dampening: 0.1, nesterov: false },
  "sgd nesterov": { kind: "sgd", ...base, momentum: 0.9, dampening: 0, nesterov: true, weight_decay: 1e-3 },
  "adagrad": { kind: "adagrad", ...base, lr_decay: 0.01, eps: 1e-10, initial_accumulator_value: 0.1, weight_decay: 1e-3 },
  "rmsprop": { kind: "rmsprop", ...base, lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false },
  "rmsprop centered, momentum": { kind: "rmsprop", ...base, lr: 0.01, alpha: 0.9, eps: 1e-8, momentum: 0.5, centered: true, weight_decay: 1e-3 },
  "adam": { kind: "adam", ...base, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false },
  "adam amsgrad, weight decay": { kind: "adam", ...base, lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, amsgrad: true, weight_decay: 1e-2 },
  "adamw": { kind: "adamw", ...base, lr: 0.01, beta1: 0.8, beta2: 0.999, eps: 1e-8, amsgrad: false, weight_decay: 0.05 },
};

function maxRelativeError(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((arr, i) => arr.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i]![j]!) / Math.max(1e-3, Math.abs(b[i]![j]!))))));
  return worst;
}

describe("the IR update of every optimizer matches its per-element oracle", () => {
  const lrAt = (t: number) => 0.05 / (1 + 0.1 * t); // a changing rate, as a schedule gives
  for (const [name, config] of Object.entries(CONFIGS)) {
    for (const clip of [null, 0.05]) {
      it(`${name}${clip === null ? "" : ", clipped"}: 8 steps within 2e-5`, () => {
        const graph = trainGraph();
        const step = buildStepGraph(graph, { optimizer: { ...config, lr: lrAt(1) } as OptimizerConfig, clip_grad_norm: clip });
        const ir = runStepGraph(graph, step, 8, lrAt);
        const oracle = runOracle(graph, config, clip, 8, lrAt);
        expect(maxRelativeError(ir, oracle)).toBeLessThan(2e-5);
      });
    }
  }
});

describe("the step graph", () => {
  it("leaves the training graph it was built from untouched (differentiation is pure)", () => {
    const graph = trainGraph();
    const before = printGraph(graph);
    const first = buildStepGraph(graph, { optimizer: CONFIGS.adam!, clip_grad_norm: 1 });
    expect(printGraph(graph)).toBe(before);
    const second = buildStepGraph(graph, { optimizer: CONFIGS.adam!, clip_grad_norm: 1 });
    expect(printGraph(second.graph)).toBe(printGraph(first.graph));
  });

  it("names its optimizer slots as checkpoints do and its scalars as inputs", () => {
    const step = buildStepGraph(trainGraph(), { optimizer: CONFIGS.adam!, clip_grad_norm: null });
    expect(step.slots.map((s) => s.state)).toContain("optimizer.h.weight.exp_avg_sq");
    expect(step.graph.paramUpdates.map((u) => u.name)).toEqual(step.graph.params.map((p) => p.name));
    expect(step.graph.inputs.filter((i) => i.role === "scalar").map((i) => i.name)).toEqual(step.scalars);
    expect(step.graph.mode).toBe("step");
  });

  it("gives L-BFGS its gradients as outputs and no update", () => {
    const lbfgs: OptimizerConfig = { kind: "lbfgs", lr: 1, max_iter: 20, max_eval: 25, history_size: 100, tolerance_grad: 1e-7, tolerance_change: 1e-9, line_search: "none" };
    const step = buildStepGraph(trainGraph(), { optimizer: lbfgs, clip_grad_norm: null });
    expect(step.graph.paramUpdates).toEqual([]);
    expect(Object.keys(step.graph.outputs).filter((k) => k.startsWith("grad:"))).toHaveLength(4);
  });

  it("computes the same update after the standard passes, with fewer nodes", () => {
    const graph = trainGraph();
    const step = buildStepGraph(graph, { optimizer: CONFIGS["sgd nesterov"]!, clip_grad_norm: 0.5 });
    const optimized = { ...step, graph: runPasses(step.graph, STANDARD_PIPELINE) };
    expect(optimized.graph.nodes.length).toBeLessThan(step.graph.nodes.length);
    const lrAt = () => 0.05;
    expect(maxRelativeError(runStepGraph(graph, optimized, 5, lrAt), runStepGraph(graph, step, 5, lrAt))).toBe(0);
  });
});
