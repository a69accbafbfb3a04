// A checkpoint is one safetensors file: the parameters under their .nn names (PyTorch layouts, so
// the names double as a PyTorch state_dict's keys), the batch-norm running statistics, the
// optimizer's tensors as `optimizer.<slot>.<index>`, the standardization as `standardize.mean` and
// `standardize.std`, and in the metadata (strings, JSON where structured) the progress and the
// state of the optimizer's scalars, the schedule and early stopping, so `--resume` continues the
// same run.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ParamInfo, StateInfo } from "../../compiler/ir/graph.ts";
import type { Standardizer } from "../data/standardize.ts";
import { CheckpointError, readSafetensors, type Tensor, writeSafetensors } from "./safetensors.ts";

export const CHECKPOINT_FORMAT = "nnc-checkpoint-1";

export interface CheckpointContent {
  model: string;
  params: Record<string, Float32Array>;
  state: Record<string, Float32Array>;
  // Shapes as the checkpoint stores them (for compatibility messages); filled in when loading.
  shapes?: Record<string, number[]>;
  optimizer: { kind: string; scalars: Record<string, number>; tensors: Record<string, Float32Array[]> } | null;
  standardizer: Standardizer | null;
  progress: { epoch: number; step: number };
  scheduleState: Record<string, number> | null;
  earlyStoppingState: Record<string, number> | null;
}

// Saving needs the shapes of the parameters and state, which the names alone do not give.
export function saveCheckpoint(path: string, content: CheckpointContent, shapes: Record<string, number[]>): void {
  const tensors: Record<string, Tensor> = {};
  for (const [name, data] of [...Object.entries(content.params), ...Object.entries(content.state)]) {
    tensors[name] = { shape: shapes[name] ?? [data.length], data };
  }
  if (content.optimizer) {
    for (const [slot, list] of Object.entries(content.optimizer.tensors)) {
      list.forEach((data, i) => (tensors[`optimizer.${slot}.${i}`] = { shape: [data.length], data }));
    }
  }
  if (content.standardizer) {
    tensors["standardize.mean"] = { shape: [content.standardizer.mean.length], data: content.standardizer.mean };
    tensors["standardize.std"] = { shape: [content.standardizer.std.length], data: content.standardizer.std };
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    model: content.model,
    progress: JSON.stringify(content.progress),
    params: JSON.stringify(Object.keys(content.params)),
    state: JSON.stringify(Object.keys(content.state)),
  };
  if (content.optimizer) metadata.optimizer = JSON.stringify({ kind: content.optimizer.kind, scalars: content.optimizer.scalars });
  if (content.scheduleState) metadata.schedule = JSON.stringify(content.scheduleState);
  if (content.earlyStoppingState) metadata.early_stopping = JSON.stringify(content.earlyStoppingState);
  // The checkpoint's folder (e.g. `runs/`) is created on first use.
  mkdirSync(dirname(path), { recursive: true });
  writeSafetensors(path, tensors, metadata);
}

// Reads a checkpoint written by nnc, or a plain safetensors file of weights (e.g. a PyTorch
// state_dict saved with safetensors.torch.save_file), whose tensors are then all parameters or
// state: checkCompatible sorts them out against the model.
export function loadCheckpoint(path: string): CheckpointContent {
  const { tensors, metadata } = readSafetensors(path);
  const json = <T>(key: string, fallback: T): T => {
    if (metadata[key] === undefined) return fallback;
    try {
      return JSON.parse(metadata[key]!) as T;
    } catch {
      throw new CheckpointError(path, `its metadata \`${key}\` is not valid JSON`);
    }
  };
  const params: Record<string, Float32Array> = {};
  const state: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  const stateNames = new Set(json<string[]>("state", []));
  const slots: Record<string, Float32Array[]> = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    const optimizerSlot = /^optimizer\.(.+)\.(\d+)$/.exec(name);
    if (optimizerSlot) {
      (slots[optimizerSlot[1]!] ??= [])[Number(optimizerSlot[2])] = tensor.data;
      continue;
    }
    if (name.startsWith("standardize.")) continue;
    shapes[name] = tensor.shape;
    (stateNames.has(name) ? state : params)[name] = tensor.data;
  }
  const optimizerMeta = json<{ kind: string; scalars: Record<string, number> } | null>("optimizer", null);
  const mean = tensors["standardize.mean"];
  const std = tensors["standardize.std"];
  return {
    model: metadata.model ?? "",
    params,
    state,
    shapes,
    optimizer: optimizerMeta ? { ...optimizerMeta, tensors: slots } : null,
    standardizer: mean && std ? { mean: mean.data, std: std.data } : null,
    progress: json("progress", { epoch: 0, step: 0 }),
    scheduleState: json("schedule", null),
    earlyStoppingState: json("early_stopping", null),
  };
}

// Problems that keep the checkpoint from fitting the model, each a sentence naming the tensor and
// both shapes. Batch-norm statistics that a weights-only file lacks are not a problem (they keep
// their initial values); tensors the model lacks are. Tensors loaded as parameters that the model
// knows as state are moved to the state.
export function checkCompatible(content: CheckpointContent, params: ParamInfo[], state: StateInfo[]): string[] {
  const problems: string[] = [];
  const shapes = content.shapes ?? {};
  const show = (shape: readonly number[]) => `[${shape.join(", ")}]`;
  for (const s of state) {
    if (content.params[s.name] && !content.state[s.name]) {
      content.state[s.name] = content.params[s.name]!;
      delete content.params[s.name];
    }
  }
  const expected = new Map<string, number[]>([...params.map((p) => [p.name, p.shape] as const), ...state.map((s) => [s.name, s.shape] as const)]);
  for (const p of params) {
    if (!content.params[p.name]) problems.push(`missing parameter \`${p.name}\` (the model has ${show(p.shape)})`);
  }
  for (const [name, data] of [...Object.entries(content.params), ...Object.entries(content.state)]) {
    const want = expected.get(name);
    if (!want) {
      problems.push(`unexpected tensor \`${name}\` in the checkpoint (the model has no such parameter)`);
      continue;
    }
    const have = shapes[name] ?? [data.length];
    const sameSize = data.length === want.reduce((a, b) => a * b, 1);
    if (!sameSize || (shapes[name] && show(have) !== show(want))) {
      problems.push(`\`${name}\` has shape ${show(have)} in the checkpoint but ${show(want)} in the model`);
    }
  }
  return problems;
}
