// Input standardization: x' = (x − mean) / std per feature, with mean and std measured on the
// training split only, so nothing about the validation or test examples leaks into training. The
// std is the population std (divide by n, as scikit-learn's StandardScaler). A feature that is
// constant on the training split (std 0, such as MNIST's border pixels) gets std 1, so it is only
// centred instead of divided by zero; this is also StandardScaler's rule. The Standardizer is plain data that travels with the trained model (it is
// saved in checkpoints) and is applied to every input at evaluation and prediction time.

import type { Dataset } from "./dataset.ts";

export interface Standardizer {
  mean: Float32Array; // one per feature
  std: Float32Array; // one per feature, never 0
}

export function fitStandardizer(train: Dataset): Standardizer {
  const { n, featureSize: d, features } = train;
  // Sums in float64, two passes: float32 sums over 10,000 rows would lose digits.
  const sum = new Float64Array(d);
  const min = new Float64Array(d).fill(Infinity);
  const max = new Float64Array(d).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = features[i * d + j]!;
      sum[j] += v;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
  }
  const mean = sum.map((s) => (n > 0 ? s / n : 0));
  const squares = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const delta = features[i * d + j]! - mean[j]!;
      squares[j] += delta * delta;
    }
  }
  // Constancy is tested with min = max rather than std = 0, because the mean of equal float32
  // values need not be exact in float64 and would leave a tiny nonzero std.
  const std = squares.map((s, j) => (n === 0 || min[j] === max[j] ? 1 : Math.sqrt(s / n)));
  return { mean: Float32Array.from(mean), std: Float32Array.from(std) };
}

// A new data set with standardized features (targets are shared, not copied).
export function applyStandardizer(standardizer: Standardizer, dataset: Dataset): Dataset {
  const features = new Float32Array(dataset.features.length);
  standardizeInto(standardizer, dataset.features, features);
  return { ...dataset, features };
}

// Standardizes rows of `input` into `output` (the same length; they may be the same array), for
// callers that standardize inputs one batch at a time, such as `nnc predict`.
export function standardizeInto(standardizer: Standardizer, input: Float32Array, output: Float32Array): void {
  const { mean, std } = standardizer;
  const d = mean.length;
  if (input.length % d !== 0 || output.length !== input.length) {
    throw new Error(`internal error: standardizing ${input.length} values with ${d} features per row`);
  }
  for (let i = 0; i < input.length; i++) {
    const j = i % d;
    output[i] = (input[i]! - mean[j]!) / std[j]!;
  }
}
