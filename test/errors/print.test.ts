// The diagnostics printer: positions, sorting, frames for multi-line spans and tabs, notes in other
// places, the summary line and the JSON form.

import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.ts";
import { diagnosticsToJson, formatDiagnostics } from "../../compiler/diagnostics/print.ts";

const text = "model m {\n\tx = é + y\n  a = f(\n    1,\n    2,\n    3)\n}\n";
const sources = new Map([["a.nn", text]]);
const at = (s: string) => ({ start: text.indexOf(s), end: text.indexOf(s) + s.length });

const diag = (code: string, span: Diagnostic["span"], extra: Partial<Diagnostic> = {}): Diagnostic => ({
  code,
  severity: code.startsWith("E") ? "error" : "warning",
  message: `message ${code}`,
  file: "a.nn",
  span,
  notes: [],
  hint: null,
  ...extra,
});

describe("formatDiagnostics", () => {
  it("sorts by position, counts characters, keeps tabs under tabs, and sums up", () => {
    const out = formatDiagnostics(
      [diag("unused-binding", at("a")), diag("E0201", at("y"), { hint: "did you mean `x`?", notes: [{ message: "see", file: "a.nn", span: at("x") }] })],
      sources,
      { color: false },
    );
    expect(out).toBe(
      [
        "a.nn:2:10: error[E0201]: message E0201",
        "2 | \tx = é + y",
        "  | \t        ^",
        "a.nn:2:2: note: see",
        "2 | \tx = é + y",
        "  | \t^",
        "  = hint: did you mean `x`?",
        "",
        "a.nn:3:3: warning[unused-binding]: message unused-binding",
        "3 |   a = f(",
        "  |   ^",
        "",
        "1 error, 1 warning",
        "",
      ].join("\n"),
    );
  });

  it("shows the first two and the last line of a long span, and files without spans", () => {
    const out = formatDiagnostics([diag("E0202", { start: text.indexOf("f("), end: text.indexOf("3)") + 2 }), diag("E0213", null)], sources, { color: false });
    expect(out).toContain("a.nn: error[E0213]: message E0213\n\na.nn:3:7");
    expect(out).toContain("3 |   a = f(\n  |       ^^\n4 |     1,\n  |     ^^\n  ...\n6 |     3)\n  |     ^^\n");
  });

  it("converts spans to 1-based lines and columns for JSON", () => {
    const [json] = diagnosticsToJson([diag("E0201", at("y"))], sources);
    expect(json).toMatchObject({ code: "E0201", severity: "error", file: "a.nn", line: 2, column: 10, endLine: 2, endColumn: 11, notes: [], hint: null });
  });
});
