// The one in-memory form of every data set: features and targets as flat row-major Float32Arrays,
// which is what the CPU runtime and the WebGPU buffers take without conversion. Class labels are
// stored as float values 0..K−1, one per row, so class and real targets share one layout.

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

