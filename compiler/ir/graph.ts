// The IR: a tensor graph. Each node is `{id, op, dtype, shape, inputs, attrs, span}`; nodes are
// stored in topological order (every input id is smaller than the node's id), so a backend runs
// them front to back. Shapes may hold symbolic dims (strings such as "B") that are bound when the
// graph runs. The graph also carries the model's parameters, its non-trainable state, its named
// outputs and, for a training graph, the new values of its state after a step.

import type { Span } from "../../grammar/ast.ts";
import { InternalError } from "../diagnostics/diagnostic.ts";
import type { Op, OpAttrs } from "./ops.ts";
import { inferShape } from "./shape-rules.ts";

// "f32": every tensor but these. "i32": class labels (a `class[B] of K` target) and what is
// computed from them exactly (argmax); shape-rules.ts lists which op takes and gives which.
export type DType = "f32" | "i32";
export type Dim = number | string;
export type Shape = Dim[];

export interface IRNode<K extends Op = Op> {
  id: number;
  op: K;
  dtype: DType;
  shape: Shape;
  inputs: number[];
  attrs: OpAttrs[K];
  span: Span | null; // where in the .nn file this node came from (null for generated nodes)
}

export type Initializer =
  | { kind: "zeros" }
  | { kind: "ones" }
  | { kind: "constant"; value: number }
  // Every element given, row-major (`param w: [2] init [-1.5, 2]`).
  | { kind: "values"; values: number[] }
  | { kind: "uniform"; low: number; high: number }
  | { kind: "normal"; mean: number; std: number }
  | { kind: "glorot_uniform"; gain: number }
  | { kind: "glorot_normal"; gain: number }
  | { kind: "he_uniform"; gain: number } // kaiming_uniform_ with nonlinearity relu: gain √2
  | { kind: "he_normal"; gain: number }
  // PyTorch's default for nn.Linear and nn.Conv2d: weight kaiming_uniform_(a=√5), i.e.
  // U(−1/√fan_in, 1/√fan_in); bias U(−1/√fan_in, 1/√fan_in) with the weight's fan_in.
  | { kind: "torch_default" };

export type ParamRole = "weight" | "bias" | "norm_scale" | "norm_shift";

export interface Regularizer {
  kind: "l1" | "l2";
  lambda: number;
}

export interface ParamInfo {
  name: string; // dotted path, e.g. "h1.weight", "stack.0.h.weight"
  shape: number[];
  role: ParamRole;
  init: Initializer;
  fanIn: number; // of the layer the parameter belongs to (PyTorch's _calculate_fan_in_and_fan_out)
  fanOut: number;
  regularizers: Regularizer[];
  node: number; // the `param` node
  layer: string; // the layer's path, e.g. "h1" (for per-layer gradient norms and summaries)
  span: Span | null;
}

export interface StateInfo {
  name: string; // e.g. "h.batchnorm.running_mean"
  shape: number[];
  init: number; // the initial fill value (running_mean 0, running_var 1)
  node: number;
}

export interface GraphInput {
  name: string;
  // "scalar": a step-dependent number the host feeds every step (the learning rate, a bias
  // correction, the momentum of a cycling schedule); shape [].
  role: "input" | "target" | "scalar";
  shape: Shape;
  dtype: DType;
  classes: number | null; // for class-label targets
  node: number;
}

// "train" and "eval" are lowered from a model; "step" is a training graph extended with its
// gradients, clipping and the optimizer's update (compiler/step/).
export type GraphMode = "train" | "eval" | "step";

export interface Graph {
  file: string;
  mode: GraphMode;
  nodes: IRNode[];
  inputs: GraphInput[];
  params: ParamInfo[];
  state: StateInfo[];
  // Named results. A model's graph always has "loss", "data_loss", "reg_loss" and "prediction"
  // (the loss's first argument: logits or scores), plus the model's `output` declarations.
  outputs: Record<string, number>;
  // The new value of each state buffer after this graph runs (training graphs only).
  stateUpdates: { name: string; node: number }[];
  // The new value of each parameter after this graph runs (step graphs only).
  paramUpdates: { name: string; node: number }[];
}

// A deep copy that shares nothing mutable with `graph`, for transforms that extend a graph while
// promising to leave their argument alone.
export function cloneGraph(graph: Graph): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((n) => ({ ...n, shape: [...n.shape], inputs: [...n.inputs] })),
    inputs: graph.inputs.map((i) => ({ ...i, shape: [...i.shape] })),
    params: graph.params.map((p) => ({ ...p, shape: [...p.shape], regularizers: [...p.regularizers] })),
    state: graph.state.map((s) => ({ ...s, shape: [...s.shape] })),
    outputs: { ...graph.outputs },
    stateUpdates: graph.stateUpdates.map((u) => ({ ...u })),
    paramUpdates: graph.paramUpdates.map((u) => ({ ...u })),
  };
}

// Builds a graph node by node, checking each node's shape and operand dtypes with the op's shape
// rule, which also gives the node's dtype. A mismatch here is a bug in nnc (the analyzer reports
// the user's mistakes before lowering), so it throws an InternalError.
export class GraphBuilder {
  readonly graph: Graph;
  span: Span | null = null; // attached to every node added until changed

  constructor(file: string, mode: GraphMode) {
    this.graph = { file, mode, nodes: [], inputs: [], params: [], state: [], outputs: {}, stateUpdates: [], paramUpdates: [] };
  }

  static extend(graph: Graph): GraphBuilder {
    const builder = new GraphBuilder(graph.file, graph.mode);
    (builder as { graph: Graph }).graph = graph;
    return builder;
  }

  node(id: number): IRNode {
    const node = this.graph.nodes[id];
    if (!node) throw new InternalError(`no IR node ${id}`);
    return node;
  }

  add<K extends Op>(op: K, inputs: number[], attrs: OpAttrs[K], shape?: Shape): number {
    for (const input of inputs) this.node(input);
    const inferred = inferShape(op, inputs.map((id) => this.node(id)), attrs);
    if (typeof inferred === "string") throw new InternalError(`${op}: ${inferred}`);
    const id = this.graph.nodes.length;
    this.graph.nodes.push({
      id,
      op,
      dtype: inferred.dtype,
      shape: shape ?? inferred.shape,
      inputs,
      attrs,
      span: this.span,
    });
    return id;
  }

  // Sources take their shape and dtype from the caller (i32 only for class-label inputs).
  source<K extends "input" | "param" | "state" | "const">(op: K, attrs: OpAttrs[K], shape: Shape, dtype: DType = "f32"): number {
    // Parameters, state and constants are numbers the step computes with; only data is labels.
    if (dtype !== "f32" && op !== "input") throw new InternalError(`a ${op} node must be f32, not ${dtype}`);
    const id = this.graph.nodes.length;
    this.graph.nodes.push({ id, op, dtype, shape: [...shape], inputs: [], attrs, span: this.span });
    return id;
  }

  constant(value: number, shape: Shape = []): number {
    return this.source("const", { value }, shape);
  }

  // --- small helpers that read like the math ---------------------------------------------------
  unary(op: "neg" | "exp" | "log" | "sqrt" | "abs" | "sign" | "step" | "relu" | "sigmoid" | "tanh" | "softplus", x: number): number {
    return this.add(op, [x], {} as Record<string, never>);
  }
  binary(op: "add" | "sub" | "mul" | "div" | "maximum" | "eq", a: number, b: number): number {
    return this.add(op, [a, b], {} as Record<string, never>);
  }
  scale(x: number, factor: number): number {
    return this.binary("mul", x, this.constant(factor));
  }
  sum(x: number, axes: number[], keepdims = false): number {
    return this.add("sum", [x], { axes, keepdims });
  }
  mean(x: number, axes: number[], keepdims = false): number {
    return this.add("mean", [x], { axes, keepdims });
  }
  reshape(x: number, shape: Shape): number {
    return this.add("reshape", [x], { shape: [...shape] });
  }
  broadcastTo(x: number, shape: Shape): number {
    return this.add("broadcast", [x], { shape: [...shape] });
  }
  matmul(a: number, b: number, transposeA = false, transposeB = false): number {
    return this.add("matmul", [a, b], { transposeA, transposeB });
  }
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

// The number of elements, or null when a dim is symbolic.
export function staticSize(shape: Shape): number | null {
  let size = 1;
  for (const d of shape) {
    if (typeof d !== "number") return null;
    size *= d;
  }
  return size;
}

// Resolves symbolic dims with the given bindings (e.g. {B: 128}).
export function concreteShape(shape: Shape, bindings: Record<string, number>): number[] {
  return shape.map((d) => {
    if (typeof d === "number") return d;
    const value = bindings[d];
    if (value === undefined) throw new InternalError(`symbolic dim ${d} is not bound`);
    return value;
  });
}
