// nnc's side of the benchmark: examples/mnist_mlp.nn built exactly as `nnc run` builds it (compile
// the file, initialize the weights from the file's seed, open a session on a backend) and one
// training step timed: the compiled step (forward, loss, gradients, Adam's update, metrics) on the
// same seeded random batch as the TensorFlow.js rows (784 pixels in [0, 1), labels 0..9), until its
// loss is back on the host.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compile } from "../compiler/index.ts";
import { stepScalars } from "../compiler/step/build.ts";
import { Rng } from "../runtime/rng.ts";
import { createSession } from "../runtime/session.ts";
import { initializeParams, initializeState } from "../runtime/train/init.ts";

export interface NncStepTiming {
  msPerStep: number; // median
  msMin: number;
  msMax: number;
  steps: number;
  finalLoss: number;
  rssGrowthBytes: number; // from before compiling the file to the highest value seen between steps
  paramBytes: number; // the weights themselves
  startSeconds: number; // from compiling the file to the end of the first step (shader compilation included)
  stats: Record<string, number | string>; // the backend's own figures (planned bytes, dispatches, adapter)
}

export const MNIST_MLP = fileURLToPath(new URL("../examples/mnist_mlp.nn", import.meta.url));

export async function timeNncStep(backend: "cpu" | "webgpu", options: { batch?: number; warmup?: number; steps?: number; seed?: number } = {}): Promise<NncStepTiming> {
  const { batch = 128, warmup = 5, steps = 30, seed = 1 } = options;
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();

  const compiled = compile(readFileSync(MNIST_MLP, "utf8"), MNIST_MLP);
  const { model, config, trainGraph, evalGraph } = compiled;
  if (!model || !config || !trainGraph || !evalGraph || !model.loss) {
    throw new Error(`${MNIST_MLP} did not compile: ${compiled.diagnostics.map((d) => d.message).join("; ")}`);
  }
  const params = initializeParams(trainGraph.params, config.seed);
  const state = initializeState(trainGraph.state);
  const session = await createSession({ model, trainGraph, evalGraph }, config, { params, state }, { backend });
  const lr = config.optimizer.lr;

  // The same batch as bench/tfjs.ts draws: the inputs first, then the labels, from the same stream.
  const rng = Rng.derive(seed, "bench");
  const features = Float32Array.from({ length: batch * 784 }, () => rng.uniform());
  const targets = Float32Array.from({ length: batch }, () => rng.int(10));

  let finalLoss = NaN;
  let t = 0;
  const step = async (): Promise<void> => {
    t++;
    const result = await session.backend.step({ features, targets, size: batch }, stepScalars(session.programs.step, { step: t, lr, momentum: null }), t);
    finalLoss = result.loss;
  };

  await step();
  const startSeconds = (performance.now() - started) / 1000;
  for (let i = 1; i < warmup; i++) await step();
  let peakRss = process.memoryUsage().rss;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await step();
    times.push(performance.now() - start);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const stats = session.backend.stats(batch);
  session.dispose();
  return {
    msPerStep: median(times),
    msMin: Math.min(...times),
    msMax: Math.max(...times),
    steps,
    finalLoss,
    rssGrowthBytes: peakRss - rssBefore,
    paramBytes: params.reduce((total, p) => total + p.byteLength, 0),
    startSeconds,
    stats,
  };
}

// Inference: the prediction (logits) of a batch of `batch` digits, until it is back on the host.
export async function timeNncInference(backend: "cpu" | "webgpu", options: { batch?: number; warmup?: number; steps?: number; seed?: number } = {}): Promise<NncStepTiming> {
  const { batch = 1024, warmup = 5, steps = 30, seed = 1 } = options;
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const compiled = compile(readFileSync(MNIST_MLP, "utf8"), MNIST_MLP);
  const { model, config, trainGraph, evalGraph } = compiled;
  if (!model || !config || !trainGraph || !evalGraph || !model.loss) throw new Error(`${MNIST_MLP} did not compile`);
  const params = initializeParams(trainGraph.params, config.seed);
  const session = await createSession({ model, trainGraph, evalGraph }, config, { params, state: initializeState(trainGraph.state) }, { backend });
  const rng = Rng.derive(seed, "bench-inference");
  const features = Float32Array.from({ length: batch * 784 }, () => rng.uniform());
  let last: Float32Array = new Float32Array(0);
  const predict = async () => {
    last = await session.backend.predict(features, batch, "prediction");
  };
  await predict();
  const startSeconds = (performance.now() - started) / 1000;
  for (let i = 1; i < warmup; i++) await predict();
  let peakRss = process.memoryUsage().rss;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    await predict();
    times.push(performance.now() - start);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  session.dispose();
  return {
    msPerStep: median(times),
    msMin: Math.min(...times),
    msMax: Math.max(...times),
    steps,
    finalLoss: last[0] ?? NaN,
    rssGrowthBytes: peakRss - rssBefore,
    paramBytes: params.reduce((total, p) => total + p.byteLength, 0),
    startSeconds,
    stats: {},
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
