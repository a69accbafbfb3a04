// The rows of `npm run bench`: every implementation of one training step of examples/mnist_mlp.nn
// (784 → 256 → 256 → 10 MLP, batch 128, Adam) that we compare. Each row runs in its own process
// (see run.ts), so its memory is its own. Adding a row is adding one entry here.

import { timeTfjsStep } from "./tfjs.ts";

// peer-child.ts prints a row's result after this marker; run.ts looks for it.
export const RESULT_MARKER = "NNC-BENCH-RESULT ";

export interface PeerResult {
  msPerStep: number; // median wall-clock time of one training step
  rssGrowthBytes: number; // resident memory growth from before the model was built to the peak while stepping
  peakRssBytes?: number; // the row's process's peak resident memory (filled in by peer-child.ts)
  note?: string; // anything a reader should know, e.g. the backend actually used
}

export interface Peer {
  name: string;
  run: (options: { steps: number; warmup: number }) => Promise<PeerResult>;
}

// Ratios in the table are (this row's time) / (the baseline's time), so a peer's ratio above 1
// means nnc is that many times faster.
export const BASELINE = "nnc cpu";

export const PEERS: Peer[] = [
  // ── nnc's rows go here (the lead wires the CPU runtime's step time), e.g.
  // { name: "nnc cpu", run: (o) => timeNncStep("cpu", o) },
  { name: "tfjs cpu", run: (o) => tfjs("cpu", o) },
  { name: "tfjs wasm", run: (o) => tfjs("wasm", o) },
];

async function tfjs(backend: "cpu" | "wasm", options: { steps: number; warmup: number }): Promise<PeerResult> {
  const timing = await timeTfjsStep(backend, options);
  return { msPerStep: timing.msPerStep, rssGrowthBytes: timing.rssGrowthBytes, note: `TensorFlow.js ${timing.backend}, loss ${timing.finalLoss.toFixed(3)}` };
}
