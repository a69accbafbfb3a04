// Golden overrides: each case folder holds `overrides.txt` (one `--set` per line; a line
// `--epochs 3`, `--batch N` or `--seed S` stands for that option) and `expected.txt`, exactly what
// `nnc run` prints for them on the file `input.nn` (the case's own, or the one beside this file),
// without color. `UPDATE_SNAPSHOTS=1 npx vitest run test/overrides` rewrites them after an intended
// change; read the diff.

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.ts";
import { optionOverride, overrideSources, setOverride, type Override } from "../../compiler/analyze/overrides.ts";
import { formatDiagnostics } from "../../compiler/diagnostics/print.ts";

const DIR = dirname(fileURLToPath(import.meta.url));
const update = process.env.UPDATE_SNAPSHOTS === "1";

// The overrides of one line each, as cli/overrides.ts makes them from the command line.
export function overridesOf(lines: string[]): Override[] {
  const shorthands: Override[] = [];
  const sets: Override[] = [];
  for (const line of lines) {
    const option = /^--(epochs|batch|seed) (.*)$/.exec(line);
    if (option) shorthands.push(optionOverride(`--${option[1]}`, option[1]!, option[2]!));
    else sets.push(setOverride(sets.length + 1, line)!);
  }
  return [...shorthands, ...sets];
}

function render(dir: string): string {
  const own = join(dir, "input.nn");
  const input = existsSync(own) ? own : join(DIR, "input.nn");
  const text = readFileSync(input, "utf8");
  const lines = readFileSync(join(dir, "overrides.txt"), "utf8").split("\n").filter((l) => l.trim() !== "");
  const overrides = overridesOf(lines);
  const compiled = compile(text, "input.nn", { baseDir: dir, overrides });
  return formatDiagnostics(compiled.diagnostics, new Map([["input.nn", text], ...overrideSources(overrides)]), { color: false });
}

describe("golden override diagnostics", () => {
  const cases = readdirSync(DIR, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(DIR, e.name, "overrides.txt")));
  it("has cases", () => expect(cases.length).toBeGreaterThan(10));
  for (const c of cases) {
    it(c.name, () => {
      const dir = join(DIR, c.name);
      const expectedPath = join(dir, "expected.txt");
      const actual = render(dir);
      if (update || !existsSync(expectedPath)) {
        writeFileSync(expectedPath, actual);
        if (!update) throw new Error(`${c.name}: no expected.txt yet; wrote one, check it and run again`);
        return;
      }
      expect(actual).toBe(readFileSync(expectedPath, "utf8"));
      // Every case is an error case.
      expect(actual).toMatch(/^\d+ errors?/m);
    });
  }
});
