// One entry point from a validated DataSource to the examples: the training pool and, for sources
// that come with their own test set (MNIST), that test set. Splitting off validation and test
// fractions is split.ts's job, so every source goes through the same seeded split.

import type { DataSource } from "../../compiler/ir/config.ts";
import { type LabelKind, loadCsv } from "./csv.ts";
import type { Dataset } from "./dataset.ts";
import { loadIris } from "./iris.ts";
import { loadMnist } from "./mnist.ts";
import { blobs, moons, spirals, xor } from "./synthetic-classes.ts";
import { linear, quadratic } from "./synthetic-regression.ts";

export interface LoadedData {
  train: Dataset; // every example the source offers for training (validation/test fractions come out of it)
  test: Dataset | null; // a test set the source defines itself (MNIST's `test:` digits), else null
}

export interface LoadOptions {
  // The folder CSV paths are relative to: the .nn file's folder.
  baseDir: string;
  // What a CSV file's label column holds, from the model's target (runtime/data ignores it for the
  // built-in sets, whose labels are fixed): class labels with K classes, or real values.
  csvLabels?: LabelKind;
}

// `data none`: an epoch of `steps` examples without features or targets, so that the loop takes
// `steps` optimizer steps (batches of one) per epoch and every evaluation averages the one loss.
export function noData(steps: number): Dataset {
  return {
    n: steps,
    features: new Float32Array(0),
    featureSize: 0,
    targets: new Float32Array(0),
    targetSize: 0,
    targetKind: "real",
    classes: null,
    featureNames: null,
    classNames: null,
    source: "no data",
  };
}

// Throws DataError for problems in the data itself (a malformed CSV file, MNIST asked for too many
// digits); everything else was checked by the analyzer.
export function loadData(source: DataSource, options: LoadOptions): LoadedData {
  switch (source.kind) {
    case "mnist":
      return loadMnist(source);
    case "csv":
      if (!options.csvLabels) throw new Error("internal error: loadData needs csvLabels for a CSV source");
      return { train: loadCsv(source, options.baseDir, options.csvLabels), test: null };
    case "iris":
      return { train: loadIris(), test: null };
    case "xor":
      return { train: xor(source), test: null };
    case "moons":
      return { train: moons(source), test: null };
    case "spirals":
      return { train: spirals(source), test: null };
    case "blobs":
      return { train: blobs(source), test: null };
    case "linear":
      return { train: linear(source), test: null };
    case "quadratic":
      return { train: quadratic(source), test: null };
    case "none":
      return { train: noData(source.steps), test: null };
  }
}
