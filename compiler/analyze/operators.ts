// The two operators with a constant on one side: powers `x ^ p` (a number exponent) and indexing
// `w[i]`, `W[i, j]` (whole-number indices of the leading axes). Both are checked here and become
// model nodes (`pow`, `index`) that compiler/ir/lower-operators.ts lowers to ordinary IR.

import type { BinaryExpr, IndexExpr } from "../../grammar/ast.ts";
import { numberValue } from "./args.ts";
import { describe, type EvalContext, type Evaluator } from "./evaluator.ts";
import { show } from "./layers/report.ts";
import type { TensorValue } from "./model-types.ts";
import { expressionText } from "./summary.ts";

export function power(ev: Evaluator, e: BinaryExpr, ctx: EvalContext): TensorValue | null {
  const exponent = numberValue(e.right);
  if (exponent === null) {
    ev.tensor(e.left, ctx); // its names count as used, and its own mistakes are reported
    ev.bag.report("E0321", e.right.span, {
      args: { what: describe(e.right) },
      hint: "write a constant exponent such as `x^2`, `x^-1` or `x^0.5`; for a tensor exponent p, write `exp(p * log(x))`",
    });
    return null;
  }
  // A number to a number is a number.
  const base = numberValue(e.left);
  if (base !== null) return ev.addNode("const", [], [], e.span, ctx, { config: { value: base ** exponent } });
  const x = ev.tensor(e.left, ctx);
  return x && ev.addNode("pow", [x], [...x.shape], e.span, ctx, { config: { exponent } });
}

export function index(ev: Evaluator, e: IndexExpr, ctx: EvalContext): TensorValue | null {
  const x = ev.tensor(e.object, ctx);
  if (!x) return null;
  const fail = (reason: string, span = e.span): null => {
    ev.bag.report("E0320", span, {
      args: { shape: show(x.shape), indices: e.indices.map(expressionText).join(", "), reason },
      notes: [ev.bag.note("the tensor's shape came from here", x.origin)],
    });
    return null;
  };
  const rank = x.shape.length;
  if (e.indices.length > rank) {
    return fail(rank === 0 ? "it is a single number, which has no index" : `it has ${rank} dimension${rank === 1 ? "" : "s"}, so it takes at most ${rank} ind${rank === 1 ? "ex" : "ices"}`);
  }
  const indices: number[] = [];
  for (const [axis, written] of e.indices.entries()) {
    const value = numberValue(written);
    if (value === null || !Number.isInteger(value)) return fail("an index must be a whole number written out, such as `0` or `-1`", written.span);
    const size = x.shape[axis]!;
    if (typeof size !== "number") return fail(`dimension ${axis} has the size \`${size}\`, which is known only when the model runs`, written.span);
    const resolved = value < 0 ? value + size : value;
    if (resolved < 0 || resolved >= size) return fail(`index ${value} is out of range for a dimension of size ${size}`, written.span);
    indices.push(resolved);
  }
  return ev.addNode("index", [x], x.shape.slice(indices.length), e.span, ctx, { config: { indices } });
}
