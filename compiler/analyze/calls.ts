// Calls that are not single layers: a block use (its own scope and its own parameters, named under
// the use's path) and `repeat(n, f(args))` (n uses of f in a row, numbered 0..n-1).

import type { Argument, BlockDecl, Span } from "../../grammar/ast.ts";
import { bindArguments, isExpressionValue, type Signature } from "./args.ts";
import { evalBlockBody } from "./body.ts";
import { describe, PIPED, type EvalContext, type Evaluator } from "./evaluator.ts";
import type { TensorValue } from "./model-types.ts";
import { Naming, Scope, substitute } from "./scope.ts";

function blockSignature(block: BlockDecl): Signature {
  return {
    name: block.name.name,
    doc: "",
    params: block.params.map((p, i) => ({
      name: p.name.name,
      type: { kind: "expression" as const },
      ...(i > 0 && p.default ? { default: p.default } : {}),
      doc: i === 0 ? "the block's input" : "a hyper-parameter",
    })),
  };
}

const MAX_BLOCK_NESTING = 100;

export function callBlock(ev: Evaluator, block: BlockDecl, args: Argument[], span: Span, ctx: EvalContext): TensorValue | null {
  const name = block.name.name;
  if (ev.activeBlocks.some((b) => b.name === name)) {
    ev.bag.report("E0207", span, {
      args: { name },
      notes: [ev.bag.note(`\`${name}\` is declared here`, block.name.span)],
      hint: "a block cannot use itself; to stack copies of a block use `x |> repeat(n, block(...))`",
    });
    ev.markUsed(args, ctx);
    return null;
  }
  // Each block use inside a block nests the analysis one level; real networks nest a few levels.
  if (ev.activeBlocks.length >= MAX_BLOCK_NESTING) {
    ev.bag.report("E0108", span, {
      args: { limit: MAX_BLOCK_NESTING },
      hint: "each use of a block inside a block nests one level; make the structure flatter",
    });
    ev.markUsed(args, ctx);
    return null;
  }
  ev.usedBlocks.add(name);
  const path = ctx.naming.next(name);
  ev.blockUses++;
  if (ev.overLayerBudget(span)) return null;
  // A block without an input or a single `return` was reported once, at its declaration.
  if (ev.brokenBlocks.has(name)) return null;
  const bound = bindArguments(blockSignature(block), args, span, ev.bag);
  if (!bound.ok) {
    ev.markUsed(args, ctx);
    return null;
  }
  const scope = new Scope("block", `${path}.`);
  let input: TensorValue | null = null;
  for (const [i, param] of block.params.entries()) {
    const value = bound.values[param.name.name];
    if (value === undefined || !isExpressionValue(value)) continue;
    const given = bound.given.has(param.name.name);
    const callerEntry = value.type === "Identifier" ? ctx.scope.lookup(value.name) : undefined;
    // The first parameter is the block's input; another parameter given a tensor's name is a second
    // tensor input; the rest are hyper-parameters, substituted into the body.
    if (i === 0 || (given && value.type === "Identifier" && (value.name === PIPED || callerEntry?.kind === "tensor"))) {
      const tensor = ev.tensor(value, ctx);
      if (i === 0) input = tensor;
      scope.entries.set(param.name.name, { kind: "tensor", role: "parameter", value: tensor, span: param.name.span, used: true });
    } else {
      scope.entries.set(param.name.name, { kind: "hyper", expr: given ? value : substitute(value, scope), span: param.name.span });
    }
  }
  if (input === null) return null;
  ev.activeBlocks.push({ name, span });
  const result = evalBlockBody(ev, block, scope, ctx.binding);
  ev.activeBlocks.pop();
  // Notes about this value's shape point at the use of the block, not inside it.
  return result && { ...result, origin: span };
}

const REPEAT: Signature = {
  name: "repeat",
  doc: "n uses of a layer or block in a row, each with its own parameters",
  params: [
    { name: "n", type: { kind: "number", integer: true, min: 1, max: 1000 }, doc: "how many copies" },
    { name: "layer", type: { kind: "expression" }, doc: "the layer or block call, without its input" },
  ],
};

export function callRepeat(ev: Evaluator, args: Argument[], span: Span, piped: NonNullable<EvalContext["piped"]>, ctx: EvalContext): TensorValue | null {
  const bound = bindArguments(REPEAT, args, span, ev.bag);
  const stage = bound.values.layer;
  if (!bound.ok || stage === undefined || !isExpressionValue(stage)) {
    ev.markUsed(args, ctx);
    return null;
  }
  if (stage.type !== "Identifier" && stage.type !== "Call") {
    ev.bag.report("E0218", stage.span, { args: { what: describe(stage) }, hint: "write `x |> repeat(3, residual(64))`" });
    return null;
  }
  const callee = stage.type === "Identifier" ? stage : stage.callee;
  const stageArgs = stage.type === "Identifier" ? [] : stage.args;
  const path = ctx.naming.next("repeat");
  const n = bound.values.n as number;
  let current = piped.value;
  for (let i = 0; i < n; i++) {
    const before = ev.expanded;
    const copy = { ...ctx, naming: new Naming(`${path}.`, String(i), true) };
    current = ev.call(callee, stageArgs, stage.span, { value: current }, copy);
    if (current === null) return null;
    // The first copy shows what each costs: the rest are not made when they would pass the budget
    // (nested repeats would otherwise multiply before anything is counted).
    const estimate = i === 0 ? ev.expanded + (n - 1) * (ev.expanded - before) : ev.expanded;
    if (ev.overLayerBudget(span, estimate)) return null;
  }
  return current && { ...current, origin: span };
}
