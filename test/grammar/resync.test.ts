// The recovery decisions made in grammar/parser.ts and grammar/index.ts that the broader recovery
// tests do not pin down: which alternative a broken statement is read as, where re-synchronization
// resumes, keywords read as names, and the nesting limit that keeps `parse` from ever throwing.

import { describe, expect, it } from "vitest";
import type * as A from "../../grammar/ast.ts";
import { MAX_DEPTH, parse } from "../../grammar/index.ts";
import { parseClean, show } from "./helpers.ts";

function errors(text: string): { codes: string[]; lines: number[]; program: A.Program } {
  const { program, diagnostics } = parse(text, "t.nn");
  const lines = diagnostics.map((d) => text.slice(0, d.span?.start ?? 0).split("\n").length);
  return { codes: diagnostics.map((d) => d.code), lines, program };
}

function statementTypes(program: A.Program): string[][] {
  return program.body.map((d) => (d.type === "TrainDecl" ? d.settings.map((s) => `Setting:${s.key.name}`) : d.body.map((s) => s.type)));
}

describe("keywords where a name is meant", () => {
  it("a keyword is a value in a setting, a list, or a call's argument", () => {
    const program = parseClean("train m {\n  metrics accuracy, loss\n  seed 1\n  stop early(on: loss)\n  data mnist(train: 10)\n  x [loss, input]\n}\n");
    const settings = (program.body[0] as A.TrainDecl).settings;
    expect(settings.map((s) => s.args.map((a) => show(a.value)).join(" "))).toEqual(["accuracy loss", "1", "early(on: loss)", "mnist(train: 10)", "[loss, input]"]);
  });

  it("a member after `.` may be a keyword", () => {
    const program = parseClean("model m {\n  regularize l2(1e-4, on: [h.input])\n}\n");
    const call = ((program.body[0] as A.ModelDecl).body[0] as A.RegularizeDecl).value;
    expect(show(call)).toBe("l2(1e-4, on: [h.input])");
  });

  it("a statement keyword after a missing value starts its statement", () => {
    const { codes, lines, program } = errors("model m {\n  h =\n  loss mse(h, y)\n}\n");
    expect(codes).toEqual(["E0105"]);
    expect(lines).toEqual([2]);
    expect(statementTypes(program)).toEqual([["LossDecl"]]);
  });
});

describe("where a broken statement resumes", () => {
  it("`NAME =` with nothing after it does not take the next binding as its value", () => {
    const { codes, program } = errors("model m {\n  h =\n  p = dense(x, 1)\n}\n");
    expect(codes).toEqual(["E0105"]);
    expect(statementTypes(program)).toEqual([["Binding"]]);
    expect(((program.body[0] as A.ModelDecl).body[0] as A.Binding).name.name).toBe("p");
  });

  it("a broken keyword statement is reported as that statement, not skipped whole", () => {
    const { codes, program } = errors("model m {\n  output = softmax(x)\n  loss mse(x, y)\n}\n");
    expect(codes).toEqual(["E0103"]);
    expect(statementTypes(program)).toEqual([["LossDecl"]]);
  });

  it("a statement of the wrong body is E0104 and the body goes on", () => {
    const { codes, program } = errors("block b(x) {\n  input z: [B, 1]\n  return x\n}\nmodel m {\n  return x\n  loss mse(x, y)\n}\n");
    expect(codes).toEqual(["E0104", "E0104"]);
    expect(statementTypes(program)).toEqual([["ReturnStatement"], ["LossDecl"]]);
  });

  it("an error deep in an expression resumes at the next statement of the same body", () => {
    const { codes, program } = errors("model m {\n  h = dense(x, [1, ])\n  a = f(g(h(]\n  loss mse(h, y)\n}\ntrain m { batch 1 }\n");
    expect(codes.length).toBeGreaterThan(0);
    expect(statementTypes(program)).toEqual([["Binding", "LossDecl"], ["Setting:batch"]]);
  });

  it("a missing `}` before the next declaration is inserted", () => {
    const { codes, lines, program } = errors("model m {\n  loss mse(x, y)\n\ntrain m {\n  batch 1\n}\n");
    expect(codes).toEqual(["E0103"]);
    expect(lines).toEqual([2]);
    expect(statementTypes(program)).toEqual([["LossDecl"], ["Setting:batch"]]);
  });

  it("a lexer error wins its line over the parser's follow-on errors", () => {
    const { codes } = errors('train m {\n  data csv("a.csv, label: "y")\n  batch 1\n}\n');
    expect(codes[0]).toBe("E0102");
  });
});

describe("trailing commas", () => {
  it("are allowed in calls, lists and block parameters, and are not arguments", () => {
    const program = parseClean("block b(x, w: 2,) {\n  return dense(x, w,)\n}\nmodel m {\n  h = f([1, 2,], k: 3,)\n}\n");
    const block = program.body[0] as A.BlockDecl;
    expect(block.params.map((p) => p.name.name)).toEqual(["x", "w"]);
    expect(show((block.body[0] as A.ReturnStatement).value)).toBe("dense(x, w)");
    expect(show(((program.body[1] as A.ModelDecl).body[0] as A.Binding).value)).toBe("f([1, 2], k: 3)");
  });

  it("a comma with nothing before it is still an error", () => {
    expect(errors("model m {\n  h = f(, 1)\n}\n").codes).toHaveLength(1);
    expect(errors("model m {\n  h = f(1,, 2)\n}\n").codes).toHaveLength(1);
  });
});

describe("nesting", () => {
  it(`accepts ${MAX_DEPTH} levels of brackets`, () => {
    const deep = "(".repeat(MAX_DEPTH) + "x" + ")".repeat(MAX_DEPTH);
    expect(() => parseClean(`model m {\n  h = ${deep}\n}\n`)).not.toThrow();
  });

  it("refuses deeper nesting with E0108 at the bracket that goes too deep, and never throws", () => {
    for (const inner of ["(", "[", "f(", "-", "(x +"]) {
      for (const count of [MAX_DEPTH + 1, 5000]) {
        const text = `model m {\n  h = ${inner.repeat(count)}\n}\n`;
        const { program, diagnostics } = parse(text, "t.nn");
        expect(diagnostics.map((d) => d.code)).toEqual(["E0108"]);
        expect(diagnostics[0]!.span!.end).toBeLessThanOrEqual(text.length);
        expect(program.body).toEqual([]);
      }
    }
  });
});
