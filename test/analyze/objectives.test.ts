// Objectives with free parameters: `param` declarations, indexing, powers and the built-in test
// functions, from the parser through the checker to the values and gradients of the lowered IR.

import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.ts";
import type * as A from "../../grammar/ast.ts";
import { buildCurvatureGraph } from "../../compiler/step/curvature.ts";
import { CpuCurvatureEngine } from "../../runtime/analysis/cpu-engine.ts";
import { chunksOf } from "../../runtime/analysis/engine.ts";
import { initializeParams } from "../../runtime/train/init.ts";
import { expression, parseClean, show } from "../grammar/helpers.ts";

// The loss value, its gradient, and the parameters of a model without data at its initial weights.
async function lossOf(params: string, formula: string) {
  const text = `model m {\n${params}\n  loss ${formula}\n}\ntrain m {\n  data none\n  optimizer sgd(lr: 0.1)\n}\n`;
  const compiled = compile(text, "t.nn");
  const errors = compiled.diagnostics.filter((d) => d.severity === "error");
  if (errors.length || !compiled.evalGraph || !compiled.config) throw new Error(errors.map((d) => d.message).join("\n"));
  const graph = compiled.evalGraph;
  const initial = initializeParams(graph.params, compiled.config.seed);
  const curvature = buildCurvatureGraph(graph);
  const engine = new CpuCurvatureEngine(curvature, chunksOf(curvature, null, "mean", 1), {});
  const theta = Float64Array.from(initial.flatMap((p) => Array.from(p)));
  engine.setParams(theta);
  const { loss, gradient } = await engine.lossAndGradient();
  // Central differences of the loss, for the gradient, one at a time: an engine evaluates at the
  // weights it was last given.
  const eps = 1e-6;
  const numeric: number[] = [];
  for (let i = 0; i < theta.length; i++) {
    const at = async (d: number) => {
      engine.setParams(theta.map((t, j) => (j === i ? t + d : t)));
      return (await engine.lossAndGradient()).loss;
    };
    numeric.push(((await at(eps)) - (await at(-eps))) / (2 * eps));
  }
  return { loss, gradient: Array.from(gradient), numeric, graph, initial };
}

describe("the syntax", () => {
  it("reads `^` tighter than unary minus and to the right, with a signed exponent", () => {
    expect(show(expression("-x^2"))).toBe("(neg (^ x 2))");
    expect(show(expression("a^b^c"))).toBe("(^ a (^ b c))");
    expect(show(expression("x^-1 * 2"))).toBe("(* (^ x (neg 1)) 2)");
    expect(show(expression("2 * x^2 + y"))).toBe("(+ (* 2 (^ x 2)) y)");
    expect(show(expression("(a + b)^2"))).toBe("(^ (+ a b) 2)");
  });

  it("reads indexing as a postfix, chained with members and calls", () => {
    expect(show(expression("w[0]^2"))).toBe("(^ w[0] 2)");
    expect(show(expression("W[1, -1]"))).toBe("W[1, (neg 1)]");
    expect(show(expression("f(x)[0][1]"))).toBe("f(x)[0][1]");
    const index = expression("w[0]") as A.IndexExpr;
    expect(index.type).toBe("IndexExpr");
    expect(index.indices).toHaveLength(1);
  });

  it("reads `param NAME: SHAPE init VALUE`, with the shape and the value optional", () => {
    const body = (parseClean("model m {\n  param w: [2] init [-1.5, 2]\n  param x init 0.5\n  param s\n  param e: []\n  init = w\n}\n").body[0] as A.ModelDecl).body;
    const params = body.filter((s): s is A.ParamDecl => s.type === "ParamDecl");
    expect(params.map((p) => [p.name.name, p.shape?.dims.length ?? null, p.init ? show(p.init) : null])).toEqual([
      ["w", 1, "[(neg 1.5), 2]"],
      ["x", null, "0.5"],
      ["s", null, null],
      ["e", 0, null],
    ]);
    // `init = …` on the next line is a binding named `init`, not the parameter's initial value.
    expect(body.at(-1)!.type).toBe("Binding");
  });
});

describe("checking and lowering", () => {
  it("names a free parameter by itself and initializes it as written", async () => {
    const { graph, initial } = await lossOf("  param w: [2] init [-1.5, 2]\n  param W: [2, 2] init [[1, 2], [3, 4]]\n  param c init 0.25\n  param z: [3]", "sum(w) + sum(W) + c + sum(z)");
    expect(graph.params.map((p) => [p.name, p.shape, p.role])).toEqual([
      ["w", [2], "weight"],
      ["W", [2, 2], "weight"],
      ["c", [], "weight"],
      ["z", [3], "weight"],
    ]);
    expect(initial.map((p) => Array.from(p))).toEqual([[-1.5, 2], [1, 2, 3, 4], [0.25], [0, 0, 0]]);
  });

  it("computes the built-in functions' closed forms, and their gradients", async () => {
    const cases: [string, string, number][] = [
      ["  param w: [2] init [-1.5, 2]", "rosenbrock(w[0], w[1])", 12.5],
      ["  param w: [2] init [-1.5, 2]", "rosenbrock(w[0], w[1], a: 2, b: 10)", 3.5 ** 2 + 10 * 0.25 ** 2],
      ["  param w: [2] init [1, 1]", "beale(w[0], w[1])", 2.25 + 5.0625 + 6.890625],
      ["  param w: [2] init [0, 0]", "himmelblau(w[0], w[1])", 170],
      ["  param w: [2] init [2, 1]", "monkey_saddle(w[0], w[1])", 2],
      ["  param w: [2] init [3, 2]", "saddle(w[0], w[1])", 5],
      ["  param w: [2] init [1, 2]", "bowl(w, condition: 4)", 8.5],
      ["  param w: [3] init [1, 1, 2]", "bowl(w, eigenvalues: [2, -1, 0.5])", 1.5],
      ["  param w: [3] init [1, 2, 3]", "mean(w) + sum(w) + sum(abs(-w)) + sum(log(exp(w))) + sum(sqrt(w^2))", 2 + 6 + 6 + 6 + 6],
      ["  param x init 2", "x^3 + x^-2 + x^0 + x^1", 8 + 0.25 + 1 + 2],
      ["  param x init 4", "x^0.5 + x^1.5 + x^-0.5", 2 + 8 + 0.5],
      ["  param W: [2, 3] init [[1, 2, 3], [4, 5, 6]]", "W[1, -1] + sum(W[0]) * 10 + 2^3", 6 + 60 + 8],
      ["  param x: [2] init [1, 2]\n  param y: [2] init [3, 0]", "sum(rosenbrock(x, y))", 400 + 1 + 1600],
    ];
    for (const [params, loss, expected] of cases) {
      const r = await lossOf(params, loss);
      expect(r.loss, loss).toBeCloseTo(expected, 10);
      r.gradient.forEach((g, i) => expect(Math.abs(g - r.numeric[i]!), `${loss}: ∂/∂θ${i}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(g))));
    }
  });

  it("gives every shape before running", () => {
    const { model, diagnostics } = compile(
      "model m {\n  param W: [2, 3]\n  param v: [3]\n  a = W[0] * v\n  b = rosenbrock(W, v)\n  c = W[1, 2]^2\n  loss sum(a) + sum(b) + c\n}\n",
      "t.nn",
    );
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const shapeOf = (binding: string) => model!.nodes.filter((n) => n.binding === binding).at(-1)!.shape;
    expect(shapeOf("a")).toEqual([3]);
    expect(shapeOf("b")).toEqual([2, 3]);
    expect(shapeOf("c")).toEqual([]);
    expect(model!.objective).not.toBeNull();
    expect(model!.interface.loss).toBe("objective");
  });

  it("lets a network use a free parameter (a learnable scale), trained on data", () => {
    const { model, trainGraph, diagnostics } = compile(
      "model m {\n  input x: [B, 2]\n  target y: [B, 1]\n  param scale init 1\n  p = dense(x, 1) * scale\n  loss mse(p, y)\n}\ntrain m {\n  data linear(weights: [1, 2])\n  optimizer sgd(lr: 0.1)\n}\n",
      "t.nn",
    );
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(model!.objective).toBeNull();
    expect(trainGraph!.params.map((p) => p.name)).toEqual(["scale", "p.weight", "p.bias"]);
  });
});
