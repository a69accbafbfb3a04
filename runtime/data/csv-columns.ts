// Which columns of a CSV file hold the label and the features: names are looked up in the header,
// numbers count from 0. A name that is not in the header gets a "did you mean"; a duplicated header
// name is an error even when it is not used, since a second column of the same name almost always
// means the file is not the one the user thinks it is.

import { closest } from "../../compiler/diagnostics/registry.ts";
import { DataError } from "./errors.ts";

export type Column = string | number; // a header name, or a 0-based index

export interface ResolvedColumns {
  labels: number[]; // one column, or a list of them (one per target value)
  features: number[];
}

// `header` is the first line's cells when the file has a header, else null; `width` is the number
// of cells in every row. The header is line 1 of the file.
export function resolveColumns(
  file: string,
  header: string[] | null,
  width: number,
  label: Column | Column[],
  features: Column[] | null,
): ResolvedColumns {
  if (header) checkDuplicates(file, header);
  const find = (column: Column): number => {
    if (typeof column === "number") {
      if (Number.isInteger(column) && column >= 0 && column < width) return column;
      const shape = width === 1 ? "the file has only one column (is the delimiter right?)" : `the file has ${width} columns, numbered 0 to ${width - 1}`;
      throw new DataError(`no column ${column}: ${shape}`, { file });
    }
    if (!header) {
      throw new DataError(`no column named "${column}": the file has no header (header: false), so name columns by number, counting from 0`, { file });
    }
    const index = header.indexOf(column);
    if (index >= 0) return index;
    const suggestion = closest(column, header);
    const hint = suggestion !== null ? `did you mean "${suggestion}"?` : `the columns are ${header.map((h) => `"${h}"`).join(", ")}`;
    throw new DataError(`no column named "${column}" (${hint})`, { file, row: 1 });
  };
  const labelIndices = (Array.isArray(label) ? label : [label]).map(find);
  const featureIndices = features === null ? range(width).filter((i) => !labelIndices.includes(i)) : features.map(find);
  const name = (i: number) => (header ? header[i]! : i);
  const twice = (indices: number[], setting: string) => {
    const seen = new Set<number>();
    for (const i of indices) {
      if (seen.has(i)) throw new DataError(`is listed twice in \`${setting}\``, { file, column: name(i) });
      seen.add(i);
    }
  };
  twice(labelIndices, "label");
  const both = featureIndices.find((i) => labelIndices.includes(i));
  if (both !== undefined) throw new DataError("is the label, so it cannot also be a feature", { file, column: name(both) });
  twice(featureIndices, "features");
  if (featureIndices.length === 0) throw new DataError("the file has no feature columns besides the label", { file });
  return { labels: labelIndices, features: featureIndices };
}

function checkDuplicates(file: string, header: string[]): void {
  const first = new Map<string, number>();
  header.forEach((name, i) => {
    const earlier = first.get(name);
    if (earlier !== undefined) {
      throw new DataError(`the header names column "${name}" twice (columns ${earlier} and ${i}, counting from 0)`, { file, row: 1 });
    }
    first.set(name, i);
  });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
