// The losses table: one row per loss, with its signature, the check that the prediction and the
// target fit it, and its lowering to a per-element loss in numerically stable form from primitive
// ops. The reduction (mean or sum over every element, as PyTorch's `reduction`) is applied by
// `lowerLoss` for all of them.
//
// Shapes: every loss but cross_entropy needs the prediction and the target to have the same shape.
// A [B] score against a [B, 1] target is an error rather than broadcast: numpy broadcasting would
// silently pair every score with every target ([B, B]), the classic mistake PyTorch warns about.

import type { Span } from "../../grammar/ast.ts";
import type { DiagnosticBag } from "../diagnostics/registry.ts";
import { formatShape, sameShape, type GraphBuilder } from "../ir/graph.ts";
import type { Signature } from "./args.ts";
import type { CheckedLoss, LossKind, TensorValue } from "./model-types.ts";

export interface LossTarget {
  name: string;
  value: TensorValue;
  span: Span; // the target's declaration
}

interface LossRow {
  signature: Signature;
  // The way the target is read, or null after reporting why the pair does not fit.
  check(prediction: TensorValue, target: LossTarget, span: Span, bag: DiagnosticBag): CheckedLoss["targetMode"] | null;
  // The loss per element (or per example for cross_entropy), before the reduction.
  lower(b: GraphBuilder, prediction: number, target: number, loss: CheckedLoss): number;
}

const signature = (name: string, doc: string, first: string): Signature => ({
  name,
  doc,
  params: [
    { name: first, type: { kind: "expression" }, doc: "the model's prediction" },
    { name: "target", type: { kind: "expression" }, doc: "a target declared with `target`" },
    { name: "reduction", type: { kind: "enum", values: ["mean", "sum"] }, default: "mean", doc: "mean or sum over the elements" },
  ],
});

function notes(prediction: TensorValue, target: LossTarget, bag: DiagnosticBag) {
  return [bag.note("the prediction's shape came from here", prediction.origin), bag.note("the target was declared here", target.span)];
}

// The check shared by the losses on real targets of the prediction's shape.
function sameShapeReal(loss: string, what: string) {
  return (prediction: TensorValue, target: LossTarget, span: Span, bag: DiagnosticBag): "real" | null => {
    if (target.value.kind === "class") {
      bag.report("E0504", span, {
        args: { loss, expected: what, target: target.name, got: "holds class labels" },
        notes: [bag.note("the target was declared here", target.span)],
        hint: "for class labels use `cross_entropy(logits, y)`; or declare the target with a real shape like [B, 1]",
      });
      return null;
    }
    if (!sameShape(prediction.shape, target.value.shape)) {
      const p = prediction.shape;
      const t = target.value.shape;
      const columnMix = (p.length === 1 && t.length === 2 && t[1] === 1) || (t.length === 1 && p.length === 2 && p[1] === 1);
      bag.report("E0505", span, {
        args: { loss, expected: "a prediction and a target of the same shape", prediction: formatShape(p), target: formatShape(t) },
        notes: notes(prediction, target, bag),
        hint: columnMix
          ? "nnc does not broadcast [B] against [B, 1] (it would compare every example with every other); make both [B, 1]"
          : null,
      });
      return null;
    }
    return "real";
  };
}

const crossEntropy: LossRow = {
  signature: signature("cross_entropy", "softmax cross-entropy from logits, with class labels or probability rows", "logits"),
  check(prediction, target, span, bag) {
    const logits = prediction.shape;
    const k = logits[1];
    if (logits.length !== 2 || typeof k !== "number") {
      bag.report("E0505", span, {
        args: { loss: "cross_entropy", expected: "logits [B, K] with a known number of classes K", prediction: formatShape(logits), target: formatShape(target.value.shape) },
        notes: notes(prediction, target, bag),
      });
      return null;
    }
    if (target.value.kind === "class") {
      if (target.value.shape.length !== 1 || target.value.shape[0] !== logits[0]) {
        bag.report("E0505", span, {
          args: { loss: "cross_entropy", expected: "one class label per row of the logits", prediction: formatShape(logits), target: formatShape(target.value.shape) },
          notes: notes(prediction, target, bag),
        });
        return null;
      }
      if (target.value.classes !== k) {
        bag.report("E0506", span, {
          args: { logits: k, target: target.name, classes: target.value.classes ?? "?" },
          notes: notes(prediction, target, bag),
          hint: `make the last layer produce ${target.value.classes} scores, one per class`,
        });
        return null;
      }
      return "class";
    }
    if (!sameShape(logits, target.value.shape)) {
      bag.report("E0505", span, {
        args: { loss: "cross_entropy", expected: "probability targets of the logits' shape [B, K]", prediction: formatShape(logits), target: formatShape(target.value.shape) },
        notes: notes(prediction, target, bag),
        hint: "for class labels declare the target as `class[B] of K`",
      });
      return null;
    }
    return "probability";
  },
  // −Σₖ yₖ·log_softmax(z)ₖ per example; class labels become one-hot rows first.
  lower(b, z, y, loss) {
    const probabilities = loss.targetMode === "class" ? b.add("one_hot", [y], { classes: loss.classes! }) : y;
    const logProbabilities = b.add("log_softmax", [z], { axis: -1 });
    return b.unary("neg", b.sum(b.binary("mul", probabilities, logProbabilities), [1]));
  },
};

const mse: LossRow = {
  signature: signature("mse", "mean squared error (p − y)²", "prediction"),
  check: sameShapeReal("mse", "real-valued targets"),
  lower(b, p, y) {
    const d = b.binary("sub", p, y);
    return b.binary("mul", d, d);
  },
};

const bce: LossRow = {
  signature: signature("bce_with_logits", "binary cross-entropy from logits, targets in [0, 1]", "logits"),
  check: sameShapeReal("bce_with_logits", "real targets in [0, 1]"),
  // −[y·log σ(z) + (1−y)·log(1−σ(z))] = softplus(z) − z·y, which never takes the log of 0.
  lower: (b, z, y) => b.binary("sub", b.unary("softplus", z), b.binary("mul", z, y)),
};

const hinge: LossRow = {
  signature: signature("hinge", "max(0, 1 − y·s) with y in {−1, +1}", "scores"),
  check: sameShapeReal("hinge", "real targets in {−1, +1}"),
  lower: (b, s, y) => b.unary("relu", b.binary("sub", b.constant(1), b.binary("mul", y, s))),
};

const perceptron: LossRow = {
  signature: signature("perceptron", "max(0, −y·s) with y in {−1, +1}", "scores"),
  check: sameShapeReal("perceptron", "real targets in {−1, +1}"),
  lower: (b, s, y) => b.unary("relu", b.unary("neg", b.binary("mul", y, s))),
};

export const LOSSES: Record<LossKind, LossRow> = {
  mse,
  bce_with_logits: bce,
  cross_entropy: crossEntropy,
  hinge,
  perceptron,
};

export function lossRow(name: string): LossRow | undefined {
  return Object.hasOwn(LOSSES, name) ? LOSSES[name as LossKind] : undefined;
}

// The data loss as a scalar: the row's per-element loss, then the mean or the sum over every
// element (PyTorch's mean divides by the element count: B·K for mse on [B, K], B for cross_entropy).
export function lowerLoss(b: GraphBuilder, prediction: number, target: number, loss: CheckedLoss): number {
  const perElement = LOSSES[loss.kind].lower(b, prediction, target, loss);
  const axes = b.node(perElement).shape.map((_, i) => i);
  return loss.reduction === "mean" ? b.mean(perElement, axes) : b.sum(perElement, axes);
}
