// Static checks of a `csv(...)` data source: the file exists and is a readable file (its path is
// relative to the .nn file's folder), and the label and feature columns it names are in the file's
// first line. Only the first line is read here; the rows themselves are read, and checked, by
// runtime/data when the model trains, so a large file costs nothing at compile time.

import { closeSync, openSync, readSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "csv-parse/sync";
import type { Expression, Span } from "../../grammar/ast.ts";
import { describeFsError, FileReadError, statRegularFile } from "../../runtime/files.ts";
import type { DiagnosticBag } from "../diagnostics/registry.ts";
import { describeValue, listNames } from "./train-bind.ts";

export type Column = string | number; // a header name, or a 0-based index

export interface CsvSource {
  path: string;
  label: Column | Column[]; // a list: several label columns, read as real values
  features: Column[] | null;
  header: boolean;
  delimiter: string;
}

// Reads `label: "species"` / `label: 4` and `features: [...]`; reports E0405 for anything else.
export function readColumn(name: string, expression: Expression, bag: DiagnosticBag): Column | null {
  if (expression.type === "StringLiteral") return expression.value;
  if (expression.type === "NumberLiteral" && expression.isInteger) return expression.value;
  bag.report("E0405", expression.span, {
    args: { name, expected: "a column name in double quotes or a column number counted from 0", got: describeValue(expression) },
  });
  return null;
}

export function readColumns(name: string, expression: Expression, bag: DiagnosticBag): Column[] | null {
  if (expression.type !== "ListExpr") {
    bag.report("E0405", expression.span, {
      args: { name, expected: "a list of column names or numbers", got: describeValue(expression) },
    });
    return null;
  }
  const columns = expression.elements.map((e) => readColumn(name, e, bag));
  return columns.every((c) => c !== null) ? (columns as Column[]) : null;
}

// The first line of the file as cells, or null when the file is missing or empty (reported).
function firstLine(source: CsvSource, baseDir: string, pathSpan: Span, bag: DiagnosticBag): string[] | null {
  const absolute = resolve(baseDir, source.path);
  // 64 KiB is far more than any header; the rest of the file is left for the runtime.
  const buffer = Buffer.alloc(64 * 1024);
  let length: number;
  try {
    statRegularFile(absolute);
    const fd = openSync(absolute, "r");
    try {
      length = readSync(fd, buffer, 0, buffer.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const reason = error instanceof FileReadError ? error.reason : describeFsError(error);
    if (reason === "no such file") {
      bag.report("E0702", pathSpan, { args: { path: source.path }, hint: "the path is read relative to the folder that holds the .nn file" });
    } else {
      bag.report("E0713", pathSpan, {
        args: { path: source.path, reason },
        hint: "`csv(...)` reads one regular file that you may read (not a folder or a device), relative to the folder that holds the .nn file",
      });
    }
    return null;
  }
  const text = buffer.subarray(0, length).toString("utf8").replace(/^\uFEFF/, "");
  const line = text.split(/\r?\n/).find((l) => l.trim() !== "");
  if (line === undefined) {
    bag.report("E0711", pathSpan, { args: { path: source.path } });
    return null;
  }
  let first: string[] | undefined;
  try {
    first = (parse(line, { delimiter: source.delimiter }) as string[][])[0];
  } catch {
    // A malformed first line is reported with its line number by runtime/data when it reads the
    // file; here it only means the columns cannot be checked.
    return null;
  }
  if (!first || first.length === 0) {
    bag.report("E0711", pathSpan, { args: { path: source.path } });
    return null;
  }
  return first.map((cell) => cell.trim());
}

// Checks the file and its columns; returns the number of feature columns, or null when it cannot
// be known (the file is missing, or a column is wrong, both reported).
export function checkCsv(
  source: CsvSource,
  baseDir: string,
  spans: { path: Span; label: Span[]; features: Span[] },
  bag: DiagnosticBag,
): number | null {
  const cells = firstLine(source, baseDir, spans.path, bag);
  if (cells === null) return null;
  const names = source.header ? cells : null;
  let ok = true;
  const check = (column: Column, span: Span | null) => {
    if (typeof column === "number" ? column < cells.length : names?.includes(column)) return;
    const hint =
      typeof column === "number" ? `the file has ${cells.length} columns, numbered 0 to ${cells.length - 1}`
      : names ? `its columns are ${listNames(names)}`
      : "the file has no header (`header: false`), so name columns by number, counting from 0";
    bag.report("E0710", span, {
      args: { path: source.path, column: typeof column === "number" ? String(column) : `\`${column}\`` },
      hint,
    });
    ok = false;
  };
  const labels = Array.isArray(source.label) ? source.label : [source.label];
  labels.forEach((label, i) => check(label, spans.label[i] ?? spans.path));
  (source.features ?? []).forEach((feature, i) => check(feature, spans.features[i] ?? spans.path));
  if (!ok) return null;
  return source.features?.length ?? cells.length - labels.length;
}
