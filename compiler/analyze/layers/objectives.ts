// The test functions of optimization, so the course's two-dimensional examples are one line:
// `loss rosenbrock(w[0], w[1])`. Each is elementwise in its arguments (numpy broadcasting) and
// lowers to ordinary arithmetic ops, so gradients and Hessian-vector products come from autodiff
// like everywhere else. `bowl` is the quadratic ½·Σ λᵢ·wᵢ² over a vector, with its Hessian's
// eigenvalues chosen (an ill-conditioned valley when they are far apart).

import type { GraphBuilder } from "../../ir/graph.ts";
import { broadcastShapes } from "../../ir/shape-rules.ts";
import { rankError, shapeNote, show } from "./report.ts";
import { TENSOR, type LayerCall, type LayerRow } from "./types.ts";

const X = { name: "x", type: TENSOR, doc: "the first coordinate" } as const;
const Y = { name: "y", type: TENSOR, doc: "the second coordinate" } as const;

// Arithmetic that reads like the formulas below.
class Formula {
  constructor(readonly b: GraphBuilder) {}
  n = (value: number) => this.b.constant(value);
  add = (a: number, c: number) => this.b.binary("add", a, c);
  sub = (a: number, c: number) => this.b.binary("sub", a, c);
  mul = (a: number, c: number) => this.b.binary("mul", a, c);
  sq = (a: number) => this.b.binary("mul", a, a);
}

function broadcastOrReport(call: LayerCall): LayerCall["inputs"][number]["shape"] | null {
  const [x, y] = call.inputs as [LayerCall["inputs"][number], LayerCall["inputs"][number]];
  const shape = broadcastShapes(x.shape, y.shape);
  if (shape) return shape;
  call.bag.report("E0302", call.span, {
    args: { op: `pass to \`${call.name}\``, left: show(x.shape), right: show(y.shape) },
    notes: [shapeNote(call, x, "the first argument's shape came from here"), shapeNote(call, y, "the second argument's shape came from here")],
    hint: `\`${call.name}(x, y)\` is computed element by element: x and y must have one shape, or broadcast (numpy's rules)`,
  });
  return null;
}

type Extra = { name: string; default: number; doc: string }[];

function twoVariables(name: string, doc: string, extra: Extra, formula: (f: Formula, x: number, y: number, config: Record<string, number>) => number): LayerRow {
  return {
    signature: { name, doc, params: [X, Y, ...extra.map((e) => ({ name: e.name, type: { kind: "number" } as const, default: e.default, doc: e.doc }))] },
    tensors: 2,
    parametric: false,
    infer(call) {
      const shape = broadcastOrReport(call);
      if (!shape) return null;
      return { shape, config: Object.fromEntries(extra.map((e) => [e.name, call.args.values[e.name] as number])) };
    },
    lower: (ctx, [x, y]) => formula(new Formula(ctx.b), x!, y!, ctx.node.config as Record<string, number>),
  };
}

// (a − x)² + b·(y − x²)²: a curved valley; the minimum 0 is at (a, a²).
export const rosenbrock = twoVariables(
  "rosenbrock",
  "(a − x)² + b·(y − x²)², the banana-shaped valley; minimum 0 at (a, a²)",
  [
    { name: "a", default: 1, doc: "where the minimum is: (a, a²)" },
    { name: "b", default: 100, doc: "how steep the valley's walls are" },
  ],
  (f, x, y, { a, b }) => f.add(f.sq(f.sub(f.n(a!), x)), f.mul(f.n(b!), f.sq(f.sub(y, f.sq(x))))),
);

// (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²: minimum 0 at (3, 0.5).
export const beale = twoVariables("beale", "Beale's function; minimum 0 at (3, 0.5), flat plateaus and steep ridges", [], (f, x, y) => {
  const term = (c: number, yPower: number) => f.sq(f.add(f.sub(f.n(c), x), f.mul(x, yPower)));
  const y2 = f.sq(y);
  return f.add(f.add(term(1.5, y), term(2.25, y2)), term(2.625, f.mul(y2, y)));
});

// (x² + y − 11)² + (x + y² − 7)²: four minima of 0, at (3, 2) among others.
export const himmelblau = twoVariables("himmelblau", "Himmelblau's function; four minima of 0, one at (3, 2), and a maximum near (−0.27, −0.92)", [], (f, x, y) =>
  f.add(f.sq(f.sub(f.add(f.sq(x), y), f.n(11))), f.sq(f.sub(f.add(x, f.sq(y)), f.n(7)))),
);

// x² − y²: the saddle point at the origin, Hessian diag(2, −2).
export const saddle = twoVariables("saddle", "x² − y², a saddle point at the origin (Hessian eigenvalues 2 and −2)", [], (f, x, y) => f.sub(f.sq(x), f.sq(y)));

// x³ − 3xy²: a degenerate critical point at the origin (the Hessian there is zero).
export const monkey_saddle = twoVariables("monkey_saddle", "x³ − 3·x·y², the monkey saddle: a critical point at the origin whose Hessian is zero", [], (f, x, y) =>
  f.sub(f.mul(f.sq(x), x), f.mul(f.n(3), f.mul(x, f.sq(y)))),
);

// The most elements `bowl` takes: its eigenvalues are constants of the graph, one op each.
export const MAX_BOWL_SIZE = 64;

// ½·Σᵢ λᵢ·wᵢ² over a vector w [n]: its Hessian is diag(λ). `condition: κ` spreads the λᵢ
// geometrically from 1 to κ (the condition number); `eigenvalues:` lists them (any sign: a
// negative one makes a saddle).
export const bowl: LayerRow = {
  signature: {
    name: "bowl",
    doc: "½·Σ λᵢ·wᵢ² over a vector: a quadratic bowl whose Hessian is diag(λ)",
    params: [
      { name: "w", type: TENSOR, doc: "a vector [n] of at most 64 elements" },
      { name: "condition", type: { kind: "number", min: 1 }, default: 100, doc: "λ goes geometrically from 1 to `condition` (the condition number)" },
      { name: "eigenvalues", type: { kind: "list", of: { kind: "number" }, minLength: 1 }, optional: true, positional: false, doc: "the λᵢ themselves, one per element (instead of `condition`)" },
    ],
  },
  tensors: 1,
  parametric: false,
  infer(call) {
    const w = call.inputs[0]!;
    const n = w.shape[0];
    if (w.shape.length !== 1 || typeof n !== "number" || n > MAX_BOWL_SIZE) {
      return rankError(call, `a vector [n] of at most ${MAX_BOWL_SIZE} elements`, "declare it as `param w: [2]`, for instance");
    }
    const given = call.args.values.eigenvalues as number[] | undefined;
    if (given && given.length !== n) {
      return rankError(call, `a vector of ${given.length} element${given.length === 1 ? "" : "s"}, one per eigenvalue`);
    }
    const condition = call.args.values.condition as number;
    const eigenvalues = given ?? Array.from({ length: n }, (_, i) => (n === 1 ? 1 : condition ** (i / (n - 1))));
    return { shape: [], config: { eigenvalues } };
  },
  lower(ctx, [w]) {
    const b = ctx.b;
    const eigenvalues = ctx.node.config.eigenvalues as number[];
    const squares = b.binary("mul", w!, w!);
    // The λᵢ as a vector: one constant each, joined (the IR's constants are fills).
    const lambda = eigenvalues.every((l) => l === eigenvalues[0])
      ? b.constant(eigenvalues[0]!)
      : b.add("concat", eigenvalues.map((l) => b.constant(l, [1])), { axis: 0 });
    return b.scale(b.sum(b.binary("mul", lambda, squares), [0]), 0.5);
  },
};

export const OBJECTIVE_NAMES = ["rosenbrock", "beale", "himmelblau", "saddle", "monkey_saddle", "bowl"] as const;
