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
import type { TrainConfig } from "../compiler/ir/config.ts";
import { createSession, type Session } from "../runtime/session.ts";
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

export interface TimingOptions {
  batch?: number;
  warmup?: number;
  steps?: number;
  seed?: number;
}

// One training step of the file's model: the compiled step on the same batch every time.
export async function timeNncStep(backend: "cpu" | "webgpu", options: TimingOptions = {}): Promise<NncStepTiming> {
  const { batch = 128, seed = 1 } = options;
  return timeNnc(backend, options, (session, config) => {
    // The same batch as bench/tfjs.ts draws: the inputs first, then the labels, from the same stream.
    const rng = Rng.derive(seed, "bench");
    const features = Float32Array.from({ length: batch * 784 }, () => rng.uniform());
    const targets = Int32Array.from({ length: batch }, () => rng.int(10));
    let t = 0;
    return async () => {
      t++;
      const scalars = stepScalars(session.programs.step, { step: t, lr: config.optimizer.lr, momentum: null });
      return (await session.backend.step({ features, targets, size: batch }, scalars, t)).loss;
    };
  }, batch);
}

// Inference: the prediction (logits) of a batch of `batch` digits, until it is back on the host.
export async function timeNncInference(backend: "cpu" | "webgpu", options: TimingOptions = {}): Promise<NncStepTiming> {
  const { batch = 1024, seed = 1 } = options;
  return timeNnc(backend, options, (session) => {
    const rng = Rng.derive(seed, "bench-inference");
    const features = Float32Array.from({ length: batch * 784 }, () => rng.uniform());
    return async () => (await session.backend.predict(features, batch, "prediction"))[0]!;
  }, batch);
}

// Builds examples/mnist_mlp.nn as `nnc run` does, then times `work` (made by `prepare`, returning
// a number to show it ran): the first call's end is the start-up time, then warm-up calls, then the
// timed ones.
async function timeNnc(
  backend: "cpu" | "webgpu",
  options: TimingOptions,
  prepare: (session: Session, config: TrainConfig) => () => Promise<number>,
  batch: number,
): Promise<NncStepTiming> {
  const { warmup = 5, steps = 30 } = options;
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const compiled = compile(readFileSync(MNIST_MLP, "utf8"), MNIST_MLP);
  const { model, config, trainGraph, evalGraph } = compiled;
  if (!model || !config || !trainGraph || !evalGraph || !model.loss) {
    throw new Error(`${MNIST_MLP} did not compile: ${compiled.diagnostics.map((d) => d.message).join("; ")}`);
  }
  const params = initializeParams(trainGraph.params, config.seed);
  const session = await createSession({ model, trainGraph, evalGraph }, config, { params, state: initializeState(trainGraph.state) }, { backend });
  const work = prepare(session, config);
  let last = await work();
  const startSeconds = (performance.now() - started) / 1000;
  for (let i = 1; i < warmup; i++) await work();
  let peakRss = process.memoryUsage().rss;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    last = await work();
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
    finalLoss: last,
    rssGrowthBytes: peakRss - rssBefore,
    paramBytes: params.reduce((total, p) => total + p.byteLength, 0),
    startSeconds,
    stats,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
