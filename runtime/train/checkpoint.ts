// A checkpoint is one safetensors file:
//   - the parameters under their .nn names (`h1.weight`, PyTorch layouts, so the names double as a
//     PyTorch state_dict's keys and `safetensors.torch.load_file` + `load_state_dict` just works),
//   - the non-trainable state (batch norm's `…running_mean`, `…running_var`),
//   - the optimizer's tensors: per parameter as `optimizer.<param>.<slot>` (e.g.
//     `optimizer.h1.weight.exp_avg`, in the parameter's shape), or, for L-BFGS, whose state is one
//     flat vector and a history, as `optimizer.<slot>.<k>` (e.g. `optimizer.old_dirs.3`),
//   - the standardization as `standardize.mean` and `standardize.std`,
//   - and in `__metadata__` (strings, JSON where structured): the format version, nnc's version,
//     the model's name, the progress (epoch, step), the seed, the optimizer's kind and scalars,
//     the schedule's and early stopping's state, and the best metric so far,
// so that `--resume` continues the same run exactly and `--init` can start from its weights.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ParamInfo, StateInfo } from "../../compiler/ir/graph.ts";
import type { Standardizer } from "../data/standardize.ts";
import { checkStandardizer, MetadataReader } from "./checkpoint-metadata.ts";
import { encodeJson } from "./json-numbers.ts";
import { CheckpointError, readSafetensors, type Tensor, writeSafetensors } from "./safetensors.ts";

// Version 2 names optimizer tensors by parameter; version 1 (`optimizer.<slot>.<index>`) still loads.
export const CHECKPOINT_FORMAT = "nnc-checkpoint-2";
export const NNC_VERSION = "0.1.0";

export interface SavedOptimizer {
  kind: string; // OptimizerConfig["kind"]
  scalars: Record<string, number>;
  // For the first-order optimizers: one array per parameter, in parameter order. For L-BFGS: the
  // flat vectors (d, prev_flat_grad) and the history (old_dirs, old_stps), oldest first.
  tensors: Record<string, Float32Array[]>;
}

export interface CheckpointContent {
  model: string;
  params: Record<string, Float32Array>; // in the model's parameter order
  state: Record<string, Float32Array>;
  // Shapes as the checkpoint stores them (for compatibility messages); filled in when loading.
  shapes?: Record<string, number[]>;
  optimizer: SavedOptimizer | null;
  standardizer: Standardizer | null;
  progress: { epoch: number; step: number };
  scheduleState: Record<string, number> | null;
  earlyStoppingState: Record<string, number> | null;
  // The run's seed. Every random stream of a run (batch order, dropout masks) is derived from the
  // seed and the epoch or step, so with `progress` it is the whole random state.
  seed?: number | null;
  // Filled in when loading: the nnc version and format that wrote the file (null for files that
  // nnc did not write, such as a PyTorch state_dict).
  writtenBy?: { nnc: string; format: string } | null;
}

const L_BFGS = "lbfgs";

// Saving needs the shapes of the parameters and state, which the names alone do not give.
export function saveCheckpoint(path: string, content: CheckpointContent, shapes: Record<string, number[]>): void {
  const tensors: Record<string, Tensor> = {};
  const shapeOf = (name: string, data: Float32Array) => shapes[name] ?? [data.length];
  for (const [name, data] of [...Object.entries(content.params), ...Object.entries(content.state)]) {
    tensors[name] = { shape: shapeOf(name, data), data };
  }
  const paramNames = Object.keys(content.params);
  const slots: Record<string, number> = {};
  if (content.optimizer) {
    const perParameter = content.optimizer.kind !== L_BFGS;
    for (const [slot, list] of Object.entries(content.optimizer.tensors)) {
      slots[slot] = list.length;
      list.forEach((data, i) => {
        const param = paramNames[i];
        if (perParameter && param === undefined) throw new Error(`internal error: optimizer slot \`${slot}\` has more tensors than there are parameters`);
        if (perParameter) tensors[`optimizer.${param}.${slot}`] = { shape: shapeOf(param!, data), data };
        else tensors[`optimizer.${slot}.${i}`] = { shape: [data.length], data };
      });
    }
  }
  if (content.standardizer) {
    tensors["standardize.mean"] = { shape: [content.standardizer.mean.length], data: content.standardizer.mean };
    tensors["standardize.std"] = { shape: [content.standardizer.std.length], data: content.standardizer.std };
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    nnc_version: NNC_VERSION,
    model: content.model,
    progress: encodeJson(content.progress),
    params: encodeJson(paramNames),
    state: encodeJson(Object.keys(content.state)),
  };
  if (content.seed !== undefined && content.seed !== null) metadata.seed = encodeJson(content.seed);
  if (content.optimizer) metadata.optimizer = encodeJson({ kind: content.optimizer.kind, scalars: content.optimizer.scalars, slots });
  if (content.scheduleState) metadata.schedule = encodeJson(content.scheduleState);
  if (content.earlyStoppingState) {
    metadata.early_stopping = encodeJson(content.earlyStoppingState);
    // For people reading the file: the best value of the watched metric and its epoch.
    const { best, bestEpoch } = content.earlyStoppingState;
    if (best !== undefined) metadata.best_metric = encodeJson({ value: best, epoch: bestEpoch ?? null });
  }
  // The checkpoint's folder (e.g. `runs/`) is created on first use.
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new CheckpointError(path, `cannot create its folder: ${(error as Error).message}`);
  }
  writeSafetensors(path, tensors, metadata);
}

// Reads a checkpoint written by nnc, or a plain safetensors file of weights (e.g. a PyTorch
// state_dict saved with safetensors.torch.save_file), whose tensors are then all taken as
// parameters or state: checkCompatible sorts them out against the model. Optimizer entries are
// kept apart, so a load for `--init` simply ignores them.
export function loadCheckpoint(path: string): CheckpointContent {
  const { tensors, metadata } = readSafetensors(path);
  const read = new MetadataReader(path, metadata);
  const paramOrder = read.names("params");
  const stateNames = new Set(read.names("state"));
  const optimizerMeta = read.optimizer(Object.keys(tensors).length);
  const optimizerTensors = optimizerMeta ? readOptimizerTensors(path, tensors, optimizerMeta, paramOrder) : {};

  const params: Record<string, Float32Array> = {};
  const state: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  const written = metadata.format?.startsWith("nnc-checkpoint-") ? { nnc: metadata.nnc_version ?? "unknown", format: metadata.format } : null;
  // A tensor the metadata lists as a parameter or state is one, whatever its name (a layer may be
  // called `optimizer`); otherwise the `optimizer.` and `standardize.` entries of nnc's own files
  // are set aside. A file nnc did not write has only weights and state.
  const listed = new Set([...paramOrder, ...stateNames]);
  const setAside = (name: string) =>
    !listed.has(name) && (written ? name.startsWith("optimizer.") || name.startsWith("standardize.") : name === "standardize.mean" || name === "standardize.std");
  for (const [name, tensor] of Object.entries(tensors)) {
    if (setAside(name)) continue;
    shapes[name] = tensor.shape;
    (stateNames.has(name) ? state : params)[name] = tensor.data;
  }
  const mean = tensors["standardize.mean"];
  const std = tensors["standardize.std"];
  if (!mean !== !std) throw new CheckpointError(path, `it has \`standardize.${mean ? "mean" : "std"}\` without \`standardize.${mean ? "std" : "mean"}\``);
  const standardizer = mean && std ? { mean: mean.data, std: std.data } : null;
  if (standardizer) checkStandardizer(path, standardizer, null);
  return {
    model: metadata.model ?? "",
    params,
    state,
    shapes,
    optimizer: optimizerMeta ? { kind: optimizerMeta.kind, scalars: optimizerMeta.scalars, tensors: optimizerTensors } : null,
    standardizer,
    progress: read.progress(),
    scheduleState: read.numbers("schedule"),
    earlyStoppingState: read.numbers("early_stopping"),
    seed: read.seed(),
    writtenBy: written,
  };
}

// Gathers the optimizer's tensors back into slot lists, by the names saveCheckpoint gave them.
function readOptimizerTensors(
  path: string,
  tensors: Record<string, Tensor>,
  meta: { kind: string; slots?: Record<string, number> },
  paramOrder: string[],
): Record<string, Float32Array[]> {
  const out: Record<string, Float32Array[]> = {};
  if (!meta.slots) {
    // Format 1: every slot as `optimizer.<slot>.<index>`.
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

const show = (shape: readonly number[]) => `[${shape.join(", ")}]`;

// PyTorch's BatchNorm keeps a step counter that nnc does not use (its momentum is fixed), so a
// PyTorch state_dict's `…num_batches_tracked` entries are accepted and ignored.
const IGNORED_SUFFIX = ".num_batches_tracked";

// Problems that keep the checkpoint from fitting the model, one sentence each, naming the tensor
// and, for a shape mismatch, both shapes. Batch-norm statistics that a weights-only file lacks are
// not a problem (they keep their initial values); tensors the model lacks are. Tensors loaded as
// parameters that the model knows as state are moved to the state.
export function checkCompatible(content: CheckpointContent, params: ParamInfo[], state: StateInfo[]): string[] {
  const problems: string[] = [];
  const shapes = content.shapes ?? {};
  for (const s of state) {
    if (content.params[s.name] && !content.state[s.name]) {
      content.state[s.name] = content.params[s.name]!;
      delete content.params[s.name];
    }
  }
  for (const name of Object.keys(content.params)) if (name.endsWith(IGNORED_SUFFIX)) delete content.params[name];
  const expected = new Map<string, number[]>([...params.map((p) => [p.name, p.shape] as const), ...state.map((s) => [s.name, s.shape] as const)]);
  for (const p of params) {
    if (!content.params[p.name]) problems.push(`missing parameter \`${p.name}\` (the model has ${show(p.shape)})`);
  }
  for (const [name, data] of [...Object.entries(content.params), ...Object.entries(content.state)]) {
    const want = expected.get(name);
    if (!want) {
      problems.push(`unexpected tensor \`${name}\` ${show(shapes[name] ?? [data.length])}: the model has no parameter or state of that name`);
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

// Problems that keep a checkpoint from resuming a run with the given optimizer (on top of
// checkCompatible's): resuming continues the optimizer's state, which only the same kind of
// optimizer can do. A file without optimizer state (weights only) cannot be resumed at all.
export function checkResumable(content: CheckpointContent, optimizerKind: string): string[] {
  if (!content.optimizer) {
    return ["it holds no optimizer state (it has weights only); start a new run from it with `--init` instead"];
  }
  if (content.optimizer.kind !== optimizerKind) {
    return [`it was saved by the optimizer \`${content.optimizer.kind}\` but the run uses \`${optimizerKind}\`; resume with the same optimizer, or start a new run from its weights with \`--init\``];
  }
  return [];
}

// The `--init` load: only the weights and the state of a checkpoint or of any safetensors file
// with the model's names (a PyTorch state_dict saved with safetensors.torch.save_file), in the
// model's order. The optimizer, the standardization and the metadata are ignored. State the file
// lacks keeps its initial value; any other mismatch is a CheckpointError listing every problem.
export function loadWeights(path: string, params: ParamInfo[], state: StateInfo[]): { params: Float32Array[]; state: Float32Array[] } {
  const content = loadCheckpoint(path);
  const problems = checkCompatible(content, params, state);
  if (problems.length > 0) throw new CheckpointError(path, `it does not fit the model: ${problems.join("; ")}`);
  return {
    params: params.map((p) => content.params[p.name]!),
    state: state.map((s) => content.state[s.name] ?? new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(s.init)),
  };
}
