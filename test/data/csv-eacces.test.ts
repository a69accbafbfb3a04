// A CSV file nnc may not read (EACCES) gives "permission denied", at check time and when training
// starts, never a stack trace. The tests run as root, who may read anything, so the refusal is
// simulated: opening any path that contains "forbidden" fails as the kernel would.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { checkSource } from "../../compiler/index.ts";
import { loadCsv } from "../../runtime/data/csv.ts";
import { DataError } from "../../runtime/data/errors.ts";

vi.mock("node:fs", async (original) => {
  const actual = await original<typeof import("node:fs")>();
  const openSync = ((path: string, ...rest: unknown[]) => {
    if (String(path).includes("forbidden")) {
      throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: "EACCES", errno: -13, syscall: "open", path });
    }
    return (actual.openSync as (...args: unknown[]) => number)(path, ...rest);
  }) as typeof actual.openSync;
  return { ...actual, default: { ...actual, openSync }, openSync };
});

const dir = mkdtempSync(join(tmpdir(), "nnc-eacces-"));
writeFileSync(join(dir, "forbidden.csv"), "a,y\n1,0\n");

describe("an unreadable CSV file", () => {
  it("when training starts: the file and `permission denied`", () => {
    let caught: unknown;
    try {
      loadCsv({ kind: "csv", path: "forbidden.csv", label: "y", features: null, header: true, delimiter: "," }, dir, { kind: "real" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DataError);
    expect((caught as DataError).format()).toBe(`${join(dir, "forbidden.csv")}: cannot read the file: permission denied`);
  });

  it("at check time: E0713 at the path", () => {
    const source = `model m {\n  input x: [B, 1]\n  target y: [B, 1]\n  p = dense(x, 1)\n  loss mse(p, y)\n}\ntrain m {\n  data csv("forbidden.csv", label: "y")\n  optimizer sgd(lr: 0.1)\n}\n`;
    const result = checkSource(source, "m.nn", { baseDir: dir });
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(errors.map((d) => [d.code, d.message])).toEqual([["E0713", "cannot read the data file `forbidden.csv`: permission denied"]]);
  });
});
