// `nnc predict FILE --checkpoint C --input data.csv`: runs trained weights on new inputs. The CSV
// holds one example per row (runtime/data/csv-inputs.ts): with a header, its columns are matched by
// name with the features the model was trained on (the training CSV's header, or a built-in set's
// names), otherwise taken in the training order. The checkpoint's standardization is applied first,
// as in training. It prints (or writes) one row per example: the predicted class (and its name, when
// the training data named its classes) and each class's probability for a classifier, the predicted
// values for a regression.

import { renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { CheckedModel } from "../../compiler/analyze/model-types.ts";
import type { TrainConfig } from "../../compiler/ir/config.ts";
import { readCsvNames } from "../../runtime/data/csv.ts";
import { readInputCsv } from "../../runtime/data/csv-inputs.ts";
import { DataError } from "../../runtime/data/errors.ts";
import { IRIS_FEATURES, loadIris } from "../../runtime/data/iris.ts";
import { standardizeInto } from "../../runtime/data/standardize.ts";
import { csvLabelKind } from "../../runtime/train/prepare.ts";
import type { LossKind } from "../../runtime/train/metrics.ts";
import { argmax } from "../../runtime/train/metrics.ts";
import { combinePredictions, type Combine } from "../../runtime/ensemble.ts";
import type { Session } from "../../runtime/session.ts";
import { COMBINE_HELP, combineOption, loadMember, memberStart, predictRows, readMembers } from "../ensemble-eval.ts";
import { loadModel, type LoadedModel } from "../load.ts";
import { oneFile, parseOptions, BUDGET_HELP, BUDGET_OPTIONS, budgetOption } from "../options.ts";
import { BACKEND_HELP, backendRequest, openSession, startingPoint, targetInfo } from "../session.ts";
import { UserError } from "../user-error.ts";

export const summary = "run a checkpoint on new inputs";

export const help = `Usage: nnc predict FILE --checkpoint PATH [--checkpoint PATH ...] --input DATA.csv [options]

Runs the model of FILE with the weights in PATH on every row of DATA.csv and prints one row per
example: the predicted class (with its name when the training data named classes) and the class
probabilities for a classifier, the predicted values for a regression. With a header row, columns
are matched by name with the training data's features (in any order; the training file's label
columns are ignored); without one, they are the features in the training order.

With several --checkpoint options (an ensemble, such as the members \`nnc ensemble\` wrote), the
members' predictions are combined: the mean of their probabilities (or outputs), or with
--combine vote the class most members predict, with a \`votes\` column (how many did) before the
mean probabilities.

Options:
  --checkpoint PATH    the trained weights (required); repeat it for an ensemble
${COMBINE_HELP}
  --input PATH         the CSV file of inputs (required)
  --output PATH        write the predictions to this CSV file instead of printing them
  --train MODEL        which model, when FILE has several
${BACKEND_HELP}
  --json               print the predictions as JSON
${BUDGET_HELP}
  -h, --help           show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions("predict", help, argv, {
    ...BUDGET_OPTIONS,
    checkpoint: { type: "string", multiple: true },
    combine: { type: "string" },
    input: { type: "string" },
    output: { type: "string" },
    train: { type: "string" },
    backend: { type: "string" },
    json: { type: "boolean" },
  });
  const file = oneFile("predict", help, positionals);
  const checkpoints = values.checkpoint ?? [];
  if (checkpoints.length === 0) throw new UserError(`nnc predict: --checkpoint PATH is required\n\n${help}`);
  if (!values.input) throw new UserError(`nnc predict: --input DATA.csv is required\n\n${help}`);
  const request = backendRequest("predict", values.backend);
  const loaded = loadModel("predict", file, values.train, budgetOption("predict", values));
  const combine = combineOption("predict", values.combine, checkpoints.length, loaded.model.loss!.kind);
  if (values.output) refuseToOverwrite(values.output, [file, values.input, ...checkpoints, trainingFile(loaded.config, file)]);
  const members = combine ? readMembers("predict", checkpoints, loaded.trainGraph) : [];
  const start = combine
    ? { ...memberStart(loaded.trainGraph, members[0]!.content), checkpoint: members[0]!.content }
    : startingPoint("predict", loaded.trainGraph, loaded.config, { resume: null, init: checkpoints[0]! });
  const input = loaded.trainGraph.inputs.find((i) => i.role === "input")!;
  const featureSize = input.shape.slice(1).reduce<number>((n, d) => n * Number(d), 1);
  const names = trainingNames(loaded.config, loaded.model, file);
  let inputs: { features: Float32Array; n: number };
  try {
    inputs = readInputCsv(values.input, { featureSize, featureNames: names.featureNames, ignored: names.labelNames });
  } catch (error) {
    if (error instanceof DataError) throw new UserError(`nnc predict: ${error.format()}`);
    throw error;
  }
  const { features, n } = inputs;
  const session = await openSession("predict", loaded, loaded.config, start, request);
  let table: { columns: string[]; rows: (string | number)[][] };
  try {
    if (combine) table = await predictEnsemble(session, loaded, members, features, n, combine, names.classNames);
    else {
      const standardizer = start.checkpoint?.standardizer ?? null;
      if (standardizer) standardizeInto(standardizer, features, features);
      table = describePredictions(loaded.model.loss!.kind, await session.backend.predict(features, n, "prediction"), n, names.classNames);
    }
  } finally {
    session.dispose();
  }

  if (values.json) {
    const text = JSON.stringify({ columns: table.columns, rows: table.rows });
    if (values.output) writeAtomically(values.output, `${text}\n`);
    else console.log(text);
    return 0;
  }
  const csv = [table.columns.map(csvCell).join(","), ...table.rows.map((r) => r.map(csvCell).join(","))].join("\n") + "\n";
  if (values.output) {
    writeAtomically(values.output, csv);
    console.error(`wrote ${n} predictions to ${values.output}`);
  } else process.stdout.write(csv);
  return 0;
}

// Every member predicts the inputs, standardized as in its training; the rows are the combination:
// the class (by the mean or the vote; a vote adds how many members chose it), then the mean
// probabilities, scores or values.
async function predictEnsemble(
  session: Session,
  loaded: LoadedModel,
  members: ReturnType<typeof readMembers>,
  raw: Float32Array,
  n: number,
  combine: Combine,
  classNames: string[] | null,
): Promise<{ columns: string[]; rows: (string | number)[][] }> {
  const loss = loaded.model.loss!.kind;
  const predictions: Float32Array[] = [];
  for (const member of members) {
    const standardizer = member.content.standardizer ?? null;
    const features = standardizer ? raw.slice() : raw;
    if (standardizer) standardizeInto(standardizer, features, features);
    await loadMember(session, loaded.trainGraph, member.content);
    predictions.push(await predictRows(session, features, n));
  }
  const combined = combinePredictions(loss, predictions, n, combine);
  const { width, mean } = combined;
  const values = (i: number) => Array.from(mean.subarray(i * width, (i + 1) * width), round);
  if (!combined.classes) {
    return { columns: Array.from({ length: width }, (_, k) => (width === 1 ? "prediction" : `prediction${k}`)), rows: Array.from({ length: n }, (_, i) => values(i)) };
  }
  const signed = loss === "hinge" || loss === "perceptron";
  const columns = ["class", ...(classNames ? ["label"] : []), ...(combined.votes ? ["votes"] : [])];
  columns.push(...(loss === "cross_entropy" ? Array.from({ length: width }, (_, k) => `p${k}`) : signed ? ["score"] : ["p1"]));
  const rows = Array.from({ length: n }, (_, i) => {
    const index = combined.classes![i]!;
    const cls = signed ? (index === 1 ? 1 : -1) : index;
    return [cls, ...(classNames ? [classNames[index] ?? String(cls)] : []), ...(combined.votes ? [combined.votes[i]!] : []), ...(loss === "cross_entropy" ? values(i) : [round(mean[i * width]!)])];
  });
  return { columns, rows };
}

interface TrainingNames {
  featureNames: string[] | null;
  labelNames: string[];
  classNames: string[] | null;
}

// The names the training data gave the features and classes: a CSV file's header and class names
// (the file is read again, without keeping its features), Iris's own; none for the other sets.
function trainingNames(config: TrainConfig, model: CheckedModel, file: string): TrainingNames {
  const source = config.data;
  const classified = config.target_encoding !== "real";
  if (source.kind === "iris") return { featureNames: [...IRIS_FEATURES], labelNames: [], classNames: classified ? loadIris().classNames : null };
  if (source.kind !== "csv") return { featureNames: null, labelNames: [], classNames: null };
  try {
    return readCsvNames(source, dirname(file), csvLabelKind(config, targetInfo(model)));
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    console.error(
      `nnc predict: warning: cannot read the training data to learn its column and class names (${error.format()}); ` +
        "the input columns are taken in the training order and classes are shown by number",
    );
    return { featureNames: null, labelNames: [], classNames: null };
  }
}

function trainingFile(config: TrainConfig, file: string): string | null {
  return config.data.kind === "csv" ? resolve(dirname(file), config.data.path) : null;
}

// --output must not replace the model, the inputs, the weights or the training data.
function refuseToOverwrite(output: string, protectedPaths: (string | null)[]): void {
  const target = resolve(output);
  if (protectedPaths.some((p) => p !== null && resolve(p) === target)) {
    throw new UserError(
      `nnc predict: --output ${output} would overwrite one of the command's own files (the model, the inputs, the checkpoint or the training data); choose another path`,
    );
  }
}

// What the model's prediction means depends on its loss: logits of K classes, one logit for two
// classes, a score whose sign is the class, or real values. With the training data's class names, a
// `label` column after `class` names the predicted class.
function describePredictions(
  loss: LossKind,
  prediction: Float32Array,
  n: number,
  classNames: string[] | null,
): { columns: string[]; rows: (string | number)[][] } {
  const width = prediction.length / n;
  const rows: (string | number)[][] = [];
  // `index` is the class's number 0..K−1 (for hinge, −1 is class 0).
  const withName = (cls: number, index: number) => (classNames ? [cls, classNames[index] ?? String(cls)] : [cls]);
  const classColumns = classNames ? ["class", "label"] : ["class"];
  if (loss === "cross_entropy") {
    for (let i = 0; i < n; i++) {
      const logits = prediction.subarray(i * width, (i + 1) * width);
      const max = Math.max(...logits);
      const exps = Array.from(logits, (z) => Math.exp(z - max));
      const total = exps.reduce((a, b) => a + b, 0);
      const cls = argmax(logits, 0, width);
      rows.push([...withName(cls, cls), ...exps.map((e) => round(e / total))]);
    }
    return { columns: [...classColumns, ...Array.from({ length: width }, (_, k) => `p${k}`)], rows };
  }
  if (loss === "bce_with_logits") {
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-prediction[i * width]!));
      const cls = p > 0.5 ? 1 : 0;
      rows.push([...withName(cls, cls), round(p)]);
    }
    return { columns: [...classColumns, "p1"], rows };
  }
  if (loss === "hinge" || loss === "perceptron") {
    for (let i = 0; i < n; i++) {
      const score = prediction[i * width]!;
      rows.push([...withName(score > 0 ? 1 : -1, score > 0 ? 1 : 0), round(score)]);
    }
    return { columns: [...classColumns, "score"], rows };
  }
  for (let i = 0; i < n; i++) rows.push(Array.from(prediction.subarray(i * width, (i + 1) * width), round));
  return { columns: Array.from({ length: width }, (_, k) => (width === 1 ? "prediction" : `prediction${k}`)), rows };
}

function round(value: number): number {
  return Number(value.toPrecision(6));
}

// A cell of the output CSV, quoted when it holds a delimiter, a quote or a line break (a class name
// from the training file may).
function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (error) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // The temporary file was never made (its folder is missing); there is nothing to remove.
    }
    throw new UserError(`nnc predict: cannot write the predictions to \`${path}\`: ${describeWriteError(error, path)}`);
  }
}

function describeWriteError(error: unknown, path: string): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return `the folder \`${dirname(path)}\` does not exist`;
    case "ENOTDIR":
      return "a part of the path is not a folder";
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return "permission denied";
    case "EISDIR":
      return "it is a folder";
    default:
      return (error as Error).message;
  }
}
