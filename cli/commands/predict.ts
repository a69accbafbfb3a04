// `nnc predict FILE --checkpoint C --input data.csv`: runs trained weights on new inputs. The CSV
// holds one example per row, its columns the model's input features in order (a header row is
// recognized and skipped); the checkpoint's standardization is applied first, as in training. It
// prints (or writes) one row per example: the predicted class and each class's probability for a
// classifier, the predicted values for a regression.

import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { parse as parseCsv } from "csv-parse/sync";
import type { LossKind } from "../../runtime/train/metrics.ts";
import { argmax } from "../../runtime/train/metrics.ts";
import { standardizeInto } from "../../runtime/data/standardize.ts";
import { loadModel } from "../load.ts";
import { oneFile, parseOptions } from "../options.ts";
import { createTrainer, selectBackend, startingPoint } from "../session.ts";
import { UserError } from "../user-error.ts";

export const summary = "run a checkpoint on new inputs";

export const help = `Usage: nnc predict FILE --checkpoint PATH --input DATA.csv [options]

Runs the model of FILE with the weights in PATH on every row of DATA.csv (the input features in
order, with or without a header row) and prints one row per example: the predicted class and the
class probabilities for a classifier, the predicted values for a regression.

Options:
  --checkpoint PATH    the trained weights (required)
  --input PATH         the CSV file of inputs (required)
  --output PATH        write the predictions to this CSV file instead of printing them
  --train MODEL        which model, when FILE has several
  --backend cpu        where to run
  --json               print the predictions as JSON
  -h, --help           show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions("predict", help, argv, {
    checkpoint: { type: "string" },
    input: { type: "string" },
    output: { type: "string" },
    train: { type: "string" },
    backend: { type: "string" },
    json: { type: "boolean" },
  });
  const file = oneFile("predict", help, positionals);
  if (!values.checkpoint) throw new UserError(`nnc predict: --checkpoint PATH is required\n\n${help}`);
  if (!values.input) throw new UserError(`nnc predict: --input DATA.csv is required\n\n${help}`);
  const backend = selectBackend("predict", values.backend);
  const loaded = loadModel("predict", file, values.train);
  const start = startingPoint("predict", loaded.trainGraph, loaded.config, { resume: null, init: values.checkpoint });
  const input = loaded.trainGraph.inputs.find((i) => i.role === "input")!;
  const featureSize = input.shape.slice(1).reduce<number>((n, d) => n * Number(d), 1);
  const { features, n } = readInputs(values.input, featureSize);
  const standardizer = start.checkpoint?.standardizer ?? null;
  if (standardizer) standardizeInto(standardizer, features, features);
  const trainer = createTrainer(backend, loaded, start.params, start.state);
  const prediction = trainer.predict(features, n, "prediction");
  const table = describePredictions(loaded.model.loss!.kind, prediction, n);

  if (values.json) {
    const text = JSON.stringify({ columns: table.columns, rows: table.rows });
    if (values.output) writeAtomically(values.output, `${text}\n`);
    else console.log(text);
    return 0;
  }
  const csv = [table.columns.join(","), ...table.rows.map((r) => r.join(","))].join("\n") + "\n";
  if (values.output) {
    writeAtomically(values.output, csv);
    console.error(`wrote ${n} predictions to ${values.output}`);
  } else process.stdout.write(csv);
  return 0;
}

function readInputs(path: string, featureSize: number): { features: Float32Array; n: number } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`nnc predict: cannot read \`${path}\`: ${code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  let records: string[][];
  try {
    records = parseCsv(text, { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (error) {
    throw new UserError(`nnc predict: ${path}: ${(error as Error).message}`);
  }
  // A first row with any cell that is not a number is a header.
  const hasHeader = records.length > 0 && records[0]!.some((cell) => cell === "" || Number.isNaN(Number(cell)));
  const rows = hasHeader ? records.slice(1) : records;
  if (rows.length === 0) throw new UserError(`nnc predict: ${path} has no rows of inputs`);
  const features = new Float32Array(rows.length * featureSize);
  rows.forEach((row, r) => {
    const line = r + 1 + (hasHeader ? 1 : 0);
    if (row.length !== featureSize) {
      throw new UserError(`nnc predict: ${path}:${line}: expected ${featureSize} values (the model's input features), found ${row.length}`);
    }
    row.forEach((cell, c) => {
      const value = Number(cell);
      if (cell === "" || !Number.isFinite(value)) {
        throw new UserError(`nnc predict: ${path}:${line}: column ${c + 1}: ${JSON.stringify(cell)} is not a number`);
      }
      features[r * featureSize + c] = value;
    });
  });
  return { features, n: rows.length };
}

// What the model's prediction means depends on its loss: logits of K classes, one logit for two
// classes, a score whose sign is the class, or real values.
function describePredictions(loss: LossKind, prediction: Float32Array, n: number): { columns: string[]; rows: (string | number)[][] } {
  const width = prediction.length / n;
  const rows: (string | number)[][] = [];
  if (loss === "cross_entropy") {
    for (let i = 0; i < n; i++) {
      const logits = prediction.subarray(i * width, (i + 1) * width);
      const max = Math.max(...logits);
      const exps = Array.from(logits, (z) => Math.exp(z - max));
      const total = exps.reduce((a, b) => a + b, 0);
      rows.push([argmax(logits, 0, width), ...exps.map((e) => round(e / total))]);
    }
    return { columns: ["class", ...Array.from({ length: width }, (_, k) => `p${k}`)], rows };
  }
  if (loss === "bce_with_logits") {
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-prediction[i * width]!));
      rows.push([p > 0.5 ? 1 : 0, round(p)]);
    }
    return { columns: ["class", "p1"], rows };
  }
  if (loss === "hinge" || loss === "perceptron") {
    for (let i = 0; i < n; i++) rows.push([prediction[i * width]! > 0 ? 1 : -1, round(prediction[i * width]!)]);
    return { columns: ["class", "score"], rows };
  }
  for (let i = 0; i < n; i++) rows.push(Array.from(prediction.subarray(i * width, (i + 1) * width), round));
  return { columns: Array.from({ length: width }, (_, k) => (width === 1 ? "prediction" : `prediction${k}`)), rows };
}

function round(value: number): number {
  return Number(value.toPrecision(6));
}

function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}
