// Seeded synthetic regression sets with one real target. x ~ U(−1, 1) per feature; per example the
// features are drawn first (in order), then the noise N(0, 1) scaled by `noise`, all from one
// Rng(seed), so the same arguments always give the same rows. Rows are independent draws, so no
// shuffle is needed.

import type { DataSource } from "../../compiler/ir/config.ts";
import { Rng } from "../rng.ts";
import type { Dataset } from "./dataset.ts";

type Source<K extends DataSource["kind"]> = Extract<DataSource, { kind: K }>;

// y = x·weights + bias + noise·ε, with as many features as weights.
export function linear(source: Source<"linear">): Dataset {
  const { weights, bias } = source;
  return generate(source.n, weights.length, source.noise, source.seed, "linear", (x) => {
    let y = bias;
    for (let j = 0; j < weights.length; j++) y += weights[j]! * x[j]!;
    return y;
  });
}

// y = Σ a_j·x_j² + Σ b_j·x_j + c + noise·ε, with as many features as coefficients in `a` (and `b`).
export function quadratic(source: Source<"quadratic">): Dataset {
  const { a, b, c } = source;
  return generate(source.n, a.length, source.noise, source.seed, "quadratic", (x) => {
    let y = c;
    for (let j = 0; j < a.length; j++) y += a[j]! * x[j]! * x[j]! + (b[j] ?? 0) * x[j]!;
    return y;
  });
}

function generate(n: number, d: number, noise: number, seed: number, name: string, f: (x: Float64Array) => number): Dataset {
  const rng = new Rng(seed);
  const features = new Float32Array(n * d);
  const targets = new Float32Array(n);
  const x = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[j] = -1 + 2 * rng.uniform();
    // The target is computed from the float32 features the model will see, so a noiseless set is
    // fitted exactly by the true coefficients.
    for (let j = 0; j < d; j++) x[j] = Math.fround(x[j]!);
    features.set(x, i * d);
    targets[i] = f(x) + noise * rng.normal();
  }
  return {
    n,
    features,
    featureSize: d,
    targets,
    targetSize: 1,
    targetKind: "real",
    classes: null,
    featureNames: Array.from({ length: d }, (_, j) => `x${j + 1}`),
    classNames: null,
    source: name,
  };
}
