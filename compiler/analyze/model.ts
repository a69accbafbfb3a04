// Analyzes one `model` declaration: declares its inputs and targets, evaluates its bindings and
// outputs in order (inferring every shape), checks its loss and regularizers, and reports what is
// missing or unused. The result is a CheckedModel (./model-types.ts), which is lowered to IR only
// when no error was reported.

import type { BlockDecl, Expression, InputDecl, LossDecl, ModelDecl, Span, TargetDecl } from "../../grammar/ast.ts";
import { closest, type DiagnosticBag } from "../diagnostics/registry.ts";
import type { Dim } from "../ir/graph.ts";
import { bindArguments, isExpressionValue } from "./args.ts";
import { evalBinding, warnUnused } from "./body.ts";
import { describe, Evaluator, type EvalContext } from "./evaluator.ts";
import { layerRow } from "./layers/index.ts";
import { LOSSES, lossRow, type LossTarget } from "./losses.ts";
import type { CheckedLoss, CheckedModel, CheckedRegularizer, LossKind, TensorValue } from "./model-types.ts";
import { checkRegularizer } from "./regularizers.ts";
import { type Budget, checkModelSize } from "./budget.ts";
import { Naming, Scope } from "./scope.ts";
import { declareParam } from "./params.ts";
import { formatShape } from "../ir/graph.ts";

// The outputs every model's graph has; an `output` may not take their names.
export const RESERVED_OUTPUTS = new Set(["loss", "data_loss", "reg_loss", "prediction"]);

export interface ProgramContext {
  blocks: Map<string, BlockDecl>;
  brokenBlocks: Set<string>;
  usedBlocks: Set<string>;
  budget: Budget;
}

export function analyzeModel(decl: ModelDecl, program: ProgramContext, bag: DiagnosticBag): CheckedModel {
  const ev = new Evaluator(bag, program.blocks, program.brokenBlocks, program.usedBlocks, program.budget);
  const scope = new Scope("model", "");
  const model = decl.name.name;

  for (const s of decl.body) {
    if (s.type === "InputDecl" || s.type === "TargetDecl") declare(ev, s, scope);
    else if (s.type === "ParamDecl") declareParam(ev, s, scope);
  }
  for (const s of decl.body) {
    if ((s.type === "Binding" || s.type === "OutputDecl") && !scope.entries.has(s.name.name) && !scope.pending.has(s.name.name)) {
      scope.pending.set(s.name.name, s.name.span);
    }
  }
  const outputs: CheckedModel["outputs"] = [];
  for (const s of decl.body) {
    if (s.type === "Binding") evalBinding(ev, s.name, s.value, scope, "binding", null);
    if (s.type !== "OutputDecl") continue;
    const first = outputs.find((o) => o.name === s.name.name);
    if (first) {
      bag.report("E0208", s.name.span, { args: { name: s.name.name }, notes: [bag.note("first declared here", first.span)] });
      continue;
    }
    if (RESERVED_OUTPUTS.has(s.name.name)) bag.report("E0209", s.name.span, { args: { name: s.name.name }, hint: "choose another name" });
    const value = evalBinding(ev, s.name, s.value, scope, "output", null);
    if (value) outputs.push({ name: s.name.name, node: value.node, span: s.name.span });
  }

  const inputs = decl.body.filter((s): s is InputDecl => s.type === "InputDecl");
  const targets = decl.body.filter((s): s is TargetDecl => s.type === "TargetDecl");
  // A model without inputs and targets is trained without data (`data none`): its loss is a
  // formula over its parameters (`loss rosenbrock(w[0], w[1])`), unless it names a loss of the
  // table, whose own checks then say what is missing.
  const withoutData = inputs.length === 0 && targets.length === 0;
  const losses = decl.body.filter((s): s is LossDecl => s.type === "LossDecl");
  if (losses.length === 0) {
    bag.report("E0502", decl.name.span, {
      args: { name: model },
      hint: withoutData
        ? "add one: without data, a loss is a formula over the model's parameters, e.g. `loss rosenbrock(w[0], w[1])`"
        : "add one, e.g. `loss cross_entropy(logits, y)` or `loss mse(prediction, y)`",
    });
  }
  for (const extra of losses.slice(1)) {
    bag.report("E0503", extra.span, { args: { name: model }, notes: [bag.note("the first loss is here", losses[0]!.span)], hint: "a model has exactly one loss" });
  }
  const first = losses[0];
  const formula = first !== undefined && withoutData && !(first.value.type === "Call" && lossRow(first.value.callee.name));
  const loss = first && !formula ? analyzeLoss(ev, first, scope) : null;
  const objective = first && formula ? analyzeObjective(ev, first, scope, model) : null;

  const regularizers: CheckedRegularizer[] = [];
  for (const s of decl.body) {
    if (s.type !== "RegularizeDecl") continue;
    const checked = checkRegularizer(s, ev.params, model, bag);
    if (checked) regularizers.push(checked);
  }

  if (inputs.length === 0 && !(withoutData && (formula || !first))) {
    bag.report("E0213", decl.name.span, { args: { name: model }, hint: "declare one, e.g. `input x: [B, 784]`" });
  }
  for (const [name, entry] of scope.entries) {
    // A declaration with an error of its own draws no warning on top of it.
    if (entry.kind !== "tensor" || entry.used || entry.value === null) continue;
    if (entry.role === "input") bag.report("unused-input", entry.span, { args: { name } });
    if (entry.role === "target") bag.report("unused-target", entry.span, { args: { name }, hint: "pass it to the loss, or remove it" });
    if (entry.role === "param") bag.report("unused-param", entry.span, { args: { name }, hint: "use it in the loss, or remove it" });
  }
  warnUnused(ev, scope);
  // Long files without repeats can pass the layer limit too; repeats were stopped where they did.
  ev.overLayerBudget(decl.name.span);
  checkModelSize(model, ev.nodes, ev.params, program.budget, bag);

  const tensors = (names: (InputDecl | TargetDecl)[]) =>
    names.flatMap((s) => {
      const entry = scope.lookup(s.name.name);
      return entry?.kind === "tensor" && entry.value && entry.span === s.name.span ? [{ s, value: entry.value }] : [];
    });
  const checkedInputs = tensors(inputs).map(({ s, value }) => ({ name: s.name.name, node: value.node, shape: value.shape, span: s.span }));
  const checkedTargets = tensors(targets).map(({ s, value }) => ({
    name: s.name.name,
    node: value.node,
    shape: value.shape,
    kind: value.kind,
    classes: value.classes,
    span: s.span,
  }));
  return {
    name: model,
    file: bag.file,
    span: decl.span,
    nodes: ev.nodes,
    inputs: checkedInputs,
    targets: checkedTargets,
    params: ev.params,
    state: ev.state,
    outputs,
    loss,
    objective,
    regularizers,
    interface: {
      name: model,
      span: decl.span,
      inputs: checkedInputs.map(({ name, shape, span }) => ({ name, shape, span })),
      targets: checkedTargets.map(({ name, shape, kind, classes, span }) => ({ name, shape, kind, classes, span })),
      loss: formula ? "objective" : (loss?.kind ?? (first?.value.type === "Call" && lossRow(first.value.callee.name) ? first.value.callee.name : null)),
    },
  };
}

// Declares `input x: [B, 784]` or `target y: class[B] of 10` as a tensor of the model.
function declare(ev: Evaluator, s: InputDecl | TargetDecl, scope: Scope): void {
  const { bag } = ev;
  const name = s.name.name;
  const shape = s.shape;
  let ok = true;
  const dims: Dim[] = [];
  for (const d of shape.dims) {
    if (d.type === "Identifier") dims.push(d.name);
    else if (Number.isInteger(d.value) && d.value >= 1) dims.push(d.value);
    else {
      bag.report("E0301", d.span, { args: { got: d.raw } });
      ok = false;
    }
  }
  let classes: number | null = null;
  if (s.type === "InputDecl" && shape.kind === "class") {
    bag.report("E0313", shape.kindSpan ?? shape.span, { args: { name }, hint: "inputs are real tensors such as `[B, 784]`" });
    ok = false;
  } else if (shape.kind === "class") {
    if (!shape.classes) {
      bag.report("E0311", shape.span, { args: { name } });
      ok = false;
    } else if (!Number.isInteger(shape.classes.value) || shape.classes.value < 2) {
      bag.report("E0314", shape.classes.span, { args: { got: shape.classes.raw } });
      ok = false;
    } else classes = shape.classes.value;
    if (ok && dims.length !== 1) {
      bag.report("E0316", shape.span, { args: { shape: `class[${dims.join(", ")}]` }, hint: "one-hot or probability targets are real: `target y: [B, 10]`" });
      ok = false;
    }
  } else if (shape.classes) {
    bag.report("E0312", shape.classes.span, { args: { classes: shape.classes.raw, name }, hint: `write \`class[${dims.join(", ")}] of ${shape.classes.raw}\` for class labels` });
    ok = false;
  }
  const previous = scope.lookup(name);
  if (previous) {
    bag.report("E0203", s.name.span, { args: { name, scope: "model" }, notes: [bag.note("first defined here", previous.span)] });
    return;
  }
  const role = s.type === "InputDecl" ? "input" : "target";
  const ctx: EvalContext = { scope, naming: new Naming("", name, true), binding: name, piped: null };
  const value: TensorValue | null = ok
    ? ev.addNode(role, [], dims, s.span, ctx, { config: { name, classes }, kind: classes === null ? "real" : "class", classes })
    : null;
  scope.entries.set(name, { kind: "tensor", role, value, span: s.name.span, used: false });
}

function analyzeLoss(ev: Evaluator, decl: LossDecl, scope: Scope): CheckedLoss | null {
  const { bag } = ev;
  const v = decl.value;
  const callee = v.type === "Call" ? v.callee : v.type === "Identifier" ? v : null;
  if (!callee) {
    bag.report("E0501", v.span, { args: { name: describe(v) }, hint: "write the loss as a call, e.g. `loss cross_entropy(logits, y)`" });
    return null;
  }
  const args = v.type === "Call" ? v.args : [];
  const row = lossRow(callee.name);
  if (!row) {
    const suggestion = closest(callee.name, Object.keys(LOSSES));
    bag.report("E0501", callee.span, {
      args: { name: callee.name },
      hint: suggestion ? `did you mean \`${suggestion}\`?` : `the losses are ${Object.keys(LOSSES).map((l) => `\`${l}\``).join(", ")}${layerRow(callee.name) ? `; \`${callee.name}\` is a layer` : ""}`,
    });
    ev.markUsed(args, { scope, naming: new Naming("", null, false, scope), binding: null, piped: null });
    return null;
  }
  const ctx: EvalContext = { scope, naming: new Naming("", null, false, scope), binding: null, piped: null };
  const bound = bindArguments(row.signature, args, v.span, bag);
  const first = row.signature.params[0]!.name;
  const predictionExpr = bound.values[first];
  const prediction = predictionExpr !== undefined && isExpressionValue(predictionExpr) ? ev.tensor(predictionExpr, ctx) : null;
  const targetExpr = bound.values.target;
  const target = targetExpr !== undefined && isExpressionValue(targetExpr) ? lossTarget(ev, targetExpr, callee.name, scope) : null;
  if (prediction) warnProbabilities(ev, callee.name, prediction, (predictionExpr as Expression).span);
  if (!bound.ok || !prediction || !target) return null;
  const mode = row.check(prediction, target, v.span, bag);
  if (!mode) return null;
  return {
    kind: callee.name as LossKind,
    prediction: prediction.node,
    target: target.value.node,
    targetMode: mode,
    classes: target.value.classes ?? (mode === "probability" ? (prediction.shape[1] as number) : null),
    reduction: bound.values.reduction as "mean" | "sum",
    span: v.span,
  };
}

// `loss FORMULA` in a model without data: any tensor expression over the parameters that comes to
// one number.
function analyzeObjective(ev: Evaluator, decl: LossDecl, scope: Scope, model: string): CheckedModel["objective"] {
  const ctx: EvalContext = { scope, naming: new Naming("", null, false, scope), binding: null, piped: null };
  const value = ev.tensor(decl.value, ctx);
  if (!value) return null;
  if (value.shape.length !== 0) {
    ev.bag.report("E0510", decl.value.span, {
      args: { shape: formatShape(value.shape) },
      notes: value.origin.start === decl.value.span.start && value.origin.end === decl.value.span.end ? [] : [ev.bag.note("the shape came from here", value.origin)],
      hint: "add its elements up with `sum(...)` or average them with `mean(...)`",
    });
    return null;
  }
  if (ev.params.length === 0) {
    ev.bag.report("E0511", decl.value.span, { args: { name: model }, hint: "declare the variables as parameters, e.g. `param w: [2] init [-1.5, 2]`, and use them in the loss" });
    return null;
  }
  return { node: value.node, span: decl.value.span };
}

// The losses that take logits apply their own softmax or sigmoid; given probabilities, they would
// apply it twice, which trains slowly and wrongly without any error.
const OWN_ACTIVATION: Record<string, string> = { cross_entropy: "softmax", bce_with_logits: "sigmoid" };

function warnProbabilities(ev: Evaluator, loss: string, prediction: TensorValue, span: Span): void {
  const activation = OWN_ACTIVATION[loss];
  const node = ev.nodes[prediction.node];
  if (!activation || node?.layer !== activation) return;
  const applied = node.span.start === span.start && node.span.end === span.end;
  ev.bag.report("loss-wants-logits", span, {
    args: { loss, activation },
    notes: applied ? [] : [ev.bag.note(`\`${activation}\` is applied here`, node.span)],
    hint: `pass the logits, the value before \`${activation}\`; for probabilities, declare an output such as \`output probs = ${activation}(logits)\``,
  });
}

// The loss's target must be a declared target: the data's labels are fed to it.
function lossTarget(ev: Evaluator, expression: import("../../grammar/ast.ts").Expression, loss: string, scope: Scope): LossTarget | null {
  const entry = expression.type === "Identifier" ? scope.lookup(expression.name) : undefined;
  if (expression.type === "Identifier" && entry?.kind === "tensor" && entry.role === "target") {
    entry.used = true;
    return entry.value ? { name: expression.name, value: entry.value, span: entry.span } : null;
  }
  if (expression.type === "Identifier" && !entry) {
    const suggestion = ev.bag.suggesting ? closest(expression.name, scope.tensorNames()) : null;
    ev.bag.report("E0201", expression.span, { args: { name: expression.name }, hint: suggestion ? `did you mean \`${suggestion}\`?` : null });
    return null;
  }
  if (entry?.kind === "tensor") entry.used = true;
  const what = entry?.kind === "tensor" ? (entry.role === "input" ? `the input \`${(expression as { name: string }).name}\`` : "a computed tensor") : describe(expression);
  ev.bag.report("E0509", expression.span, {
    args: { loss, what },
    hint: entry?.kind === "tensor" && entry.role === "input" ? "declare it with `target` to feed it the data's labels" : null,
  });
  return null;
}
