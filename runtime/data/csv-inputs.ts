// The inputs of `nnc predict`: a CSV file of one example per row, streamed (csv-read.ts) into one
// Float32Array with the same number syntax as training (numbers.ts).
//
// The first row is a header when none of its cells is a number (a data row has only numbers; a
// row of both is a malformed data row, reported at its cell). With a header and the names the
// model was trained with (the training CSV's or a built-in set's feature names), columns are
// matched by name, in any order; a feature without a column is an error, and so is a column that
// is neither a feature nor one of the training file's label columns (those are ignored, so the
// training file itself can be given). Without a header, or without known names, the columns are
// the features in the training order, and their count must match.

import { resolve } from "node:path";
import { displayPath, readCsvRecords } from "./csv-read.ts";
import { DataError } from "./errors.ts";
import { Float32Builder } from "./growable.ts";
import { isDecimal, numberProblem, parseNumber } from "./numbers.ts";

export interface InputColumns {
  featureSize: number; // values per example
  featureNames: string[] | null; // the training data's names for them, in order, when known
  ignored: string[]; // header names to skip: the training file's label columns
}

export function readInputCsv(path: string, columns: InputColumns, chunkSize?: number): { features: Float32Array; n: number } {
  const absolute = resolve(path);
  const file = displayPath(absolute);
  const features = new Float32Builder();
  let order: number[] | null = null; // order[j]: the file's column of feature j
  let header: string[] | null = null;
  let width = 0;
  let widthFrom = "";
  let n = 0;

  readCsvRecords(absolute, file, { delimiter: ",", chunkSize }, (cells, line) => {
    if (order === null) {
      width = cells.length;
      if (cells.every((cell) => !isDecimal(cell))) {
        header = cells;
        widthFrom = "the header has";
        order = matchHeader(file, cells, columns);
        return;
      }
      widthFrom = `line ${line} has`;
      order = positional(file, line, width, columns.featureSize);
    }
    if (cells.length !== width) throw new DataError(`this row has ${cells.length} cells, but ${widthFrom} ${width}`, { file, row: line });
    for (const c of order) {
      const value = parseNumber(cells[c]!);
      if (Number.isNaN(value)) throw new DataError(numberProblem(cells[c]!), { file, row: line, column: header ? header[c]! : c });
      features.push(value);
    }
    n++;
  });
  if (n === 0) throw new DataError(order === null ? "the file is empty" : "the file has a header but no rows of inputs", { file });
  return { features: features.finish(), n };
}

function positional(file: string, line: number, width: number, featureSize: number): number[] {
  if (width !== featureSize) {
    throw new DataError(`expected ${featureSize} values (the model's input features), found ${width}`, { file, row: line });
  }
  return Array.from({ length: width }, (_, i) => i);
}

function matchHeader(file: string, header: string[], columns: InputColumns): number[] {
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (seen.has(name)) throw new DataError(`the header names column "${name}" twice`, { file, row: 1 });
    seen.set(name, i);
  });
  const names = columns.featureNames;
  if (names === null) {
    // The training data did not name its features: the columns are taken in order.
    const usable = header.filter((name) => !columns.ignored.includes(name)).length;
    if (usable !== columns.featureSize) {
      throw new DataError(`expected ${columns.featureSize} columns (the model's input features), found ${usable}`, { file, row: 1 });
    }
    return header.flatMap((name, i) => (columns.ignored.includes(name) ? [] : [i]));
  }
  const list = (items: string[]) => items.map((x) => `"${x}"`).join(", ");
  const missing = names.filter((name) => !seen.has(name));
  const s = (items: string[]) => (items.length === 1 ? "" : "s");
  if (missing.length > 0) {
    throw new DataError(`no column for the feature${s(missing)} ${list(missing)} (the model was trained on ${list(names)})`, { file, row: 1 });
  }
  const unknown = header.filter((name) => !names.includes(name) && !columns.ignored.includes(name));
  if (unknown.length > 0) {
    const verb = unknown.length === 1 ? "is" : "are";
    throw new DataError(`the column${s(unknown)} ${list(unknown)} ${verb} not among the model's features (${list(names)})`, { file, row: 1 });
  }
  return names.map((name) => seen.get(name)!);
}
