// The parser on well-formed input: every construct gives the expected tree, precedence is the
// documented one, spans cover the right text, comments are collected, and every example parses.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type * as A from "../../grammar/ast.ts";
import { parse } from "../../grammar/index.ts";
import { expression, parseClean, settings, show, showArg, stripSpans, textOf } from "./helpers.ts";

const examples = join(dirname(fileURLToPath(import.meta.url)), "../../examples");

function model(body: string): A.ModelStatement[] {
  return (parseClean(`model m {\n${body}\n}\n`).body[0] as A.ModelDecl).body;
}

describe("model statements", () => {
  it("reads inputs and targets with every shape form", () => {
    const [x, img, y, t] = model("input x: [B, 784]\ninput img: f32[B, 1, 28, 28]\ntarget y: class[B] of 10\ntarget t: [B, 1]");
    expect(stripSpans(x)).toEqual({
      type: "InputDecl",
      name: { type: "Identifier", name: "x" },
      shape: {
        type: "ShapeExpr",
        kind: "f32",
        dims: [
          { type: "Identifier", name: "B" },
          { type: "NumberLiteral", value: 784, raw: "784", isInteger: true },
        ],
        classes: null,
      },
    });
    expect((img as A.InputDecl).shape.kind).toBe("f32");
    expect((img as A.InputDecl).shape.kindSpan).not.toBeNull();
    expect((x as A.InputDecl).shape.kindSpan).toBeNull();
    const target = y as A.TargetDecl;
    expect(target.type).toBe("TargetDecl");
    expect(target.shape.kind).toBe("class");
    expect(target.shape.dims.map((d) => (d.type === "Identifier" ? d.name : d.raw))).toEqual(["B"]);
    expect(target.shape.classes?.value).toBe(10);
    expect((t as A.TargetDecl).shape.classes).toBeNull();
  });

  it("reads bindings, outputs, the loss and regularizers", () => {
    const body = model("h1 = dense(x, 256) |> relu\noutput probs = softmax(logits)\nloss cross_entropy(logits, y)\nregularize l2(1e-4)\nregularize l1(1e-5, on: [h1, h2.weight])");
    expect(body.map((s) => s.type)).toEqual(["Binding", "OutputDecl", "LossDecl", "RegularizeDecl", "RegularizeDecl"]);
    const [binding, output, loss, l2, l1] = body as [A.Binding, A.OutputDecl, A.LossDecl, A.RegularizeDecl, A.RegularizeDecl];
    expect(binding.name.name).toBe("h1");
    expect(show(binding.value)).toBe("(|> dense(x, 256) relu)");
    expect(output.name.name).toBe("probs");
    expect(show(output.value)).toBe("softmax(logits)");
    expect(show(loss.value)).toBe("cross_entropy(logits, y)");
    expect(show(l2.value)).toBe("l2(1e-4)");
    expect(show(l1.value)).toBe("l1(1e-5, on: [h1, h2.weight])");
  });

  it("needs no separators between statements, and newlines are not significant", () => {
    const body = model("input x: [B, 2] target y: [B, 1] h = dense(x,\n 1)\n  |> relu loss mse(h, y)");
    expect(body.map((s) => s.type)).toEqual(["InputDecl", "TargetDecl", "Binding", "LossDecl"]);
    expect(show((body[2] as A.Binding).value)).toBe("(|> dense(x, 1) relu)");
  });
});

describe("expressions", () => {
  it.each([
    ["a + b * c", "(+ a (* b c))"],
    ["a * b + c", "(+ (* a b) c)"],
    ["a - b - c", "(- (- a b) c)"],
    ["a / b @ c", "(@ (/ a b) c)"],
    ["-a * b", "(* (neg a) b)"],
    ["- -a", "(neg (neg a))"],
    ["-f(x).w", "(neg f(x).w)"],
    ["x + dense(h, 64) |> relu", "(|> (+ x dense(h, 64)) relu)"],
    ["x |> dense(64) |> relu", "(|> (|> x dense(64)) relu)"],
    ["(a + b) * c", "(* (+ a b) c)"],
    ["a |> (f |> g)", "(|> a (|> f g))"],
    ["h1.weight", "h1.weight"],
    ["a.b.c", "a.b.c"],
    ["[]", "[]"],
    ["[a, [1, 2]]", "[a, [1, 2]]"],
    ["f()", "f()"],
    ["dense(x, 10, bias: false, init: normal(std: 0.01))", "dense(x, 10, bias: false, init: normal(std: 0.01))"],
    ["x |> repeat(4, residual(64))", "(|> x repeat(4, residual(64)))"],
  ])("%s", (source, expected) => {
    expect(show(expression(source))).toBe(expected);
  });

  it("keeps numbers as written, with their values", () => {
    const list = expression("[1e-3, .5, 2.5E+4, 256, 0.5, 3e2]") as A.ListExpr;
    const numbers = list.elements as A.NumberLiteral[];
    expect(numbers.map((n) => n.raw)).toEqual(["1e-3", ".5", "2.5E+4", "256", "0.5", "3e2"]);
    expect(numbers.map((n) => n.value)).toEqual([0.001, 0.5, 25000, 256, 0.5, 300]);
    expect(numbers.map((n) => n.isInteger)).toEqual([false, false, false, true, false, false]);
  });

  it("reads strings with escapes", () => {
    const list = expression(String.raw`["data/x.csv", "a\"b", "tab\there", "back\\slash", "line\nbreak"]`) as A.ListExpr;
    const strings = list.elements as A.StringLiteral[];
    expect(strings.map((s) => s.value)).toEqual(["data/x.csv", 'a"b', "tab\there", "back\\slash", "line\nbreak"]);
    expect(strings[1]!.raw).toBe(String.raw`"a\"b"`);
  });

  it("reads positional then keyword arguments", () => {
    const call = expression("conv2d(img, 8, kernel: 3, padding: 1)") as A.Call;
    expect(call.callee.name).toBe("conv2d");
    expect(call.args.map((a) => a.name?.name ?? null)).toEqual([null, null, "kernel", "padding"]);
    expect(call.args.map(showArg)).toEqual(["img", "8", "kernel: 3", "padding: 1"]);
  });
});

describe("blocks", () => {
  it("reads parameters with defaults, bindings and the return", () => {
    const block = parseClean("block mlp(x, width: 64, act: relu) {\n  h = dense(x, width * 2) |> act\n  return h\n}\n").body[0] as A.BlockDecl;
    expect(block.type).toBe("BlockDecl");
    expect(block.name.name).toBe("mlp");
    expect(block.params.map((p) => [p.name.name, p.default ? show(p.default) : null])).toEqual([
      ["x", null],
      ["width", "64"],
      ["act", "relu"],
    ]);
    expect(block.body.map((s) => s.type)).toEqual(["Binding", "ReturnStatement"]);
    expect(show((block.body[0] as A.Binding).value)).toBe("(|> dense(x, (* width 2)) act)");
  });
});

describe("train settings", () => {
  it("reads each setting as a key and its arguments", () => {
    const s = settings(`
      data      mnist(train: 8000, test: 2000)
      split     validation: 0.1, test: 0.1
      batch     128
      metrics   loss, accuracy
      schedule  warmup(steps: 200) then cosine(to: 1e-5) then constant
      checkpoint "runs/m.safetensors", every: 2
      stop      early(on: val_loss, patience: 3, restore: best)
    `);
    const view = s.map((setting) => [setting.key.name, setting.args.map(showArg)]);
    expect(view).toEqual([
      ["data", ["mnist(train: 8000, test: 2000)"]],
      ["split", ["validation: 0.1", "test: 0.1"]],
      ["batch", ["128"]],
      ["metrics", ["loss", "accuracy"]],
      ["schedule", ["(then warmup(steps: 200) cosine(to: 1e-5) constant)"]],
      ["checkpoint", ['"runs/m.safetensors"', "every: 2"]],
      ["stop", ["early(on: val_loss, patience: 3, restore: best)"]],
    ]);
  });

  it("accepts keywords where a name is meant", () => {
    const [data, metrics] = settings("data mnist(train: 8000, test: 2000)\nmetrics loss, accuracy");
    expect((data!.args[0]!.value as A.Call).args.map((a) => a.name?.name)).toEqual(["train", "test"]);
    expect(metrics!.args.map((a) => (a.value as A.Identifier).name)).toEqual(["loss", "accuracy"]);
  });

  it("a train block may come before its model", () => {
    const program = parseClean("train m { batch 1 }\nmodel m { input x: [B, 1] }\nblock b(x) { return x }\n");
    expect(program.body.map((d) => d.type)).toEqual(["TrainDecl", "ModelDecl", "BlockDecl"]);
    expect((program.body[0] as A.TrainDecl).model.name).toBe("m");
  });
});

describe("spans", () => {
  const text = "model m {\n  h1 = dense(x, 256) |> relu   # note\n  loss cross_entropy(h1, y)\n}\n";
  const program = parseClean(text);
  const decl = program.body[0] as A.ModelDecl;
  const binding = decl.body[0] as A.Binding;

  it("point at the text of each node", () => {
    expect(textOf(text, program.span)).toBe(text);
    expect(textOf(text, decl.span)).toBe(text.trimEnd());
    expect(textOf(text, decl.name.span)).toBe("m");
    expect(textOf(text, binding.span)).toBe("h1 = dense(x, 256) |> relu");
    expect(textOf(text, binding.value.span)).toBe("dense(x, 256) |> relu");
    const pipe = binding.value as A.Pipe;
    expect(textOf(text, pipe.left.span)).toBe("dense(x, 256)");
    expect(textOf(text, (pipe.left as A.Call).args[1]!.span)).toBe("256");
    expect(textOf(text, decl.body[1]!.span)).toBe("loss cross_entropy(h1, y)");
  });

  it("point at operators, keyword arguments and shape prefixes", () => {
    const src = "model m {\n  input x: f32[B, 2]\n  a = x * 2\n  b = f(x, k: 1)\n}\n";
    const body = parseClean(src).body[0] as A.ModelDecl;
    const input = body.body[0] as A.InputDecl;
    expect(textOf(src, input.shape.span)).toBe("f32[B, 2]");
    expect(textOf(src, input.shape.kindSpan!)).toBe("f32");
    const product = (body.body[1] as A.Binding).value as A.BinaryExpr;
    expect(textOf(src, product.operatorSpan)).toBe("*");
    const call = (body.body[2] as A.Binding).value as A.Call;
    expect(textOf(src, call.args[1]!.span)).toBe("k: 1");
  });

  it("collects comments with their text and spans", () => {
    const src = "# head\nmodel m { # brace\n  a = f(x, # inside\n    1)\n}\n# tail";
    const { program: p, diagnostics } = parse(src, "c.nn");
    expect(diagnostics).toEqual([]);
    expect(p.comments.map((c) => c.text)).toEqual([" head", " brace", " inside", " tail"]);
    for (const c of p.comments) expect(textOf(src, c.span)).toBe(`#${c.text}`);
  });
});

describe("the examples", () => {
  const files = readdirSync(examples).filter((f) => f.endsWith(".nn"));

  it("exist", () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files)("%s parses without diagnostics", (file) => {
    const text = readFileSync(join(examples, file), "utf8");
    const { program, diagnostics } = parse(text, file);
    expect(diagnostics).toEqual([]);
    expect(program.body.length).toBeGreaterThan(0);
    expect(program.comments.length).toBeGreaterThan(0);
  });
});
