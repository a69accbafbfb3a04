// Error recovery: a broken file yields every error in one run, each with its code at the right
// place, and the tree still holds the parts that were written correctly. One case per recovery
// strategy: token insertion, token deletion, re-sync inside a repetition, re-sync between rules.

import { describe, expect, it } from "vitest";
import type * as A from "../../grammar/ast.ts";
import { parse } from "../../grammar/index.ts";

interface Found {
  code: string;
  line: number; // 1-based
  column: number; // 1-based
  text: string; // the text under the span
}

function diagnose(text: string): { found: Found[]; program: A.Program } {
  const { program, diagnostics } = parse(text, "broken.nn");
  const found = diagnostics.map((d) => {
    const start = d.span?.start ?? 0;
    const before = text.slice(0, start);
    return {
      code: d.code,
      line: before.split("\n").length,
      column: start - (before.lastIndexOf("\n") + 1) + 1,
      text: d.span ? text.slice(d.span.start, d.span.end) : "",
    };
  });
  for (const d of diagnostics) {
    expect(d.severity).toBe("error");
    expect(d.span!.start).toBeGreaterThanOrEqual(0);
    expect(d.span!.end).toBeLessThanOrEqual(text.length);
  }
  return { found, program };
}

// Each statement of each declaration as `Type:text`, to check what survived.
function statements(program: A.Program, text: string): string[][] {
  return program.body.map((d) => (d.type === "TrainDecl" ? d.settings : d.body).map((s) => `${s.type}:${text.slice(s.span.start, s.span.end)}`));
}

describe("token insertion", () => {
  it("a missing `)` is reported at the end of its line and the statements after it survive", () => {
    const text = "model m {\n  h = dense(x, 10\n  loss mse(h, y)\n}\n";
    const { found, program } = diagnose(text);
    expect(found).toEqual([{ code: "E0103", line: 2, column: 18, text: "" }]);
    const body = (program.body[0] as A.ModelDecl).body;
    expect(body.map((s) => s.type)).toEqual(["Binding", "LossDecl"]);
    expect((body[0] as A.Binding).value.type).toBe("Call");
  });

  it("a missing `]` in a shape keeps the shape's dimensions", () => {
    const text = "model m {\n  input x: [B, 2\n  target y: [B, 1]\n}\n";
    const { found, program } = diagnose(text);
    expect(found.map((f) => [f.code, f.line])).toEqual([["E0103", 2]]);
    const [input, target] = (program.body[0] as A.ModelDecl).body as [A.InputDecl, A.TargetDecl];
    expect(input.shape.dims.map((d) => (d.type === "Identifier" ? d.name : d.raw))).toEqual(["B", "2"]);
    expect(target.type).toBe("TargetDecl");
  });
});

describe("token deletion", () => {
  it("an extra `)` is reported where it is and skipped", () => {
    const text = "model m {\n  h = dense(x, 10))\n  loss mse(h, y)\n}\n";
    const { found, program } = diagnose(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 2, column: 19, text: ")" });
    expect(statements(program, text)).toEqual([["Binding:h = dense(x, 10)", "LossDecl:loss mse(h, y)"]]);
  });
});

describe("re-sync inside a repetition", () => {
  it("a garbage statement in a model body is skipped and the statements after it survive", () => {
    const text = "model m {\n  input x: [B, 2]\n  @@ 12 ,, here\n  h = dense(x, 1)\n  loss mse(h, y)\n}\n";
    const { found, program } = diagnose(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: "E0104", line: 3, column: 3 });
    expect(statements(program, text)).toEqual([["InputDecl:input x: [B, 2]", "Binding:h = dense(x, 1)", "LossDecl:loss mse(h, y)"]]);
  });

  it("a setting without a value does not take the next setting with it", () => {
    const text = "train m {\n  batch\n  epochs 3\n  seed 1\n}\n";
    const { found, program } = diagnose(text);
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found[0]!.line).toBeLessThanOrEqual(3);
    const keys = (program.body[0] as A.TrainDecl).settings.map((s) => s.key.name);
    expect(keys).toContain("seed");
  });
});

describe("re-sync between rules", () => {
  it("a broken model is followed by an intact train block", () => {
    const text = "model m {\n  input x: [B, 2\n  h = = dense(x)\n}\ntrain m {\n  batch 32\n  epochs 3\n}\n";
    const { found, program } = diagnose(text);
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found.every((f) => f.line <= 4)).toBe(true);
    expect(program.body.map((d) => d.type)).toEqual(["ModelDecl", "TrainDecl"]);
    expect(statements(program, text)[1]).toEqual(["Setting:batch 32", "Setting:epochs 3"]);
  });

  it("stray text between declarations is E0106, reported once", () => {
    const text = "model m { input x: [B, 1] }\nhello world 42\ntrain m { batch 1 }\n";
    const { found, program } = diagnose(text);
    expect(found).toEqual([{ code: "E0106", line: 2, column: 1, text: "hello world 42" }]);
    expect(program.body.map((d) => d.type)).toEqual(["ModelDecl", "TrainDecl"]);
  });
});

describe("lexical errors", () => {
  it("an unterminated string is E0102 at its opening quote", () => {
    const text = 'train m {\n  data csv("data.csv)\n  batch 1\n}\n';
    const { found, program } = diagnose(text);
    expect(found[0]).toMatchObject({ code: "E0102", line: 2, column: 12 });
    expect(program.body.map((d) => d.type)).toEqual(["TrainDecl"]);
  });

  it("an unexpected character is E0101 and the rest of the line still parses", () => {
    const text = "model m {\n  h = dense(x, 1) $ relu\n  loss mse(h, y)\n}\n";
    const { found, program } = diagnose(text);
    expect(found[0]).toEqual({ code: "E0101", line: 2, column: 19, text: "$" });
    expect((program.body[0] as A.ModelDecl).body.map((s) => s.type)).toContain("LossDecl");
  });
});

describe("other syntax errors", () => {
  it("`regularize` without a call is E0107 on its value", () => {
    const text = "model m {\n  regularize l2\n  loss mse(h, y)\n}\n";
    const { found, program } = diagnose(text);
    expect(found).toEqual([{ code: "E0107", line: 2, column: 14, text: "l2" }]);
    expect((program.body[0] as A.ModelDecl).body.map((s) => s.type)).toEqual(["LossDecl"]);
  });

  it("a missing token at the end of a line is reported at the end of that line", () => {
    const text = "model m {\n  h = dense(x,\n  loss mse(h, y)\n}\n";
    const { found } = diagnose(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 2, column: 15 });
  });

  it("reports every error of a file in one run", () => {
    const text = "model m {\n  h = dense(x, 10\n  input y [B, 1]\n  $\n}\ntrain m { batch }\nstray\n";
    const { found } = diagnose(text);
    const lines = found.map((f) => f.line);
    expect(new Set(lines)).toEqual(new Set([2, 3, 4, 6, 7]));
    expect(found.map((f) => f.code)).toContain("E0101");
    expect(found.map((f) => f.code)).toContain("E0106");
  });

  it("an empty file and a file of comments have no errors and no declarations", () => {
    for (const text of ["", "# only a comment\n", "\n\n  \n"]) {
      const { found, program } = diagnose(text);
      expect(found).toEqual([]);
      expect(program.body).toEqual([]);
    }
  });
});
