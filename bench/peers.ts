// The rows of `npm run bench`: every implementation of one training step of examples/mnist_mlp.nn
// (784 → 256 → 256 → 10 MLP, batch 128, Adam) that we compare. Each row runs in its own process
// (see run.ts), so its memory is its own. Adding a row is adding one entry here.

import { timeNncInference, timeNncStep } from "./nnc.ts";
import { timeTfjsInference, timeTfjsStep } from "./tfjs.ts";

// peer-child.ts prints a row's result after this marker; run.ts looks for it.
export const RESULT_MARKER = "NNC-BENCH-RESULT ";

export interface PeerResult {
  msPerStep: number; // median wall-clock time of one training step
  rssGrowthBytes: number; // resident memory growth from before the model was built to the peak while stepping
  peakRssBytes?: number; // the row's process's peak resident memory (filled in by peer-child.ts)
  note?: string; // anything a reader should know, e.g. the backend actually used
  plannedBytes?: number; // nnc only: the training program's planned buffer bytes (activations, gradients)
  firstStepSeconds?: number; // from building the model to the end of its first step (start-up)
}

export interface Peer {
  name: string;
  // "train": one training step at batch 128 (compared with nnc cpu); "infer": the prediction for
  // a batch of 1024 (compared with nnc cpu infer).
  kind: "train" | "infer";
  run: (options: { steps: number; warmup: number }) => Promise<PeerResult>;
}

// Ratios in the table are (this row's time) / (the baseline's time), so a peer's ratio above 1
// means nnc is that many times faster.
export const BASELINE = { train: "nnc cpu", infer: "nnc cpu infer" } as const;
export const BATCH = { train: 128, infer: 1024 } as const;

export const PEERS: Peer[] = [
  { name: "nnc cpu", kind: "train", run: (o) => nnc("cpu", o) },
  // nnc's fused step on WebGPU; on lavapipe (no GPU) it runs on the same CPU cores.
  { name: "nnc webgpu", kind: "train", run: (o) => nnc("webgpu", o) },
  { name: "tfjs cpu", kind: "train", run: (o) => tfjs("cpu", o) },
  { name: "tfjs wasm", kind: "train", run: (o) => tfjs("wasm", o) },
  // TensorFlow.js's WebGPU backend on the `webgpu` package (Dawn); without a GPU, Dawn's adapter
  // is Mesa's lavapipe, a software rasterizer on the same CPU cores, so this row says more about
  // lavapipe than about WebGPU. Its first steps compile the shaders (seconds on lavapipe), which
  // the warm-up absorbs.
  { name: "tfjs webgpu", kind: "train", run: (o) => tfjs("webgpu", o) },
  { name: "nnc cpu infer", kind: "infer", run: (o) => nncInfer("cpu", o) },
  { name: "nnc webgpu infer", kind: "infer", run: (o) => nncInfer("webgpu", o) },
  { name: "tfjs wasm infer", kind: "infer", run: (o) => tfjsInfer("wasm", o) },
  { name: "tfjs webgpu infer", kind: "infer", run: (o) => tfjsInfer("webgpu", o) },
];

async function nncInfer(backend: "cpu" | "webgpu", options: { steps: number; warmup: number }): Promise<PeerResult> {
  const timing = await timeNncInference(backend, options);
  return { msPerStep: timing.msPerStep, rssGrowthBytes: timing.rssGrowthBytes, firstStepSeconds: timing.startSeconds, note: `nnc ${backend} prediction` };
}

async function tfjsInfer(backend: "wasm" | "webgpu", options: { steps: number; warmup: number }): Promise<PeerResult> {
  const timing = await timeTfjsInference(backend, options);
  return {
    msPerStep: timing.msPerStep,
    rssGrowthBytes: timing.rssGrowthBytes,
    firstStepSeconds: timing.firstStepSeconds,
    note: `TensorFlow.js ${timing.backend}${timing.adapter ? ` on ${timing.adapter}` : ""}`,
  };
}

async function tfjs(backend: "cpu" | "wasm" | "webgpu", options: { steps: number; warmup: number }): Promise<PeerResult> {
  const timing = await timeTfjsStep(backend, options);
  return {
    msPerStep: timing.msPerStep,
    rssGrowthBytes: timing.rssGrowthBytes,
    firstStepSeconds: timing.firstStepSeconds,
    note: `TensorFlow.js ${timing.backend}${timing.adapter ? ` on ${timing.adapter}` : ""}, loss ${timing.finalLoss.toFixed(3)}`,
  };
}

async function nnc(backend: "cpu" | "webgpu", options: { steps: number; warmup: number }): Promise<PeerResult> {
  const timing = await timeNncStep(backend, options);
  const planned = Number(timing.stats.plannedBytes);
  const tuning = timing.stats.tuning ? ` (${timing.stats.tuning})` : "";
  const gpu = backend === "webgpu" ? `${tuning}, ${timing.stats.dispatches} dispatches and ${timing.stats.submits} submit per step on ${timing.stats.adapter}` : "";
  return {
    msPerStep: timing.msPerStep,
    rssGrowthBytes: timing.rssGrowthBytes,
    plannedBytes: planned,
    firstStepSeconds: timing.startSeconds,
    note: `nnc ${backend} step + Adam, loss ${timing.finalLoss.toFixed(3)}, planned buffers ${(planned / 2 ** 20).toFixed(2)} MiB + weights ${(timing.paramBytes / 2 ** 20).toFixed(2)} MiB, first step after ${timing.startSeconds.toFixed(1)} s${gpu}`,
  };
}
