// Streaming CSV files (issue 6): the file is read in chunks, never as one string; records, quoted
// cells, CRLF line breaks and a byte-order mark split across chunk boundaries read the same as with
// one big chunk; values beyond 32-bit floats and hexadecimal are refused with file, row and column;
// folders, devices and unreadable paths get a reason; several label columns; 0/1 and −1/+1 labels
// for hinge and perceptron.

import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { CsvSource, LabelKind } from "../../runtime/data/csv.ts";
import { loadCsv } from "../../runtime/data/csv.ts";
import { DataError } from "../../runtime/data/errors.ts";

// Every text csv-parse is given, so a test can check that none is the whole file.
const parsed = vi.hoisted(() => ({ longest: 0 }));
vi.mock("csv-parse/sync", async (original) => {
  const actual = await original<typeof import("csv-parse/sync")>();
  return {
    ...actual,
    parse: ((input: string, options: object) => {
      parsed.longest = Math.max(parsed.longest, input.length);
      return actual.parse(input, options);
    }) as typeof actual.parse,
  };
});

const dir = mkdtempSync(join(tmpdir(), "nnc-csv-"));
const csv = (path: string, more: Partial<CsvSource> = {}): CsvSource => ({ kind: "csv", path, label: "y", features: null, header: true, delimiter: ",", ...more });
const real: LabelKind = { kind: "real" };

function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof DataError) return error.format();
    throw error;
  }
  throw new Error("expected a DataError");
}

describe("csv: streaming in chunks", () => {
  it("reads the same at every chunk size: BOM, CRLF, blank lines, quoted cells with line breaks and quotes", () => {
    const text = '\uFEFFa,"note, with comma",y\r\n1,"two\r\nlines",0\r\n\r\n  \r\n2,"say ""hi""",1\r\n3.5,x,0\n\n4,"",1\r5,"é ü",0';
    const name = write("tricky.csv", text);
    const source = csv(name, { features: ["a"] });
    const whole = loadCsv(source, dir, { kind: "class", classes: 2 });
    expect([...whole.features]).toEqual([1, 2, 3.5, 4, 5]);
    expect([...whole.targets]).toEqual([0, 1, 0, 1, 0]);
    for (let chunkSize = 1; chunkSize <= 9; chunkSize++) {
      const data = loadCsv(source, dir, { kind: "class", classes: 2 }, { chunkSize });
      expect([...data.features], `chunk ${chunkSize}`).toEqual([...whole.features]);
      expect([...data.targets], `chunk ${chunkSize}`).toEqual([...whole.targets]);
    }
  });

  it("reports the same line at every chunk size", () => {
    const name = write("late-error.csv", 'a,note,y\r\n1,"x\r\ny",0\r\n\r\n2,z,1\r\noops,w,1\r\n');
    for (const chunkSize of [1, 2, 3, 5, 8, 1 << 20]) {
      const got = message(() => loadCsv(csv(name, { features: ["a"] }), dir, real, { chunkSize }));
      expect(got, `chunk ${chunkSize}`).toBe(`${join(dir, name)}:6: column "a": "oops" is not a number`);
    }
    const unclosed = write("unclosed.csv", 'a,y\n1,0\n\n2,"open\n3,1\n4,0\n');
    for (const chunkSize of [1, 4, 1 << 20]) {
      expect(message(() => loadCsv(csv(unclosed), dir, real, { chunkSize }))).toBe(`${join(dir, unclosed)}:4: a quoted cell is never closed`);
    }
  });

  it("reads a large file correctly without ever parsing it as one string", () => {
    const rows = 60_000;
    const lines = ["x1,x2,y"];
    for (let i = 0; i < rows; i++) lines.push(i % 1000 === 0 ? `${i},"${i / 4}",${i % 3}` : `${i},${i / 4},${i % 3}`);
    const name = write("large.csv", lines.join("\r\n") + "\r\n");
    parsed.longest = 0;
    const data = loadCsv(csv(name), dir, { kind: "class", classes: 3 }, { chunkSize: 4096 });
    expect(data.n).toBe(rows);
    expect(data.features[2 * 12345]).toBe(12345);
    expect(data.features[2 * 12345 + 1]).toBe(Math.fround(12345 / 4));
    expect(data.targets[rows - 1]).toBe((rows - 1) % 3);
    let sum = 0;
    for (let i = 0; i < rows; i++) sum += data.features[2 * i]!;
    expect(sum).toBe((rows * (rows - 1)) / 2);
    expect(data.features.length).toBe(rows * 2); // no slack left from growing
    expect(parsed.longest).toBeGreaterThan(0);
    expect(parsed.longest).toBeLessThan(4096 + 100);
  });
});

describe("csv: numbers nnc does not compute with", () => {
  it.each([
    ["1e39", "1e39 is beyond the range of 32-bit floats (about ±3.4e38), which nnc computes in"],
    ["-1e400", "-1e400 is beyond the range of 32-bit floats (about ±3.4e38), which nnc computes in"],
    ["0x10", '"0x10" is not a number'],
    ["Infinity", '"Infinity" is not a number'],
  ])("%s in a feature", (cell, problem) => {
    const name = write(`big-${cell}.csv`, `a,b,y\n1,2,0\n3,${cell},1\n`);
    expect(message(() => loadCsv(csv(name), dir, real))).toBe(`${join(dir, name)}:3: column "b": ${problem}`);
  });

  it("a real label beyond f32, with the column's number when there is no header", () => {
    const name = write("big-label.csv", "1,2,0\n3,4,1e39\n");
    expect(message(() => loadCsv(csv(name, { header: false, label: 2 }), dir, real))).toBe(
      `${join(dir, name)}:2: column 2: 1e39 is beyond the range of 32-bit floats (about ±3.4e38), which nnc computes in`,
    );
  });

  it("3.4e38 itself is read", () => {
    const name = write("f32-max.csv", "a,y\n3.4e38,0\n-3.4e38,1\n");
    expect([...loadCsv(csv(name), dir, real).features]).toEqual([Math.fround(3.4e38), Math.fround(-3.4e38)]);
  });
});

describe("csv: files that cannot be read", () => {
  it("a folder is a folder, a device is refused, a path through a file is named", () => {
    expect(message(() => loadCsv(csv("."), dir, real))).toBe(`${dir}: cannot read the file: it is a folder, not a file`);
    expect(message(() => loadCsv(csv("/dev/zero"), dir, real))).toBe("/dev/zero: cannot read the file: it is not a regular file (a device, a pipe or a socket)");
    const name = write("plain.csv", "a,y\n1,0\n");
    expect(message(() => loadCsv(csv(`${name}/inner.csv`), dir, real))).toBe(`${join(dir, name)}/inner.csv: cannot read the file: a part of the path is not a folder`);
  });

  // Root reads any file whatever its mode, so permission is only testable as another user.
  it.skipIf(process.getuid?.() === 0)("an unreadable file says permission denied", () => {
    const name = write("secret.csv", "a,y\n1,0\n");
    chmodSync(join(dir, name), 0o000);
    expect(message(() => loadCsv(csv(name), dir, real))).toBe(`${join(dir, name)}: cannot read the file: permission denied`);
  });
});

describe("csv: labels", () => {
  it("several label columns give one real value per column (one-hot or probability rows)", () => {
    const name = write("soft.csv", "x,p_a,p_b,p_c\n1,1,0,0\n2,0,0.5,0.5\n");
    const data = loadCsv(csv(name, { label: ["p_a", "p_b", "p_c"] }), dir, real);
    expect([data.targetSize, data.featureSize, data.targetKind]).toEqual([3, 1, "real"]);
    expect([...data.targets]).toEqual([1, 0, 0, 0, 0.5, 0.5]);
    expect(data.featureNames).toEqual(["x"]);
  });

  it("hinge and perceptron labels: 0/1 and −1/+1 both become classes 0 and 1", () => {
    const zeroOne = write("zero-one.csv", "x,y\n1,0\n2,1\n3,1\n");
    const signed = write("signed.csv", "x,y\n1,-1\n2,+1\n3,1\n");
    expect([...loadCsv(csv(zeroOne), dir, { kind: "signed" }).targets]).toEqual([0, 1, 1]);
    expect([...loadCsv(csv(signed), dir, { kind: "signed" }).targets]).toEqual([0, 1, 1]);
    expect(loadCsv(csv(signed), dir, { kind: "signed" }).classes).toBe(2);
  });

  it("hinge and perceptron labels: anything else is an error with its row", () => {
    const two = write("two.csv", "x,y\n1,0\n2,2\n");
    expect(message(() => loadCsv(csv(two), dir, { kind: "signed" }))).toBe(
      `${join(dir, two)}:3: column "y": label 2 is not a class for hinge or perceptron: write the two classes as 0 and 1, or −1 and +1`,
    );
    const mixed = write("mixed-signs.csv", "x,y\n1,-1\n2,1\n3,0\n");
    expect(message(() => loadCsv(csv(mixed), dir, { kind: "signed" }))).toBe(
      `${join(dir, mixed)}:4: column "y": the labels mix 0 and −1: write the two classes as 0 and 1, or −1 and +1`,
    );
  });
});
