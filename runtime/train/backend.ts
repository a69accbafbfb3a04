// The one interface between the training loop and a backend. The loop (loop.ts) owns what is the
// same everywhere: epochs, batches, the schedule, early stopping, checkpoints, the NaN guard and
// L-BFGS's two-loop recursion; a backend owns the model's tensors and runs the compiled programs
// (compiler/step/programs.ts) on them. Nothing is read back from a backend unless the loop asks:
// a step returns a promise of its loss that the loop may await a step later, the metrics are
// accumulated on the backend and read once per epoch, and the weights come back only for a
// checkpoint or the best-weights copy of early stopping.

import type { Dataset, TargetArray } from "../data/dataset.ts";
import type { PassMetrics } from "./metrics.ts";

export interface TrainingBatch {
  features: Float32Array;
  // In the dtype of the graph's target input (graph.inputs[k].dtype): an Int32Array of class
  // labels for an i32 target, a Float32Array for an f32 one.
  targets: TargetArray;
  size: number;
}

// Everything a checkpoint holds of the model and its optimizer, by name: parameters, batch-norm
// statistics, and optimizer slots (`optimizer.<param>.<slot>`).
export interface TensorState {
  params: Record<string, Float32Array>;
  state: Record<string, Float32Array>;
  slots: Record<string, Float32Array>;
}

export interface StepResult {
  loss: number; // the batch's loss before the update (with the regularization term)
  accuracy: number | null; // the running training accuracy of the epoch so far
}

export interface TrainingBackend {
  readonly kind: "cpu" | "webgpu";
  readonly description: string; // for the first line of `nnc run`: "the CPU runtime", "WebGPU on …"

  // One optimizer step on a batch with the step's scalars (compiler/step/build.ts: stepScalars)
  // and dropout seed. Steps run in the order they are called; the promise resolves once this
  // step's loss is known, which may be after later steps were issued.
  step(batch: TrainingBatch, scalars: Record<string, number>, seed: number): Promise<StepResult>;
  // The training metrics accumulated since the last call, then reset.
  takeMetrics(): Promise<PassMetrics>;
  // The 2-norm of each weight's gradient at the last step (for --grad-norms), by parameter.
  gradNorms(): Promise<Record<string, number>>;

  // For L-BFGS: the loss and the gradient (one flat vector, parameters in order) at the current
  // weights on a batch, with no update and no change to the batch-norm statistics.
  lossAndGradient(batch: TrainingBatch, seed: number): Promise<{ loss: number; gradient: Float32Array }>;
  // The parameters as one flat vector, and setting them from one.
  readFlatParams(): Promise<Float32Array>;
  writeFlatParams(values: Float32Array): Promise<void>;

  // The evaluation graph (dropout off, batch norm on running statistics) over a data set.
  evaluate(dataset: Dataset, batchSize: number): Promise<PassMetrics>;
  // An output of the evaluation graph for `n` rows of features.
  predict(features: Float32Array, n: number, output: string): Promise<Float32Array>;

  // Every tensor a checkpoint holds (copies), and setting any of them.
  readState(): Promise<TensorState>;
  writeState(state: Partial<TensorState>): Promise<void>;

  // Figures about the compiled step for a batch size, for `nnc compile --stats` and the benchmark:
  // planned buffer bytes, kernels and dispatches per step, the adapter.
  stats(batch: number): Record<string, number | string>;

  // WebGPU: time the kernel variants this run did not have timings for, for the next run, within
  // a budget; a line for the user, or null when there was nothing to time.
  tunePending?(budgetSeconds: number): Promise<string | null>;

  dispose(): void;
}

// Arrays laid end to end in one new array (the flat parameter and gradient vectors of L-BFGS).
export function concatFlat(arrays: readonly Float32Array[]): Float32Array {
  const flat = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    flat.set(a, offset);
    offset += a.length;
  }
  return flat;
}
