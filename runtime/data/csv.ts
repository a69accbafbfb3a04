// CSV files: `csv("data.csv", label: "species", features: [...], header: true, delimiter: ",")`.
// The path is relative to a base folder the caller gives (the .nn file's folder). The file is
// streamed (csv-read.ts) into growable Float32Arrays, so memory is about the numbers themselves.
// Every cell is trimmed; blank lines are skipped; feature cells must be decimal numbers within the
// range of 32-bit floats (numbers.ts: no NaN, no Infinity, no hexadecimal, no empty cells: nnc does
// not guess missing values).
//
// What the label column holds is the caller's choice (it knows the model's target): class labels
// (csv-labels.ts) for a class target or a one-hot one, two classes for hinge and perceptron
// (`signed`), or real values; `label` may also list several columns, which are then read as
// real values, one per target value (one-hot or probability rows, several regression outputs).
//
// Every problem is a DataError naming the file (relative to the working directory), the line as an
// editor shows it (the header is line 1) and the column (its header name, or its number from 0).

import { resolve } from "node:path";
import type { DataSource } from "../../compiler/ir/config.ts";
import { resolveColumns, type ResolvedColumns } from "./csv-columns.ts";
import { ClassLabels } from "./csv-labels.ts";
import { displayPath, readCsvRecords } from "./csv-read.ts";
import type { Dataset } from "./dataset.ts";
import { DataError } from "./errors.ts";
import { Float32Builder } from "./growable.ts";
import { numberProblem, parseNumber } from "./numbers.ts";

export type CsvSource = Extract<DataSource, { kind: "csv" }>;

// What the label column holds: class labels for a target with `classes` classes, the two classes
// of hinge and perceptron (0/1 or −1/+1), or real values (one per label column).
export type LabelKind = { kind: "class"; classes: number } | { kind: "signed" } | { kind: "real" };

export interface CsvOptions {
  chunkSize?: number; // bytes read at a time (csv-read.ts)
}

export function loadCsv(source: CsvSource, baseDir: string, labels: LabelKind, options: CsvOptions = {}): Dataset {
  return readCsv(source, baseDir, labels, options, true).dataset;
}

// What a trained model's CSV file called its columns and classes, for `nnc predict`: the feature
// names (null without a header), the label columns' names, and the class names when the labels
// are names. The whole file is read (its label column decides the class names), its features not kept.
export interface CsvNames {
  featureNames: string[] | null;
  labelNames: string[];
  classNames: string[] | null;
}

export function readCsvNames(source: CsvSource, baseDir: string, labels: LabelKind): CsvNames {
  const { dataset, header, labelColumns } = readCsv(source, baseDir, labels, {}, false);
  return { featureNames: dataset.featureNames, labelNames: header ? labelColumns.map((c) => header[c]!) : [], classNames: dataset.classNames };
}

function readCsv(
  source: CsvSource,
  baseDir: string,
  labels: LabelKind,
  options: CsvOptions,
  keepFeatures: boolean,
): { dataset: Dataset; header: string[] | null; labelColumns: number[] } {
  const absolute = resolve(baseDir, source.path);
  const file = displayPath(absolute);
  const labelList = Array.isArray(source.label);
  if (labelList && labels.kind !== "real") throw new Error("internal error: a list of label columns is read as real values");

  let header: string[] | null = null;
  let columns: ResolvedColumns | null = null;
  let width = 0;
  let widthFrom = "";
  let n = 0;
  const features = new Float32Builder();
  const targets = new Float32Builder();
  const classLabels =
    labels.kind === "class" ? new ClassLabels(labels.classes, false)
    : labels.kind === "signed" ? new ClassLabels(2, true)
    : null;
  const name = (i: number) => (header ? header[i]! : i);
  const cell = (text: string, row: number, column: number): number => {
    const value = parseNumber(text);
    if (Number.isNaN(value)) throw new DataError(numberProblem(text), { file, row, column: name(column) });
    return value;
  };

  readCsvRecords(absolute, file, { delimiter: source.delimiter, chunkSize: options.chunkSize }, (cells, line) => {
    if (columns === null) {
      width = cells.length;
      widthFrom = source.header ? "the header has" : `line ${line} has`;
      if (source.header) header = cells;
      columns = resolveColumns(file, header, width, source.label, source.features);
      if (source.header) return;
    }
    if (cells.length !== width) throw new DataError(`this row has ${cells.length} cells, but ${widthFrom} ${width}`, { file, row: line });
    if (keepFeatures) for (const c of columns.features) features.push(cell(cells[c]!, line, c));
    if (classLabels) classLabels.add(cells[columns.labels[0]!]!, file, line, name(columns.labels[0]!));
    else for (const c of columns.labels) targets.push(cell(cells[c]!, line, c));
    n++;
  });

  if (columns === null) throw new DataError("the file is empty", { file });
  if (n === 0) throw new DataError("the file has a header but no rows", { file });
  const chosen = columns as ResolvedColumns;
  const classes = classLabels?.finish() ?? null;
  const featureNames = header as string[] | null;
  const dataset: Dataset = {
    n,
    features: features.finish(),
    featureSize: chosen.features.length,
    targets: classes?.targets ?? targets.finish(),
    targetSize: classes ? 1 : chosen.labels.length,
    targetKind: classes ? "class" : "real",
    classes: labels.kind === "class" ? labels.classes : labels.kind === "signed" ? 2 : null,
    featureNames: featureNames ? chosen.features.map((c) => featureNames[c]!) : null,
    classNames: classes?.classNames ?? null,
    source: source.path,
  };
  return { dataset, header: featureNames, labelColumns: chosen.labels };
}
