// The golden diagnostic cases: one folder per case, `<case>/input.nn` and `<case>/expected.txt`
// (exactly what `nnc check` prints for it, without color).

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkSource } from "../../compiler/index.ts";
import { formatDiagnostics } from "../../compiler/diagnostics/print.ts";

export const CASES_DIR = dirname(fileURLToPath(import.meta.url));

export interface GoldenCase {
  name: string;
  dir: string;
  input: string;
  expectedPath: string;
}

export function goldenCases(): GoldenCase[] {
  return readdirSync(CASES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(CASES_DIR, entry.name, "input.nn")))
    .map((entry) => ({
      name: entry.name,
      dir: join(CASES_DIR, entry.name),
      input: join(CASES_DIR, entry.name, "input.nn"),
      expectedPath: join(CASES_DIR, entry.name, "expected.txt"),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

// What `nnc check` prints for the case. The file is called `input.nn` in the output, so the
// expectations do not depend on where the repository lives; data paths resolve in the case folder.
export function render(c: GoldenCase): string {
  const text = readFileSync(c.input, "utf8");
  const result = checkSource(text, "input.nn", { baseDir: c.dir });
  return formatDiagnostics(result.diagnostics, new Map([["input.nn", text]]), { color: false });
}

// The codes an expected output mentions: `error[E0302]`, `warning[unused-binding]`.
export function codesIn(text: string): Set<string> {
  return new Set([...text.matchAll(/^\S.*?(?:error|warning)\[([^\]]+)\]/gm)].map((m) => m[1]!));
}
