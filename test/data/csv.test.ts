// CSV files: the happy paths, and every malformed file with the exact message a user sees.

import { describe, expect, it } from "vitest";
import type { CsvSource, LabelKind } from "../../runtime/data/csv.ts";
import { loadCsv } from "../../runtime/data/csv.ts";
import { DataError } from "../../runtime/data/errors.ts";

const BASE = "test/data/fixtures";
const classes = (k: number): LabelKind => ({ kind: "class", classes: k });
const csv = (path: string, more: Partial<CsvSource> = {}): CsvSource => ({
  kind: "csv",
  path,
  label: "y",
  features: null,
  header: true,
  delimiter: ",",
  ...more,
});

describe("csv: reading", () => {
  it("reads a header, string labels in sorted order, and feature names", () => {
    const data = loadCsv(csv("flowers.csv", { label: "species" }), BASE, classes(3));
    expect(data.n).toBe(4);
    expect(data.featureSize).toBe(4);
    expect(data.featureNames).toEqual(["sepal_length", "sepal_width", "petal_length", "petal_width"]);
    expect(data.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect([...data.targets]).toEqual([0, 1, 2, 0]);
    expect([...data.features.subarray(4, 8)]).toEqual([7, 3.2, 4.7, 1.4].map(Math.fround));
    expect(data.targetKind).toBe("class");
    expect(data.classes).toBe(3);
  });

  it("takes the label by index and chosen features by name, in the order given", () => {
    const data = loadCsv(csv("flowers.csv", { label: 4, features: ["petal_width", "sepal_length"] }), BASE, classes(3));
    expect(data.featureNames).toEqual(["petal_width", "sepal_length"]);
    expect([...data.features.subarray(0, 2)]).toEqual([0.2, 5.1].map(Math.fround));
  });

  it("uses integer labels as they are", () => {
    const data = loadCsv(csv("numeric-labels.csv", { label: "label" }), BASE, classes(3));
    expect([...data.targets]).toEqual([0, 2, 1]);
    expect([...data.features]).toEqual([0.5, 1.5, -1, 0.2, 3, 4].map(Math.fround));
    expect(data.classNames).toBeNull();
  });

  it("reads a file without a header, with another delimiter, columns by number", () => {
    const data = loadCsv(csv("no-header.csv", { header: false, delimiter: ";", label: 2, features: [0, 1] }), BASE, { kind: "real" });
    expect(data.n).toBe(3);
    expect(data.featureNames).toBeNull();
    expect([...data.features]).toEqual([1.5, 2, 3, 4, -5, 0.5]);
    expect([...data.targets]).toEqual([7.25, 8, 1000]);
  });

  it("reads real targets", () => {
    const data = loadCsv(csv("regression.csv", { label: "score" }), BASE, { kind: "real" });
    expect(data.targetKind).toBe("real");
    expect(data.classes).toBeNull();
    expect([...data.targets]).toEqual([52.5, 61, 70.25]);
    expect([...data.features]).toEqual([1, 2, 3]);
  });

  it("reads a quoted cell that spans lines", () => {
    const data = loadCsv(csv("multiline-ok.csv", { features: ["a"] }), BASE, classes(2));
    expect([...data.features]).toEqual([1, 2]);
  });
});

// [case, source, labels, exact formatted message]
const MALFORMED: [string, CsvSource, LabelKind, string][] = [
  ["missing file", csv("nope.csv"), classes(2), `${BASE}/nope.csv: cannot find the file`],
  ["empty file", csv("empty.csv"), classes(2), `${BASE}/empty.csv: the file is empty`],
  ["only blank lines", csv("blank.csv"), classes(2), `${BASE}/blank.csv: the file is empty`],
  ["header without rows", csv("header-only.csv"), classes(2), `${BASE}/header-only.csv: the file has a header but no rows`],
  ["wrong column count", csv("wrong-columns.csv"), classes(2), `${BASE}/wrong-columns.csv:3: this row has 2 cells, but the header has 3`],
  ["not a number", csv("bad-number.csv"), classes(2), `${BASE}/bad-number.csv:3: column "b": "abc" is not a number`],
  ["empty cell", csv("empty-cell.csv"), classes(2), `${BASE}/empty-cell.csv:3: column "b": the cell is empty`],
  ["label out of range", csv("label-range.csv"), classes(3), `${BASE}/label-range.csv:3: column "y": label 3 is out of range 0..2 (the target has 3 classes)`],
  ["fractional label", csv("label-fraction.csv"), classes(3), `${BASE}/label-fraction.csv:3: column "y": label 1.5 is not a class number (an integer from 0 to 2)`],
  ["real label not a number", csv("mixed-labels.csv"), { kind: "real" }, `${BASE}/mixed-labels.csv:4: column "y": "2x" is not a number`],
  ["mixed labels", csv("mixed-labels.csv"), classes(3), `${BASE}/mixed-labels.csv:4: column "y": label "2x" is a name, but other labels in this column are numbers`],
  [
    "more names than classes",
    csv("flowers.csv", { label: "species" }),
    classes(2),
    `${BASE}/flowers.csv:4: column "species": label "virginica" would be class number 3, but the target has 2 classes (the labels before it: "setosa", "versicolor")`,
  ],
  ["unknown column", csv("flowers.csv", { label: "specis" }), classes(3), `${BASE}/flowers.csv:1: no column named "specis" (did you mean "species"?)`],
  [
    "unknown column, nothing close",
    csv("flowers.csv", { label: "species", features: ["colour"] }),
    classes(3),
    `${BASE}/flowers.csv:1: no column named "colour" (the columns are "sepal_length", "sepal_width", "petal_length", "petal_width", "species")`,
  ],
  ["column number too large", csv("flowers.csv", { label: 7 }), classes(3), `${BASE}/flowers.csv: no column 7: the file has 5 columns, numbered 0 to 4`],
  [
    "name without a header",
    csv("no-header.csv", { header: false, delimiter: ";", label: "y" }),
    { kind: "real" },
    `${BASE}/no-header.csv: no column named "y": the file has no header (header: false), so name columns by number, counting from 0`,
  ],
  ["duplicate header", csv("duplicate-header.csv"), classes(2), `${BASE}/duplicate-header.csv:1: the header names column "a" twice (columns 0 and 2, counting from 0)`],
  ["label among the features", csv("numeric-labels.csv", { label: "label", features: ["x1", "label"] }), classes(3), `${BASE}/numeric-labels.csv: column "label": is the label, so it cannot also be a feature`],
  ["unclosed quote", csv("unclosed-quote.csv"), classes(2), `${BASE}/unclosed-quote.csv:3: a quoted cell is never closed`],
  ["line numbers count blank lines and CRLF", csv("crlf-blank.csv"), classes(2), `${BASE}/crlf-blank.csv:6: column "b": "x" is not a number`],
  ["no header: columns are numbers", csv("bad-number.csv", { header: false, label: 2 }), classes(2), `${BASE}/bad-number.csv:1: column 0: "a" is not a number`],
  [
    "no header: rows are compared with the first",
    csv("wrong-columns-no-header.csv", { header: false, label: 2 }),
    classes(2),
    `${BASE}/wrong-columns-no-header.csv:3: this row has 2 cells, but line 1 has 3`,
  ],
  ["line numbers after a cell spanning lines", csv("multiline.csv", { features: ["a"] }), classes(2), `${BASE}/multiline.csv:5: column "a": "q" is not a number`],
  [
    "a wrong delimiter",
    csv("no-header.csv", { header: false, label: 1 }),
    { kind: "real" },
    `${BASE}/no-header.csv: no column 1: the file has only one column (is the delimiter right?)`,
  ],
];

describe("csv: malformed files", () => {
  it.each(MALFORMED)("%s", (_name, source, labels, message) => {
    let caught: unknown;
    try {
      loadCsv(source, BASE, labels);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DataError);
    expect((caught as DataError).format()).toBe(message);
  });

  it("keeps file, row and column as fields", () => {
    try {
      loadCsv(csv("bad-number.csv"), BASE, classes(2));
      expect.unreachable();
    } catch (error) {
      const e = error as DataError;
      expect([e.file, e.row, e.column, e.message]).toEqual([`${BASE}/bad-number.csv`, 3, "b", `"abc" is not a number`]);
    }
  });
});
