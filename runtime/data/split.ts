// Seeded train/validation/test splits. The rows of the training pool are put in a random order
// drawn from Rng.derive(seed, "split"); the first test-count rows go to test, the next to
// validation and the rest to training. Each split keeps that random order, except with `shuffle
// false`: then every split keeps the rows in the data set's order (which rows are held out is
// still drawn from the seed), so a run without a split sees the rows exactly in the file's order,
// as PyTorch's DataLoader with shuffle=False does. A fraction above 0 always holds out at least
// one example, and the training split must keep at least one. A source that defines its own
// test set (MNIST) keeps it: only validation comes out of its training part, and a test fraction
// for it is refused by the analyzer (E0709), so here it is an internal error.
//
// Counts are round(fraction · n), as scikit-learn's train_test_split would give for most n (it
// rounds the test count up); this is documented rather than matched exactly.

import type { SplitConfig } from "../../compiler/ir/config.ts";
import { Rng } from "../rng.ts";
import { type Dataset, subset } from "./dataset.ts";
import { DataError } from "./errors.ts";
import type { LoadedData } from "./load.ts";

export interface Splits {
  train: Dataset;
  validation: Dataset | null; // null when split.validation is 0
  test: Dataset | null; // the source's own test set, or the held-out fraction; null when neither
}

export function makeSplits(data: LoadedData, split: SplitConfig, seed: number, shuffle = true): Splits {
  const pool = data.train;
  if (data.test !== null && split.test > 0) {
    throw new Error(`internal error: ${pool.source} has its own test set, so split.test must be 0 (the analyzer reports E0709)`);
  }
  const n = pool.n;
  const held = (fraction: number) => (fraction > 0 ? Math.max(1, Math.round(fraction * n)) : 0);
  const testCount = held(split.test);
  const validationCount = held(split.validation);
  const trainCount = n - testCount - validationCount;
  if (trainCount < 1) {
    throw new DataError(
      `the split holds out ${testCount} test and ${validationCount} validation examples of ${n}, which leaves none to train on`,
    );
  }
  const order = Rng.derive(seed, "split").permutation(n);
  const part = (start: number, count: number, name: string) => {
    if (count === 0) return null;
    const rows = order.subarray(start, start + count);
    if (!shuffle) rows.sort();
    return subset(pool, rows, `${baseName(pool.source)} (${name})`);
  };
  return {
    test: data.test ?? part(0, testCount, "test"),
    validation: part(testCount, validationCount, "validation"),
    train: part(testCount + validationCount, trainCount, "train")!,
  };
}

// "mnist (train)" → "mnist", so split names do not pile up.
function baseName(source: string): string {
  return source.replace(/ \((train|validation|test)\)$/, "");
}
