// Big and hostile inputs: the work of `nnc check` grows with the input times a logarithm, never with
// its square (counted in operations, not measured with a clock), deep chains are reported instead
// of exhausting the stack, and what is printed stays bounded.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/index.ts";
import { LineIndex, lookupWork } from "../../compiler/diagnostics/lines.ts";
import { diagnosticsToJson, formatDiagnostics } from "../../compiler/diagnostics/print.ts";
import { closest, suggestionWork } from "../../compiler/diagnostics/registry.ts";

// The lookup steps to check `text` and print its diagnostics as text and as JSON.
function lookupSteps(text: string): { steps: number; errors: number } {
  const before = lookupWork.steps;
  const { diagnostics } = checkSource(text, "x.nn");
  const sources = new Map([["x.nn", text]]);
  formatDiagnostics(diagnostics, sources);
  diagnosticsToJson(diagnostics, sources);
  return { steps: lookupWork.steps - before, errors: diagnostics.length };
}

const model = (body: string) => `model m {\n  input x: [B, 4]\n  target y: [B, 4]\n${body}\n  loss mse(x, y)\n}\n`;

describe("the work of checking big inputs", () => {
  it("the line index gives the same lines and columns as reading the text", () => {
    const text = fc.array(fc.constantFrom("a", "\n", "😀", "\t", "é"), { maxLength: 60 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(text, fc.nat(), (t, n) => {
        const offset = n % (t.length + 1);
        const before = t.slice(0, offset).split("\n");
        expect(new LineIndex(t).position(offset)).toEqual({ line: before.length, column: [...before.at(-1)!].length + 1 });
      }),
    );
  });

  it("locates many syntax errors with a line index, not a scan per error", () => {
    const small = lookupSteps(model("  h = =\n".repeat(1000)));
    const large = lookupSteps(model("  h = =\n".repeat(8000)));
    expect(small.errors).toBe(1000);
    expect(large.errors).toBe(8000);
    // n·log n: 8 times the errors cost about 8 · log(8000)/log(1000) ≈ 10 times the steps; a scan
    // of the file per error would cost 64 times.
    expect(large.steps / small.steps).toBeLessThan(12);
  });

  it("finds columns on one long line without reading the line for each error", () => {
    const line = (n: number) => model(`  h = concat(${Array(n).fill("q").join(", ")}, axis: 1)\n  output o = h`);
    const small = lookupSteps(line(1000));
    const large = lookupSteps(line(8000));
    expect(large.errors).toBeGreaterThanOrEqual(8000);
    expect(large.steps / small.steps).toBeLessThan(12);
  });

  it("bounds the edit distance of \"did you mean\" by the names' lengths and a cutoff", () => {
    const before = suggestionWork.cells;
    expect(closest("a".repeat(100_000), ["a".repeat(99_990), "relu"])).toBeNull();
    expect(suggestionWork.cells - before).toBe(0);
    // Among names of similar length, rows stop once the distance must pass the cutoff.
    const names = Array.from({ length: 1000 }, (_, i) => `layer_${"x".repeat(40)}_${i}`);
    const start = suggestionWork.cells;
    expect(closest(`zzzzz_${"y".repeat(40)}`, names)).toBeNull();
    expect(suggestionWork.cells - start).toBeLessThan(1000 * 60 * 20);
    expect(closest("dnese", ["dense", "relu"])).toBe("dense");
  });

  it("checks a file with a 100,000-character name and says so briefly", () => {
    const text = model(`  h = ${"a".repeat(100_000)}\n  output o = h`);
    const before = suggestionWork.cells;
    const { diagnostics } = checkSource(text, "x.nn");
    expect(diagnostics.map((d) => d.code)).toContain("E0201");
    expect(suggestionWork.cells - before).toBe(0);
    const printed = formatDiagnostics(diagnostics, new Map([["x.nn", text]]));
    expect(printed.length).toBeLessThan(2000);
  });
});

describe("deep and long inputs", () => {
  it("reports a chain of 10,000 terms (and 10,000 pipe stages) as nested too deeply", () => {
    for (const chain of [Array(10_000).fill("x").join(" + "), `x${" |> relu".repeat(10_000)}`]) {
      const { diagnostics } = checkSource(model(`  h = ${chain}\n  output o = h`), "x.nn");
      expect(diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(["E0108 this is nested more than 200 levels deep"]);
    }
  });

  it("checks blocks that use blocks thousands of levels deep without a stack trace", () => {
    const blocks = Array.from({ length: 5000 }, (_, i) => `block b${i}(x) {\n  return ${i === 4999 ? "x" : `b${i + 1}(x)`}\n}`).join("\n");
    const { diagnostics } = checkSource(`${model("  h = b0(x)\n  output o = h")}${blocks}\n`, "x.nn");
    expect(diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual(["E0108 this is nested more than 100 levels deep"]);
  });
});
