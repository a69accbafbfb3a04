// nnc's side of the benchmark: examples/mnist_mlp.nn built exactly as a user's program would build
// it (compile the file, initialize the weights from the file's seed, a CpuTrainer and the file's
// optimizer), and one training step timed: forwardBackward (forward, loss and every gradient in
// one CpuProgram run) followed by the optimizer's step (Adam, lr 1e-3), on the same seeded random
// batch as the TensorFlow.js rows (784 pixels in [0, 1), labels 0..9).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compile } from "../compiler/index.ts";
import type { CpuProgram } from "../runtime/cpu/executor.ts";
import { Rng } from "../runtime/rng.ts";
import { CpuTrainer } from "../runtime/train/cpu-trainer.ts";
import { initializeParams, initializeState } from "../runtime/train/init.ts";
import { createOptimizer } from "../runtime/train/optimizers/index.ts";

export interface NncStepTiming {
  msPerStep: number; // median
  msMin: number;
  msMax: number;
  steps: number;
  finalLoss: number;
  rssGrowthBytes: number; // from before compiling the file to the highest value seen between steps
  plannedBytes: number; // the training CpuProgram's planned buffers for B = batch
  paramBytes: number; // the weights themselves (fed to the program, not in its plan)
}

export const MNIST_MLP = fileURLToPath(new URL("../examples/mnist_mlp.nn", import.meta.url));

export function timeNncCpuStep(options: { batch?: number; warmup?: number; steps?: number; seed?: number } = {}): NncStepTiming {
  const { batch = 128, warmup = 5, steps = 30, seed = 1 } = options;
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;

  const compiled = compile(readFileSync(MNIST_MLP, "utf8"), MNIST_MLP);
  const { model, config, trainGraph, evalGraph } = compiled;
  if (!model || !config || !trainGraph || !evalGraph || !model.loss) {
    throw new Error(`${MNIST_MLP} did not compile: ${compiled.diagnostics.map((d) => d.message).join("; ")}`);
  }
  const params = initializeParams(trainGraph.params, config.seed);
  const state = initializeState(trainGraph.state);
  const trainer = new CpuTrainer({ trainGraph, evalGraph, loss: model.loss.kind, reduction: model.loss.reduction }, params, state);
  const optimizerConfig = config.optimizer;
  if (optimizerConfig.kind === "lbfgs") throw new Error("the benchmark times a first-order optimizer's step");
  const optimizer = createOptimizer(optimizerConfig, params.map((p) => p.length));
  const lr = optimizerConfig.lr;

  // The same batch as bench/tfjs.ts draws: the inputs first, then the labels, from the same stream.
  const rng = Rng.derive(seed, "bench");
  const features = Float32Array.from({ length: batch * 784 }, () => rng.uniform());
  const targets = Float32Array.from({ length: batch }, () => rng.int(10));

  let finalLoss = NaN;
  const step = (i: number): void => {
    const result = trainer.forwardBackward(features, targets, batch, i, true);
    optimizer.step(params, result.grads, lr);
    finalLoss = result.loss;
  };

  for (let i = 0; i < warmup; i++) step(i);
  let peakRss = process.memoryUsage().rss;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    step(warmup + i);
    times.push(performance.now() - start);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  // The training program is private to the trainer; its plan's size is what nnc allocates per
  // batch size (activations, gradients), reported by `nnc compile --stats` too.
  const program = (trainer as unknown as { trainProgram: CpuProgram }).trainProgram;
  return {
    msPerStep: median(times),
    msMin: Math.min(...times),
    msMax: Math.max(...times),
    steps,
    finalLoss,
    rssGrowthBytes: peakRss - rssBefore,
    plannedBytes: program.plannedBytes({ B: batch }),
    paramBytes: params.reduce((total, p) => total + p.byteLength, 0),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
