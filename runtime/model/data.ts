// A model's examples as its user hands them (rows of raw features and the targets as the model's
// target declares them) turned into the runtime's data sets, checked against the model's shapes,
// and standardized as `nnc run` standardizes: with statistics of the training split only.

import type { Dataset } from "../data/dataset.ts";
import { applyStandardizer, fitStandardizer, standardizeInto, type Standardizer } from "../data/standardize.ts";
import type { ModelIo } from "./spec.ts";

// B examples: `x` holds B rows of the input's values (raw, not standardized), `y` B targets as the
// model's target takes them: one class label 0..K−1 per example for a `class[B] of K` target, else
// the target's values per example, row after row.
export interface Examples {
  x: Float32Array;
  y: Int32Array | Float32Array | readonly number[];
}

export interface TrainingData {
  train: Examples;
  validation?: Examples | null; // watched after every epoch (early stopping, plateau schedules)
  test?: Examples | null; // evaluated once, after training
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const show = (shape: readonly (number | string)[]) => `[${shape.join(", ")}]`;

// How many examples `x` holds; a length that is not whole rows is an error naming the shape.
export function exampleCount(io: ModelIo, model: string, x: ArrayLike<number>, what: string): number {
  const width = sizeOf(io.input.shape);
  if (x.length === 0 || x.length % width !== 0) {
    throw new RangeError(
      `${model}: ${what} takes rows of ${width} values (the input \`${io.input.name}\` is ${show(["B", ...io.input.shape])}, B examples), but got ${x.length} values`,
    );
  }
  return x.length / width;
}

// The examples as a data set (raw, as given); `what` names them in messages ("the training data").
export function toDataset(io: ModelIo, model: string, examples: Examples, what: string): Dataset {
  const n = exampleCount(io, model, examples.x, `${what}'s x`);
  const { target } = io;
  const targetSize = target.kind === "class" ? 1 : sizeOf(target.shape);
  const y = examples.y;
  if (y.length !== n * targetSize) {
    const shape = target.kind === "class" ? "[B]" : show(["B", ...target.shape]);
    throw new RangeError(`${model}: ${what} has ${n} examples in x but ${y.length} values in y; the target \`${target.name}\` is ${shape} (${n * targetSize} values for ${n} examples)`);
  }
  if (target.kind === "class") {
    const bad = Array.prototype.findIndex.call(y, (label: number) => !(Number.isInteger(label) && label >= 0 && label < target.classes!));
    if (bad >= 0) throw new RangeError(`${model}: ${what}'s y[${bad}] is ${y[bad]}, not a class label (a whole number from 0 to ${target.classes! - 1})`);
  }
  return {
    n,
    features: examples.x instanceof Float32Array ? examples.x : Float32Array.from(examples.x),
    featureSize: sizeOf(io.input.shape),
    targets: y instanceof Float32Array ? y : Float32Array.from(y),
    targetSize,
    targetKind: target.kind,
    classes: target.classes,
    featureNames: io.featureNames,
    classNames: io.classNames,
    source: what,
  };
}

// The splits of a run as the training loop takes them: the standardizer fitted on the training
// split (when the train block says `normalize standardize`) and applied to every split.
export function prepareSplits(io: ModelIo, model: string, data: TrainingData, standardize: boolean) {
  const train = toDataset(io, model, data.train, "the training data");
  const validation = data.validation ? toDataset(io, model, data.validation, "the validation data") : null;
  const test = data.test ? toDataset(io, model, data.test, "the test data") : null;
  const standardizer = standardize ? fitStandardizer(train) : null;
  const scaled = (dataset: Dataset | null) => (dataset && standardizer ? applyStandardizer(standardizer, dataset) : dataset);
  return { train: scaled(train)!, validation: scaled(validation), test: scaled(test), standardizer };
}

// Raw rows standardized (a copy), or the rows themselves without a standardizer.
export function standardized(standardizer: Standardizer | null, x: Float32Array): Float32Array {
  if (!standardizer) return x;
  const out = new Float32Array(x.length);
  standardizeInto(standardizer, x, out);
  return out;
}
