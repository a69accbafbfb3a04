// Small helpers shared by the shape rules: printing shapes and the notes that point at where a
// shape came from.

import type { Note } from "../../diagnostics/diagnostic.ts";
import { formatShape, type Shape } from "../../ir/graph.ts";
import type { TensorValue } from "../model-types.ts";
import type { LayerCall } from "./types.ts";

export const show = (shape: Shape): string => formatShape(shape);

export function shapeNote(call: LayerCall, value: TensorValue, message = "the input's shape came from here"): Note {
  return call.bag.note(message, value.origin);
}

// Reports that the layer needs an input of another rank (E0304).
export function rankError(call: LayerCall, expected: string, hint: string | null = null): null {
  const x = call.inputs[0]!;
  call.bag.report("E0304", call.span, {
    args: { layer: call.name, expected, shape: show(x.shape) },
    notes: [shapeNote(call, x)],
    hint,
  });
  return null;
}

// Reports that a size the layer needs (a feature count, a channel count) is symbolic (E0315).
export function symbolicError(call: LayerCall, what: string): null {
  const x = call.inputs[0]!;
  call.bag.report("E0315", call.span, {
    args: { layer: call.name, what, shape: show(x.shape) },
    notes: [shapeNote(call, x)],
    hint: "only the batch dimension may be a name; give the other sizes as numbers",
  });
  return null;
}

// The axis as a non-negative index, or null after reporting E0308.
export function checkAxis(call: LayerCall, axis: number, rank: number): number | null {
  const normalized = axis < 0 ? axis + rank : axis;
  if (normalized >= 0 && normalized < rank) return normalized;
  call.bag.report("E0308", call.args.spans.axis ?? call.span, {
    args: { axis, rank },
    notes: [shapeNote(call, call.inputs[0]!)],
  });
  return null;
}
