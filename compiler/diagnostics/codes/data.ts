// Diagnostics about a `train` block's data that can be found before anything runs (codes E07xx):
// the data set against the model's input and target, sizes and splits, CSV files that are missing,
// unreadable or lack a named column, and label columns that do not fit the target. Problems found
// while reading the rows (a malformed CSV line) are run-time errors (E08xx). See ../registry.ts;
// compiler/analyze/train-data.ts reports these.
import type { CodeTable } from "../registry.ts";

export const DATA_CODES: CodeTable = {
  E0701: { severity: "error", title: "data-model-arity", message: "a data set gives one input and one target, but `{model}` has {inputs} and {targets}" },
  E0702: { severity: "error", title: "data-file-missing", message: "cannot find the data file `{path}`" },
  E0703: { severity: "error", title: "feature-count", message: "`{data}` gives {count} features per example, but the input `{input}` takes {size}" },
  E0704: { severity: "error", title: "class-data-real-target", message: "`{data}` gives class labels, but the target `{target}` takes {values} per example" },
  E0705: { severity: "error", title: "class-count", message: "`{data}` has {count} classes, but the target `{target}` is declared with {declared}" },
  E0706: { severity: "error", title: "real-data-class-target", message: "`{data}` gives real values, but the target `{target}` takes class labels" },
  E0707: { severity: "error", title: "real-target-width", message: "`{data}` gives one real value per example, but the target `{target}` takes {width}" },
  E0708: { severity: "error", title: "mnist-size", message: "`mnist` has 10000 digits, but `train` + `test` asks for {total}" },
  E0709: { severity: "error", title: "mnist-test-split", message: "MNIST comes with its own test digits, so `split` cannot hold out a test fraction" },
  E0710: { severity: "error", title: "csv-column", message: "the CSV file `{path}` has no column {column}" },
  E0711: { severity: "error", title: "csv-empty", message: "the CSV file `{path}` is empty" },
  E0712: { severity: "error", title: "feature-lengths", message: "`a` and `b` give one coefficient per feature, so they must have the same length, but they have {a} and {b}" },
  E0713: { severity: "error", title: "data-file-unreadable", message: "cannot read the data file `{path}`: {reason}" },
  E0714: { severity: "error", title: "csv-label-columns", message: "`label` names {count}, but the target `{target}` takes {takes}" },
  E0715: { severity: "error", title: "data-none-with-data", message: "`data none` trains a model whose loss is a formula over its parameters, but `{model}` has {inputs} and {targets}" },
  E0716: { severity: "error", title: "needs-data", message: "`{name}` is about the training data, but this training has `data none`" },
  E0717: { severity: "error", title: "steps-with-data", message: "`steps` sets how many steps an epoch has when there is no data, but this training reads `{data}`" },
};
