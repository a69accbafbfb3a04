// Evaluates the expressions of model and block bodies into layer nodes, inferring each node's shape.
// A tensor whose definition had an error evaluates to null ("shape unknown"), and every check that
// would need it is skipped, so one mistake gives one diagnostic rather than a cascade.

import type { Argument, BinaryExpr, BlockDecl, Expression, Identifier, Span } from "../../grammar/ast.ts";
import { closest, type DiagnosticBag } from "../diagnostics/registry.ts";
import { broadcastShapes } from "../ir/shape-rules.ts";
import type { Shape } from "../ir/graph.ts";
import { bindArguments, isExpressionValue, type BoundArgs } from "./args.ts";
import { callBlock, callRepeat } from "./calls.ts";
import { LAYERS, layerRow, type LayerRow } from "./layers/index.ts";
import { show } from "./layers/report.ts";
import { LOSSES } from "./losses.ts";
import type { LayerNode, ModelParam, ModelState, ParamDecl, StateDecl, TensorValue } from "./model-types.ts";
import { REGULARIZERS } from "./regularizers.ts";
import { type Budget, DEFAULT_BUDGET, reportLayers } from "./budget.ts";
import { mentionedNames, Naming, Scope } from "./scope.ts";
import { index, power } from "./operators.ts";

// The name under which a piped value (`x |> f(a)`) is passed as `f`'s first argument.
export const PIPED = "\u0000piped";

export interface EvalContext {
  scope: Scope;
  naming: Naming;
  binding: string | null; // the model-level binding being computed (for the summary)
  piped: { value: TensorValue | null } | null;
}

const OPERATORS = { "+": ["add", "add"], "-": ["sub", "subtract"], "*": ["mul", "multiply"], "/": ["div", "divide"] } as const;

export class Evaluator {
  readonly nodes: LayerNode[] = [];
  readonly params: ModelParam[] = [];
  readonly state: ModelState[] = [];
  readonly activeBlocks: { name: string; span: Span }[] = [];
  blockUses = 0;
  private layerLimitReported = false;

  constructor(
    readonly bag: DiagnosticBag,
    readonly blocks: Map<string, BlockDecl>,
    readonly brokenBlocks: Set<string> = new Set(), // blocks whose declaration has an error of its own
    readonly usedBlocks: Set<string> = new Set(), // shared by the models of a file
    readonly budget: Budget = DEFAULT_BUDGET,
  ) {}

  // The layers expanded so far, counting block uses (a block whose body adds no node still costs
  // a call, and blocks using blocks multiply).
  get expanded(): number {
    return this.nodes.length + this.blockUses;
  }

  // Whether `layers` passes the budget's layer limit; the first time, it is reported at `span`.
  overLayerBudget(span: Span, layers = this.expanded): boolean {
    if (layers <= this.budget.layers) return false;
    if (!this.layerLimitReported) reportLayers(this.bag, span, layers, this.budget);
    this.layerLimitReported = true;
    return true;
  }

  addNode(
    layer: string,
    inputs: (TensorValue | number)[],
    shape: Shape,
    span: Span,
    ctx: EvalContext,
    extra: { config?: Record<string, unknown>; path?: string; params?: ParamDecl[]; state?: StateDecl[]; kind?: "real" | "class"; classes?: number | null } = {},
  ): TensorValue {
    const id = this.nodes.length;
    const path = extra.path ?? ctx.naming.label();
    const params = (extra.params ?? []).map((p) => ({ ...p, name: `${path}.${p.local}`, layer: path, span }));
    const state = (extra.state ?? []).map((s) => ({ ...s, name: `${path}.${s.local}`, layer: path }));
    this.params.push(...params);
    this.state.push(...state);
    const kind = extra.kind ?? "real";
    this.nodes.push({
      id,
      layer,
      inputs: inputs.map((i) => (typeof i === "number" ? i : i.node)),
      config: extra.config ?? {},
      shape,
      kind,
      path,
      binding: ctx.binding,
      params,
      state,
      span,
    });
    return { node: id, shape, origin: span, kind, classes: extra.classes ?? null };
  }

  tensor(expression: Expression, ctx: EvalContext): TensorValue | null {
    switch (expression.type) {
      case "NumberLiteral":
        return this.addNode("const", [], [], expression.span, ctx, { config: { value: expression.value } });
      case "Identifier":
        return this.identifier(expression, ctx);
      case "UnaryExpr": {
        if (expression.argument.type === "NumberLiteral") {
          return this.addNode("const", [], [], expression.span, ctx, { config: { value: -expression.argument.value } });
        }
        const x = this.tensor(expression.argument, ctx);
        return x && this.addNode("neg", [x], [...x.shape], expression.span, ctx);
      }
      case "BinaryExpr":
        return expression.operator === "^" ? power(this, expression, ctx) : this.binary(expression, ctx);
      case "IndexExpr":
        return index(this, expression, ctx);
      case "Call":
        return this.call(expression.callee, expression.args, expression.span, null, ctx);
      case "Pipe": {
        const left = this.tensor(expression.left, ctx);
        const right = expression.right;
        const piped = { value: left };
        if (right.type === "Identifier") return this.call(right, [], right.span, piped, ctx);
        if (right.type === "Call") return this.call(right.callee, right.args, right.span, piped, ctx);
        this.bag.report("E0212", right.span, { args: { what: describe(right) }, hint: "write `x |> relu` or `x |> dense(10)`" });
        return null;
      }
      default:
        this.bag.report("E0215", expression.span, { args: { what: describe(expression) } });
        return null;
    }
  }

  private identifier(id: Identifier, ctx: EvalContext): TensorValue | null {
    if (id.name === PIPED) return ctx.piped?.value ?? null;
    const entry = ctx.scope.lookup(id.name);
    if (entry?.kind === "tensor") {
      entry.used = true;
      if (entry.value?.kind === "class") {
        this.bag.report("E0310", id.span, {
          args: { name: id.name },
          notes: [this.bag.note("the target was declared here", entry.span)],
          hint: "pass it as the second argument of `cross_entropy`",
        });
        return null;
      }
      return entry.value && { ...entry.value };
    }
    if (entry?.kind === "hyper") return this.tensor(entry.expr, ctx);
    const later = ctx.scope.pending.get(id.name);
    if (later) {
      ctx.scope.usedEarly.add(id.name);
      this.bag.report("E0204", id.span, { args: { name: id.name }, notes: [this.bag.note(`\`${id.name}\` is defined here`, later)] });
      return null;
    }
    if (layerRow(id.name) || this.blocks.has(id.name)) {
      this.bag.report("E0210", id.span, {
        args: { name: id.name, what: layerRow(id.name) ? "a layer" : "a block" },
        hint: `call it on a tensor: \`${id.name}(x)\` or \`x |> ${id.name}\``,
      });
      return null;
    }
    const suggestion = this.bag.suggesting ? closest(id.name, [...ctx.scope.tensorNames(), ...ctx.scope.pending.keys()]) : null;
    this.bag.report("E0201", id.span, { args: { name: id.name }, hint: suggestion ? `did you mean \`${suggestion}\`?` : null });
    return null;
  }

  private binary(e: BinaryExpr, ctx: EvalContext): TensorValue | null {
    const left = this.tensor(e.left, ctx);
    const right = this.tensor(e.right, ctx);
    if (!left || !right) return null;
    if (e.operator === "@") {
      return this.applyLayer(LAYERS.matmul!, "matmul", [left, right], [e.left.span, e.right.span], e.span, emptyArgs(), ctx);
    }
    const [op, verb] = OPERATORS[e.operator as keyof typeof OPERATORS];
    const shape = broadcastShapes(left.shape, right.shape);
    if (!shape) {
      this.bag.report("E0302", e.operatorSpan, {
        args: { op: verb, left: show(left.shape), right: show(right.shape) },
        notes: [this.bag.note("the left shape came from here", left.origin), this.bag.note("the other shape came from here", right.origin)],
        hint: "sizes must be equal, or 1, aligned from the right (numpy broadcasting)",
      });
      return null;
    }
    return this.addNode(op, [left, right], shape, e.span, ctx);
  }

  // A call of a layer, a block or `repeat`, with the piped value (if any) as its first argument.
  call(callee: Identifier, args: Argument[], span: Span, piped: EvalContext["piped"], ctx: EvalContext): TensorValue | null {
    const name = callee.name;
    const withPiped: Argument[] = piped
      ? [{ type: "Argument", name: null, value: { type: "Identifier", name: PIPED, span: callee.span }, span: callee.span }, ...args]
      : args;
    const argCtx = { ...ctx, piped };
    if (name === "repeat") {
      if (!piped) {
        this.bag.report("E0217", span);
        this.markUsed(args, ctx);
        return null;
      }
      return callRepeat(this, args, span, piped, ctx);
    }
    const row = layerRow(name);
    if (row) return this.layerCall(row, name, withPiped, span, argCtx);
    const block = this.blocks.get(name);
    if (block) return callBlock(this, block, withPiped, span, argCtx);
    this.markUsed(args, ctx);
    const isLoss = Object.hasOwn(LOSSES, name);
    const isRegularizer = Object.hasOwn(REGULARIZERS, name);
    const suggestion = this.bag.suggesting ? closest(name, [...Object.keys(LAYERS), ...this.blocks.keys()]) : null;
    this.bag.report("E0202", callee.span, {
      args: { name },
      hint: isLoss
        ? `\`${name}\` is a loss; use it in the model's \`loss\` statement`
        : isRegularizer
          ? `\`${name}\` is a regularizer; use it in a \`regularize\` statement`
          : suggestion
            ? `did you mean \`${suggestion}\`?`
            : null,
    });
    return null;
  }

  private layerCall(row: LayerRow, name: string, args: Argument[], span: Span, ctx: EvalContext): TensorValue | null {
    let tensorArgs: Argument[];
    let bound: ReturnType<typeof bindArguments>;
    if (row.tensors === "variadic") {
      tensorArgs = args.filter((a) => a.name === null);
      bound = bindArguments(row.signature, args.filter((a) => a.name !== null), span, this.bag);
    } else {
      bound = bindArguments(row.signature, args, span, this.bag);
      tensorArgs = row.signature.params.slice(0, row.tensors).flatMap((p) => {
        const value = bound.values[p.name];
        return value !== undefined && isExpressionValue(value) ? [{ type: "Argument", name: null, value, span: value.span } as Argument] : [];
      });
    }
    const inputs = tensorArgs.map((a) => this.tensor(a.value, ctx));
    const expected = row.tensors === "variadic" ? tensorArgs.length : row.tensors;
    if (!bound.ok || inputs.length !== expected || inputs.some((i) => i === null)) {
      if (row.parametric) ctx.naming.next(name); // keep the numbering of the other items stable
      return null;
    }
    return this.applyLayer(row, name, inputs as TensorValue[], tensorArgs.map((a) => a.value.span), span, bound, ctx);
  }

  applyLayer(row: LayerRow, name: string, inputs: TensorValue[], inputSpans: Span[], span: Span, args: BoundArgs, ctx: EvalContext): TensorValue | null {
    const path = row.parametric ? ctx.naming.next(name) : undefined;
    const out = row.infer({ name, span, inputs, inputSpans, args, bag: this.bag });
    if (!out) return null;
    return this.addNode(name, inputs, out.shape, span, ctx, { config: out.config, path, params: out.params, state: out.state });
  }

  // Marks the names in arguments that could not be checked as used, so they draw no
  // unused-binding warning on top of the error.
  markUsed(args: Argument[], ctx: EvalContext): void {
    for (const a of args) {
      for (const name of mentionedNames(a.value)) {
        const entry = ctx.scope.lookup(name);
        if (entry?.kind === "tensor") entry.used = true;
      }
    }
  }
}

function emptyArgs(): BoundArgs {
  return { values: {}, spans: {}, given: new Set<string>() };
}

export function describe(expression: Expression): string {
  switch (expression.type) {
    case "NumberLiteral":
      return `the number ${expression.raw}`;
    case "StringLiteral":
      return `the string ${expression.raw}`;
    case "ListExpr":
      return "a list";
    case "MemberExpr":
      return "a parameter path";
    case "IndexExpr":
      return "an indexed tensor";
    case "ThenExpr":
      return "a `then` sequence";
    case "Pipe":
      return "a pipe";
    case "BinaryExpr":
    case "UnaryExpr":
      return "an arithmetic expression";
    case "Identifier":
      return `\`${expression.name}\``;
    case "Call":
      return `a call to \`${expression.callee.name}\``;
  }
}
