// The one in-memory form of every data set: features and targets as flat row-major Float32Arrays.
// Class labels are stored as float values 0..K−1 (exact), one per row, so class and real targets
// share one layout, and the data file an export writes (compiler/export/data-file.ts, F32 tensors)
// holds them as they are.
//
// A model's class target is i32 in the IR, so what the runtime is fed differs: Batches hands out
// class labels in an Int32Array, and `targetFeed` converts a whole data set's (for evaluation and
// full-batch L-BFGS). Real targets are fed as the Float32Array they are.

export interface Dataset {
  n: number; // the number of examples (rows)
  features: Float32Array; // n × featureSize, row-major
  featureSize: number;
  targets: Float32Array; // n × targetSize, row-major
  targetSize: number;
  // "class": one label 0..K−1 per row (targetSize 1); "real": real values (targetSize ≥ 1).
  targetKind: "class" | "real";
  classes: number | null; // K for class targets, else null
  featureNames: string[] | null; // one per feature when the source names them (CSV header, Iris)
  classNames: string[] | null; // classNames[k] names label k when the source names classes
  source: string; // what the data came from, for messages and the run summary, e.g. "mnist (train)"
}

// The rows `indices` of `dataset`, in that order, as a new data set with its own arrays.
export function subset(dataset: Dataset, indices: ArrayLike<number>, source: string = dataset.source): Dataset {
  const { featureSize, targetSize } = dataset;
  const n = indices.length;
  const features = new Float32Array(n * featureSize);
  const targets = new Float32Array(n * targetSize);
  for (let i = 0; i < n; i++) {
    const row = indices[i]!;
    features.set(dataset.features.subarray(row * featureSize, (row + 1) * featureSize), i * featureSize);
    targets.set(dataset.targets.subarray(row * targetSize, (row + 1) * targetSize), i * targetSize);
  }
  return { ...dataset, n, features, targets, source };
}

// Targets as a model's target input takes them: Int32Array class labels for a class target (dtype
// i32), Float32Array values for a real one (f32).
export type TargetArray = Float32Array | Int32Array;

// The data set's targets as its model's target takes them (see the header): a new Int32Array of
// the labels for class targets, the stored array itself for real ones.
export function targetFeed(dataset: Dataset): TargetArray {
  return dataset.targetKind === "class" ? Int32Array.from(dataset.targets) : dataset.targets;
}
