// runtime/data: from a validated DataSource to batches. The training engine's path is
// loadData → makeSplits → fitStandardizer(train) → applyStandardizer (each split) →
// encodeTargets (each split) → new Batches(train, …).epoch(e).

export { type Batch, type BatchOptions, Batches } from "./batches.ts";
export { type CsvNames, type CsvSource, type LabelKind, loadCsv, readCsvNames } from "./csv.ts";
export { type InputColumns, readInputCsv } from "./csv-inputs.ts";
export { readCsvRecords } from "./csv-read.ts";
export { type Dataset, subset, type TargetArray, targetFeed } from "./dataset.ts";
export { encodeTargets } from "./encode.ts";
export { DataError, type DataErrorLocation } from "./errors.ts";
export { IRIS_FEATURES, loadIris } from "./iris.ts";
export { type LoadedData, type LoadOptions, loadData } from "./load.ts";
export { loadMnist, MNIST_DIGITS, MNIST_PIXELS, mnistDigits } from "./mnist.ts";
export { numberProblem, parseNumber } from "./numbers.ts";
export { makeSplits, type Splits } from "./split.ts";
export { applyStandardizer, fitStandardizer, type Standardizer, standardizeInto } from "./standardize.ts";
export { blobs, moons, spirals, xor } from "./synthetic-classes.ts";
export { linear, quadratic } from "./synthetic-regression.ts";
