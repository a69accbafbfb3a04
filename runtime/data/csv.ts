// CSV files: `csv("data.csv", label: "species", features: [...], header: true, delimiter: ",")`.
// The path is relative to a base folder the caller gives (the .nn file's folder). Every cell is
// trimmed; blank lines are skipped; feature cells must be decimal numbers (no NaN, no Infinity, no
// empty cells: nnc does not guess missing values).
//
// Whether the label column holds classes or real values is the caller's choice (it knows the
// model's target). Class labels are either all integers 0..K−1, used as they are, or all names,
// which map to 0..K−1 in sorted order (JavaScript's default string sort, by UTF-16 code unit, so
// "Setosa" comes before "setosa"); the data set's classNames lists them in that order.
//
// Every problem is a DataError naming the file (relative to the working directory), the line as an
// editor shows it (the header is line 1) and the column (its header name, or its number from 0).

import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { CsvError, parse } from "csv-parse/sync";
import type { DataSource } from "../../compiler/ir/config.ts";
import { resolveColumns } from "./csv-columns.ts";
import type { Dataset } from "./dataset.ts";
import { DataError } from "./errors.ts";

export type CsvSource = Extract<DataSource, { kind: "csv" }>;

// What the label column holds: class labels for a target with `classes` classes, or real values.
export type LabelKind = { kind: "class"; classes: number } | { kind: "real" };

interface Row {
  cells: string[];
  line: number; // the 1-based line the row starts on
}

export function loadCsv(source: CsvSource, baseDir: string, labels: LabelKind): Dataset {
  const absolute = resolve(baseDir, source.path);
  const file = displayPath(absolute);
  const rows = readRows(absolute, file, source.delimiter);

  const header = source.header ? rows.shift()!.cells : null;
  if (rows.length === 0) throw new DataError("the file has a header but no rows", { file });
  const width = header ? header.length : rows[0]!.cells.length;
  const shape = header ? "the header has" : `line ${rows[0]!.line} has`;
  for (const row of rows) {
    if (row.cells.length !== width) {
      throw new DataError(`this row has ${row.cells.length} cells, but ${shape} ${width}`, { file, row: row.line });
    }
  }

  const columns = resolveColumns(file, header, width, source.label, source.features);
  const name = (i: number) => (header ? header[i]! : i);
  const n = rows.length;
  const featureSize = columns.features.length;
  const features = new Float32Array(n * featureSize);
  rows.forEach((row, r) => {
    columns.features.forEach((c, j) => {
      features[r * featureSize + j] = readNumber(row.cells[c]!, { file, row: row.line, column: name(c) });
    });
  });

  const labelCells = rows.map((row) => ({ text: row.cells[columns.label]!, where: { file, row: row.line, column: name(columns.label) } }));
  const { targets, classNames } =
    labels.kind === "real" ?
      { targets: Float32Array.from(labelCells, (c) => readNumber(c.text, c.where)), classNames: null }
    : readClasses(labelCells, labels.classes, file, name(columns.label));

  return {
    n,
    features,
    featureSize,
    targets,
    targetSize: 1,
    targetKind: labels.kind,
    classes: labels.kind === "class" ? labels.classes : null,
    featureNames: header ? columns.features.map((c) => header[c]!) : null,
    classNames,
    source: source.path,
  };
}

// The file's rows (blank lines skipped), each with the line it starts on.
function readRows(absolute: string, file: string, delimiter: string): Row[] {
  if (!existsSync(absolute) || !statSync(absolute).isFile()) throw new DataError("cannot find the file", { file });
  // Line endings are normalized first because csv-parse miscounts lines in CRLF files with blank
  // lines, and the line numbers are what the user navigates by.
  const text = readFileSync(absolute, "utf8").replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  if (text.trim() === "") throw new DataError("the file is empty", { file });
  let records: { record: string[]; raw: string; info: { lines: number } }[];
  let lastLine = 0; // the line the last complete record ended on
  try {
    // With `info` and `raw` csv-parse returns records wrapped with their positions; its types miss that.
    records = parse(text, {
      delimiter,
      info: true,
      raw: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      on_record: (record, context) => {
        lastLine = context.lines;
        return record;
      },
    }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) {
      // csv-parse reports where it gave up (for an unclosed quote, the end of the file); the
      // user needs where the broken record starts: the first non-blank line after the last
      // complete record.
      const lines = text.split("\n");
      let start = lastLine;
      while (start < lines.length && lines[start]!.trim() === "") start++;
      const message = error.code === "CSV_QUOTE_NOT_CLOSED" ? "a quoted cell is never closed" : `cannot read the file as CSV: ${error.message}`;
      throw new DataError(message, { file, row: start + 1 });
    }
    throw error;
  }
  // info.lines is the line a record ends on; a quoted cell may span lines, and the raw text may
  // begin with skipped blank lines, so the start is the end minus the record's own line breaks.
  return records.map(({ record, raw, info }) => {
    const body = raw.replace(/^(?:[ \t]*\n)+/, "").replace(/\n$/, "");
    return { cells: record, line: info.lines - (body.match(/\n/g)?.length ?? 0) };
  });
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function readNumber(text: string, where: { file: string; row: number; column: string | number }): number {
  if (text === "") throw new DataError("the cell is empty", where);
  if (!DECIMAL.test(text)) throw new DataError(`"${text}" is not a number`, where);
  return Number(text);
}

// Class labels: all integers 0..K−1, or all names (sorted, then numbered).
function readClasses(
  cells: { text: string; where: { file: string; row: number; column: string | number } }[],
  classes: number,
  file: string,
  column: string | number,
): { targets: Float32Array; classNames: string[] | null } {
  for (const cell of cells) if (cell.text === "") throw new DataError("the cell is empty", cell.where);
  const firstName = cells.find((c) => !DECIMAL.test(c.text));
  if (firstName === undefined) {
    const targets = Float32Array.from(cells, ({ text, where }) => {
      const value = Number(text);
      if (!Number.isInteger(value)) throw new DataError(`label ${text} is not a class number (an integer from 0 to ${classes - 1})`, where);
      if (value < 0 || value >= classes) {
        throw new DataError(`label ${text} is out of range 0..${classes - 1} (the target has ${classes} classes)`, where);
      }
      return value;
    });
    return { targets, classNames: null };
  }
  const firstNumber = cells.find((c) => DECIMAL.test(c.text));
  if (firstNumber !== undefined) {
    // Mixed numbers and names is almost always a typo in one cell; point at the rarer kind's first.
    const names = cells.filter((c) => !DECIMAL.test(c.text)).length;
    const odd = names <= cells.length - names ? firstName : firstNumber;
    const kind = odd === firstName ? "a name, but other labels in this column are numbers" : "a number, but other labels in this column are names";
    throw new DataError(`label "${odd.text}" is ${kind}`, odd.where);
  }
  const classNames = [...new Set(cells.map((c) => c.text))].sort();
  if (classNames.length > classes) {
    const list = classNames.map((c) => `"${c}"`).join(", ");
    throw new DataError(`${classNames.length} different labels (${list}), but the target has ${classes} classes`, { file, column });
  }
  const index = new Map(classNames.map((c, i) => [c, i]));
  return { targets: Float32Array.from(cells, (c) => index.get(c.text)!), classNames };
}

// Paths inside the working directory are shown relative to it, as compilers do, so they can be
// clicked in a terminal; others are shown in full.
function displayPath(absolute: string): string {
  const local = relative(process.cwd(), absolute);
  return local === "" || local.startsWith("..") || isAbsolute(local) ? absolute : local;
}
