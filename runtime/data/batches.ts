// Mini-batches for one epoch, as PyTorch's DataLoader with drop_last=False: the rows in a fresh
// seeded order each epoch (Rng.derive(seed, "shuffle:" + epoch), so epoch e's order does not
// depend on how many epochs ran before, which keeps resumed runs identical), cut into batches of
// `batchSize` with the last, smaller batch kept. batchSize "full" is one batch of every row (full-
// batch gradient descent); 1 is per-sample SGD.
//
// Targets come in the array type of the model's target (runtime/data/dataset.ts): class labels as
// an Int32Array (the IR's i32), real values as a Float32Array.
//
// The steady state allocates nothing: the rows are copied into two buffers (features and targets)
// made once, and the same Batch object is handed out each time, updated in place. The last partial
// batch uses views of those buffers that are also made once. A consumer must therefore finish with
// a batch (or copy it) before asking for the next.

import { Rng } from "../rng.ts";
import type { Dataset, TargetArray } from "./dataset.ts";

export interface Batch {
  size: number; // rows in this batch (batchSize, or fewer for the last one)
  features: Float32Array; // size × featureSize
  targets: TargetArray; // size × targetSize: an Int32Array of class labels, or real values
  index: number; // the batch's position in the epoch, from 0
}

export interface BatchOptions {
  batchSize: number | "full";
  shuffle: boolean; // false: every epoch takes the rows in the data set's order
  seed: number; // the run's seed
}

export class Batches {
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  private readonly order: Uint32Array;
  private readonly features: Float32Array;
  private readonly targets: TargetArray;
  private readonly lastFeatures: Float32Array;
  private readonly lastTargets: TargetArray;
  private readonly batch: Batch;

  constructor(
    private readonly dataset: Dataset,
    private readonly options: BatchOptions,
  ) {
    const n = dataset.n;
    if (n === 0) throw new Error("internal error: batching an empty data set");
    const size = options.batchSize === "full" ? n : Math.min(options.batchSize, n);
    if (!Number.isInteger(size) || size < 1) throw new Error(`internal error: batch size ${options.batchSize}`);
    this.batchSize = size;
    this.batchesPerEpoch = Math.ceil(n / size);
    this.order = new Uint32Array(n);
    this.features = new Float32Array(size * dataset.featureSize);
    // Labels are whole numbers stored as floats, so copying them into an Int32Array is exact.
    this.targets = dataset.targetKind === "class" ? new Int32Array(size * dataset.targetSize) : new Float32Array(size * dataset.targetSize);
    const last = n - (this.batchesPerEpoch - 1) * size;
    this.lastFeatures = this.features.subarray(0, last * dataset.featureSize);
    this.lastTargets = this.targets.subarray(0, last * dataset.targetSize);
    this.batch = { size, features: this.features, targets: this.targets, index: 0 };
  }

  // The batches of epoch `epoch` (count from 0, or from wherever the caller likes, consistently).
  *epoch(epoch: number): Generator<Batch, void, undefined> {
    this.shuffle(epoch);
    const { n, featureSize: fs, targetSize: ts, features, targets } = this.dataset;
    for (let b = 0; b < this.batchesPerEpoch; b++) {
      const start = b * this.batchSize;
      const size = Math.min(this.batchSize, n - start);
      const batch = this.batch;
      batch.index = b;
      batch.size = size;
      batch.features = size === this.batchSize ? this.features : this.lastFeatures;
      batch.targets = size === this.batchSize ? this.targets : this.lastTargets;
      for (let i = 0; i < size; i++) {
        const row = this.order[start + i]!;
        // Single rows are copied with a loop rather than set(subarray(...)), which would allocate
        // a view per row.
        for (let j = 0; j < fs; j++) batch.features[i * fs + j] = features[row * fs + j]!;
        for (let j = 0; j < ts; j++) batch.targets[i * ts + j] = targets[row * ts + j]!;
      }
      yield batch;
    }
  }

  // The row order of `epoch`, the same as Rng.permutation's (Fisher–Yates), written in place.
  private shuffle(epoch: number): void {
    const p = this.order;
    for (let i = 0; i < p.length; i++) p[i] = i;
    if (!this.options.shuffle) return;
    const rng = Rng.derive(this.options.seed, "shuffle:" + epoch);
    for (let i = p.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
  }

  // The rows of epoch `epoch` in the order its batches take them (for tests and debugging).
  epochOrder(epoch: number): Uint32Array {
    this.shuffle(epoch);
    return this.order.slice();
  }
}
