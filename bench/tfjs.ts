// The peers' side of the benchmark: the MLP of examples/mnist_mlp.nn (784 → 256 ReLU → 256 ReLU →
// 10, softmax cross-entropy on the logits, Adam lr 1e-3, batch 128) built in TensorFlow.js with
// its pure-JavaScript CPU backend or its WebAssembly backend, and one training step timed:
// forward, backward and the Adam update, as optimizer.minimize does them.
//
// Both backends run synchronously on the calling thread, so the time around minimize() plus a
// read of the loss (one float) is the step's whole cost. Warm-up steps run first (kernel set-up,
// WebAssembly compilation, the optimizer's slots), then the median of the timed steps is reported.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
// The union package registers every op's gradient (tfjs-core alone registers none) and the CPU
// backend; the WebAssembly backend is a package of its own.
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { Rng } from "../runtime/rng.ts";

export type TfjsBackend = "cpu" | "wasm" | "webgpu";

export interface StepTimingOptions {
  batch?: number; // 128, as mnist_mlp.nn
  warmup?: number; // untimed steps first
  steps?: number; // timed steps; the median is reported
  seed?: number; // for the initial weights and the batch
}

export interface StepTiming {
  backend: string; // what TensorFlow.js reports it runs on, e.g. "wasm"
  adapter?: string; // webgpu: the adapter Dawn found, e.g. "llvmpipe (LLVM 15.0.7, 256 bits)"
  msPerStep: number; // median
  msMin: number;
  msMax: number;
  steps: number;
  finalLoss: number; // the last step's loss, to show it really trained
  // Resident memory (bytes): its growth from before the model was built to the highest value seen
  // between steps, and the tensors' own bytes held by TensorFlow.js after the run (weights, Adam's
  // moments and the batch).
  rssGrowthBytes: number;
  tensorBytes: number;
  leakedTensors: number; // tensors left after a step beyond those the model holds; 0 means no leak
  firstStepSeconds?: number; // from starting the backend to the end of the first step
}

const LAYERS = [784, 256, 256, 10];

export async function timeTfjsStep(backend: TfjsBackend, options: StepTimingOptions = {}): Promise<StepTiming> {
  const { batch = 128, seed = 1 } = options;
  const rng = Rng.derive(seed, "bench");
  return timeTfjs(backend, options, () => {
    const params = drawParams(rng).map(([value, shape], k) => tf.variable(tf.tensor(value, shape), true, `p${k}`));
    // A seeded batch of digit-like inputs: pixels in [0, 1), labels 0..9. A dense layer's cost does
    // not depend on the values, and leaving MNIST's 21 MB of JSON undecoded keeps the process's peak
    // memory about the model rather than the data set.
    const x = tf.tensor2d(Float32Array.from({ length: batch * 784 }, () => rng.uniform()), [batch, 784]);
    const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: batch }, () => rng.int(10)), "int32"), 10);
    const optimizer = tf.train.adam(1e-3);
    const loss = () => tf.losses.softmaxCrossEntropy(y, forward(x, params)) as tf.Scalar;
    return {
      // WebGPU runs asynchronously: the step ends when the loss has been read back, which waits for
      // every dispatch of the step (one float, as for the synchronous backends).
      async run() {
        const cost = optimizer.minimize(loss, true, params)!;
        const value = backend === "webgpu" ? (await cost.data())[0]! : cost.dataSync()[0]!;
        cost.dispose();
        return value;
      },
      dispose() {
        optimizer.dispose();
        tf.dispose([x, y, ...params]);
      },
    };
  });
}

// Inference: the MLP's logits for a batch of `batch` digits, read back to the host.
export async function timeTfjsInference(backend: TfjsBackend, options: StepTimingOptions = {}): Promise<StepTiming> {
  const { batch = 1024, seed = 1 } = options;
  return timeTfjs(backend, options, () => {
    const params = drawParams(Rng.derive(seed, "bench")).map(([value, shape]) => tf.tensor(value, shape));
    const inputRng = Rng.derive(seed, "bench-inference");
    const x = tf.tensor2d(Float32Array.from({ length: batch * 784 }, () => inputRng.uniform()), [batch, 784]);
    return {
      async run() {
        const logits = tf.tidy(() => forward(x, params));
        const values = await logits.data();
        logits.dispose();
        return values[0]!;
      },
      dispose: () => tf.dispose([x, ...params]),
    };
  });
}

// PyTorch's Linear default, U(−1/√in, 1/√in) for weights and biases, drawn with nnc's Rng so
// every peer starts from the same numbers; weights are stored [in, out] as tf.matMul wants.
function drawParams(rng: Rng): [Float32Array, number[]][] {
  const params: [Float32Array, number[]][] = [];
  for (let l = 0; l + 1 < LAYERS.length; l++) {
    const [inputs, outputs] = [LAYERS[l]!, LAYERS[l + 1]!];
    const bound = 1 / Math.sqrt(inputs);
    const draw = (count: number) => Float32Array.from({ length: count }, () => (2 * rng.uniform() - 1) * bound);
    params.push([draw(inputs * outputs), [inputs, outputs]], [draw(outputs), [outputs]]);
  }
  return params;
}

// The MLP's logits: dense layers with ReLU between them.
function forward(x: tf.Tensor2D, params: tf.Tensor[]): tf.Tensor2D {
  let h = x;
  for (let l = 0; l < params.length; l += 2) {
    h = tf.add(tf.matMul(h, params[l] as tf.Tensor2D), params[l + 1]!);
    if (l + 2 < params.length) h = tf.relu(h);
  }
  return h;
}

// Starts the backend, builds the work (`prepare`), and times it: the first run's end is the
// start-up time, then warm-up runs (kernel set-up, WebAssembly compilation, shader compilation,
// the optimizer's slots), then the timed runs.
async function timeTfjs(backend: TfjsBackend, options: StepTimingOptions, prepare: () => { run(): Promise<number>; dispose(): void }): Promise<StepTiming> {
  const { warmup = 5, steps = 30 } = options;
  const started = performance.now();
  await useBackend(backend);
  // Measured after a garbage collection (run.ts starts each row with --expose-gc), so only the
  // model and its work count.
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  const work = prepare();
  let last = await work.run();
  const firstStepSeconds = (performance.now() - started) / 1000;
  for (let i = 1; i < warmup; i++) await work.run();
  const settled = tf.memory().numTensors;
  let peakRss = process.memoryUsage().rss;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    last = await work.run();
    times.push(performance.now() - start);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const result: StepTiming = {
    backend: tf.getBackend(),
    ...(adapter ? { adapter } : {}),
    msPerStep: median(times),
    msMin: Math.min(...times),
    msMax: Math.max(...times),
    steps,
    finalLoss: last,
    rssGrowthBytes: peakRss - rssBefore,
    tensorBytes: tf.memory().numBytes,
    leakedTensors: tf.memory().numTensors - settled,
    firstStepSeconds,
  };
  work.dispose();
  return result;
}

// Holds the `webgpu` package's GPU object for the process's life: if it were garbage-collected while
// its adapter or device lives, the process would abort (see SPEC.md, WebGPU in Node).
let dawn: GPU | null = null;
let adapter: string | null = null;

// The WebAssembly backend fetches its .wasm files at start-up; pointing it at the package's own
// folder (a file path, which it reads with fs in Node) keeps the benchmark offline. The WebGPU
// backend needs `navigator.gpu`, which the `webgpu` package (Dawn) provides in Node; on a machine
// without a GPU its adapter is Mesa's lavapipe (software Vulkan on the CPU).
async function useBackend(backend: TfjsBackend): Promise<void> {
  if (backend === "webgpu") {
    const { create, globals } = await import("webgpu");
    Object.assign(globalThis, globals);
    dawn = create([]);
    const info = (await dawn.requestAdapter())?.info;
    adapter = info ? info.description || info.device || info.vendor : "no adapter";
    Object.defineProperty(globalThis, "navigator", { value: { gpu: dawn }, configurable: true, writable: true });
    await import("@tensorflow/tfjs-backend-webgpu");
  }
  if (backend === "wasm") {
    const require = createRequire(import.meta.url);
    setWasmPaths(join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")), "/"));
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js could not start its ${backend} backend`);
  await tf.ready();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
