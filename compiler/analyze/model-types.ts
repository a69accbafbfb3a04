// What the model analyzer produces: a checked model. It is a graph of layers (one node per layer
// call, input, constant or elementwise operator) in evaluation order, each with its inferred output
// shape, its parameters with their final dotted names, and the bound arguments its lowering needs.
// Lowering (compiler/ir/lower.ts) turns it into an IR graph for training or evaluation; `nnc check`
// prints it as the model summary. It is only lowered when the analyzer reported no errors.

import type { Span } from "../../grammar/ast.ts";
import type { Initializer, ParamRole, Shape } from "../ir/graph.ts";
import type { ModelInterface } from "../ir/config.ts";

// A tensor value while analyzing: the layer node that computes it, its shape, and where that shape
// came from (for "the other shape came from here" notes).
export interface TensorValue {
  node: number;
  shape: Shape;
  origin: Span;
  kind: "real" | "class"; // "class": integer labels of a class target
  classes: number | null;
}

// A parameter as a layer declares it, before it has its full name.
export interface ParamDecl {
  local: string; // "weight" or "bias"
  shape: number[];
  role: ParamRole;
  // null: the train block's default for weights (`init he_normal`), else PyTorch's default.
  init: Initializer | null;
  fanIn: number;
  fanOut: number;
}

export interface StateDecl {
  local: string; // "running_mean", "running_var"
  shape: number[];
  init: number;
}

export interface ModelParam extends ParamDecl {
  name: string; // the dotted path, e.g. "r1.h.weight"
  layer: string; // the layer's path, e.g. "r1.h"
  span: Span;
}

export interface ModelState extends StateDecl {
  name: string;
  layer: string;
}

export interface LayerNode {
  id: number;
  // The layer's name in the layer table (`dense`, `conv2d`, ...), or one of the built-in nodes:
  // `input`, `target`, `param` (a free parameter), `const`, the operators `add`, `sub`, `mul`,
  // `div`, `neg`, `pow` (config.exponent, a number) and `index` (config.indices, one per leading
  // axis).
  layer: string;
  inputs: number[];
  config: Record<string, unknown>; // the bound, validated arguments the lowering reads
  shape: Shape;
  kind: "real" | "class";
  path: string; // the parameter prefix for parametric layers (`h1`, `r1.h`), else the binding's name
  binding: string | null; // the model-level binding (or output) this node was computed for
  params: ModelParam[];
  state: ModelState[];
  span: Span;
}

export type LossKind = "mse" | "bce_with_logits" | "cross_entropy" | "hinge" | "perceptron";

export interface CheckedLoss {
  kind: LossKind;
  prediction: number; // layer node ids
  target: number;
  // How the target is read: class indices, probabilities / one-hot rows [B, K], or real values.
  targetMode: "class" | "probability" | "real";
  classes: number | null;
  reduction: "mean" | "sum";
  span: Span;
}

export interface CheckedRegularizer {
  kind: "l1" | "l2";
  lambda: number;
  params: string[]; // full parameter names
  span: Span;
}

export interface CheckedModel {
  name: string;
  file: string;
  span: Span;
  nodes: LayerNode[];
  inputs: { name: string; node: number; shape: Shape; span: Span }[];
  targets: { name: string; node: number; shape: Shape; kind: "class" | "real"; classes: number | null; span: Span }[];
  params: ModelParam[];
  state: ModelState[];
  outputs: { name: string; node: number; span: Span }[];
  // The loss from the losses table, or null: for a model without data whose loss is a formula
  // over its parameters, `objective` holds that formula's (scalar) node instead.
  loss: CheckedLoss | null;
  objective: { node: number; span: Span } | null;
  regularizers: CheckedRegularizer[];
  interface: ModelInterface;
}
