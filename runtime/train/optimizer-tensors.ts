// The optimizer's tensors as a checkpoint's companion file names them (checkpoint-optimizer.ts
// describes the file), and back: the naming alone, with no file access, so that a web page can read
// and write weights files with the same code (runtime/model/weights.ts).

import { CheckpointError, type Tensor } from "./safetensors-codec.ts";

export const OPTIMIZER_FORMAT = "nnc-optimizer-3";
const L_BFGS = "lbfgs";

export interface SavedOptimizer {
  kind: string; // OptimizerConfig["kind"]
  scalars: Record<string, number>;
  // For the first-order optimizers: one array per parameter, in parameter order. For L-BFGS: the
  // flat vectors (d, prev_flat_grad) and the history (old_dirs, old_stps), oldest first.
  tensors: Record<string, Float32Array[]>;
}

// The optimizer's tensors under their names in the file, with the slot counts that name them back.
export function optimizerTensors(
  optimizer: SavedOptimizer,
  paramNames: string[],
  shapeOf: (param: string, data: Float32Array) => number[],
): { tensors: Record<string, Tensor>; slots: Record<string, number> } {
  const tensors: Record<string, Tensor> = {};
  const slots: Record<string, number> = {};
  const perParameter = optimizer.kind !== L_BFGS;
  for (const [slot, list] of Object.entries(optimizer.tensors)) {
    slots[slot] = list.length;
    list.forEach((data, i) => {
      const param = paramNames[i];
      if (perParameter && param === undefined) throw new Error(`internal error: optimizer slot \`${slot}\` has more tensors than there are parameters`);
      if (perParameter) tensors[`optimizer.${param}.${slot}`] = { shape: shapeOf(param!, data), data };
      else tensors[`optimizer.${slot}.${i}`] = { shape: [data.length], data };
    });
  }
  return { tensors, slots };
}

// Gathers the optimizer's tensors back into slot lists, by the names optimizerTensors gave them
// (format 2's checkpoints and format 3's companions), or, without slot counts, by format 1's
// `optimizer.<slot>.<index>`.
export function readOptimizerTensors(
  path: string,
  tensors: Record<string, Tensor>,
  meta: { kind: string; slots?: Record<string, number> },
  paramOrder: string[],
): Record<string, Float32Array[]> {
  const out: Record<string, Float32Array[]> = {};
  if (!meta.slots) {
    for (const [name, tensor] of Object.entries(tensors)) {
      const match = /^optimizer\.(.+)\.(\d+)$/.exec(name);
      if (match) (out[match[1]!] ??= [])[Number(match[2])] = tensor.data;
    }
    return out;
  }
  for (const [slot, count] of Object.entries(meta.slots)) {
    out[slot] = Array.from({ length: count }, (_, i) => {
      const name = meta.kind === L_BFGS ? `optimizer.${slot}.${i}` : `optimizer.${paramOrder[i]}.${slot}`;
      const tensor = tensors[name];
      if (!tensor) throw new CheckpointError(path, `the optimizer's tensor \`${name}\` is missing`);
      return tensor.data;
    });
  }
  return out;
}
