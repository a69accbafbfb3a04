// Every registered diagnostic code (all areas: syntax, names, shapes, arguments, losses, training,
// data) must appear in at least one golden case's expected.txt, and in docs/ERRORS.md.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CODES } from "../../compiler/diagnostics/registry.ts";
import { CASES_DIR, codesIn, goldenCases } from "./cases.ts";

describe("diagnostic coverage", () => {
  it("every code has a golden case", () => {
    const seen = new Set<string>();
    for (const c of goldenCases()) {
      try {
        for (const code of codesIn(readFileSync(c.expectedPath, "utf8"))) seen.add(code);
      } catch {
        // A case without expected.txt fails in errors.test.ts.
      }
    }
    const missing = Object.keys(CODES).filter((code) => !seen.has(code));
    expect(missing, `codes without a case in test/errors/<case>/expected.txt: ${missing.join(", ")}`).toEqual([]);
  });

  it("there are at least 40 cases", () => {
    expect(goldenCases().length).toBeGreaterThanOrEqual(40);
  });

  it("docs/ERRORS.md lists every code", () => {
    const doc = readFileSync(join(CASES_DIR, "../../docs/ERRORS.md"), "utf8");
    const missing = Object.keys(CODES).filter((code) => !doc.includes(`## ${code}`));
    expect(missing, `codes missing from docs/ERRORS.md (run npm run update-snapshots): ${missing.join(", ")}`).toEqual([]);
  });
});
