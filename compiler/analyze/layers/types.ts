// The shape of one row of the layer table (./index.ts): everything nnc knows about a layer lives in
// its row — the signature its arguments bind to (args.ts), the shape rule that checks its input and
// declares its parameters, and its lowering to IR ops. Adding a layer is adding a row.

import type { Span } from "../../../grammar/ast.ts";
import type { DiagnosticBag } from "../../diagnostics/registry.ts";
import type { GraphBuilder, Shape } from "../../ir/graph.ts";
import type { BoundArgs, Signature } from "../args.ts";
import type { LayerNode, ParamDecl, StateDecl, TensorValue } from "../model-types.ts";

// A call of a layer as the shape rule sees it: its tensor inputs (with known shapes), where each
// was written, and its other arguments, already bound and range-checked.
export interface LayerCall {
  name: string;
  span: Span; // the whole call
  inputs: TensorValue[];
  inputSpans: Span[];
  args: BoundArgs;
  bag: DiagnosticBag;
}

// What the shape rule returns: the output's shape, the configuration the lowering reads, and the
// parameters and state buffers the layer owns (named later, by where the layer is used).
export interface LayerOutput {
  shape: Shape;
  config?: Record<string, unknown>;
  params?: ParamDecl[];
  state?: StateDecl[];
}

// What a layer's lowering can reach: the builder, the mode, its node, and its parameters and
// state as IR nodes.
export interface LowerContext {
  b: GraphBuilder;
  mode: "train" | "eval";
  node: LayerNode;
  param(local: string): number;
  state(local: string): number;
  updateState(local: string, value: number): void;
}

export interface LayerRow {
  signature: Signature;
  // How many leading parameters of the signature are tensors; "variadic": every positional
  // argument is a tensor and the signature lists only the keyword arguments (concat).
  tensors: number | "variadic";
  // Whether the layer owns parameters; such layers are named items in parameter paths.
  parametric: boolean;
  // Checks the inputs and arguments. Returns null after reporting a diagnostic.
  infer(call: LayerCall): LayerOutput | null;
  lower(ctx: LowerContext, inputs: number[]): number;
}

export const TENSOR = { kind: "expression" } as const;
export const POSITIVE_INT = { kind: "number", integer: true, min: 1 } as const;
