// A checkpoint (format 3, `nnc-checkpoint-3`) is two safetensors files:
//
// `X.safetensors` holds exactly the state_dict of the model's PyTorch module (the module that
// `nnc export --to pytorch` writes), so `model.load_state_dict(tensors, strict=True)` takes it
// as it is, with no keys to filter:
//   - the parameters under their .nn names (`h1.weight`), in PyTorch's layouts, as F32;
//   - the batch-norm statistics (`…running_mean`, `…running_var`) as F32 and, as PyTorch's
//     BatchNorm has it, `…num_batches_tracked`: an I64 scalar, the number of training steps the
//     run had taken (the progress's step). nnc's batch norm has a fixed momentum and never reads
//     it; loading checks its dtype and shape only;
//   - in `__metadata__` (strings, JSON where structured): the format, nnc's version, the model's
//     name, the progress (epoch, step), the parameter and state names, the seed, the
//     standardization as JSON number arrays (`standardize`: {"mean": […], "std": […]}, exact for
//     float32 values, so a weights-only reader sees no tensors that are not the module's), the
//     schedule's and early stopping's state, the best metric so far, and `optimizer_file`, which
//     names the companion file and holds the SHA-256 of its bytes.
//
// `X.optimizer.safetensors`, beside it, holds the optimizer's state (checkpoint-optimizer.ts). Only
// `--resume` reads it; `--init`, `nnc eval`, `nnc predict` and `nnc export` need X alone.
//
// So `--resume` continues the same run exactly and `--init` can start from its weights. Formats 1
// and 2 (one file, with `optimizer.*` and `standardize.*` tensors) and plain weights files (a
// PyTorch state_dict) still load: checkpoint-read.ts.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ParamInfo, StateInfo } from "../../compiler/ir/graph.ts";
import type { Standardizer } from "../data/standardize.ts";
import { encodeOptimizerFile, optimizerPath, type SavedOptimizer } from "./checkpoint-optimizer.ts";
import { BATCHES_TRACKED, loadCheckpoint } from "./checkpoint-read.ts";
import { encodeJson } from "./json-numbers.ts";
import { CheckpointError, commitStaged, discardStaged, encodeSafetensors, stageFile, type WritableTensor, writeAtomically } from "./safetensors.ts";

export { loadCheckpoint, type LoadOptions } from "./checkpoint-read.ts";
export { optimizerPath, type SavedOptimizer } from "./checkpoint-optimizer.ts";

export const CHECKPOINT_FORMAT = "nnc-checkpoint-3";
export const NNC_VERSION = "0.1.0";

export interface CheckpointContent {
  model: string;
  params: Record<string, Float32Array>; // in the model's parameter order
  state: Record<string, Float32Array>;
  // Shapes as the checkpoint stores them (for compatibility messages); filled in when loading.
  shapes?: Record<string, number[]>;
  // Batch norm's `…num_batches_tracked` counters by name; filled in when loading (checked, and
  // matched with the model's batch norms, but otherwise unused).
  batchesTracked?: Record<string, number>;
  // Null when the file holds none, or (format 3) when the load did not ask for it.
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

const RUNNING_MEAN = ".running_mean";

// Saving needs the shapes of the parameters and state, which the names alone do not give. The
// companion is staged first and renamed into place after the checkpoint (checkpoint-optimizer.ts
// says why that order loses nothing).
export function saveCheckpoint(path: string, content: CheckpointContent, shapes: Record<string, number[]>): void {
  const tensors: Record<string, WritableTensor> = {};
  const shapeOf = (name: string, data: Float32Array) => shapes[name] ?? [data.length];
  for (const [name, data] of [...Object.entries(content.params), ...Object.entries(content.state)]) {
    tensors[name] = { shape: shapeOf(name, data), data };
  }
  // Batch norm is the one layer with a running mean; PyTorch's module has a counter beside it.
  for (const name of Object.keys(content.state)) {
    if (name.endsWith(RUNNING_MEAN)) {
      tensors[name.slice(0, -RUNNING_MEAN.length) + BATCHES_TRACKED] = { shape: [], dtype: "I64", data: BigInt64Array.of(BigInt(content.progress.step)) };
    }
  }
  const paramNames = Object.keys(content.params);
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    nnc_version: NNC_VERSION,
    model: content.model,
    progress: encodeJson(content.progress),
    params: encodeJson(paramNames),
    state: encodeJson(Object.keys(content.state)),
  };
  if (content.seed !== undefined && content.seed !== null) metadata.seed = encodeJson(content.seed);
  if (content.standardizer) metadata.standardize = encodeJson({ mean: Array.from(content.standardizer.mean), std: Array.from(content.standardizer.std) });
  if (content.scheduleState) metadata.schedule = encodeJson(content.scheduleState);
  if (content.earlyStoppingState) {
    metadata.early_stopping = encodeJson(content.earlyStoppingState);
    // For people reading the file: the best value of the watched metric and its epoch.
    const { best, bestEpoch } = content.earlyStoppingState;
    if (best !== undefined) metadata.best_metric = encodeJson({ value: best, epoch: bestEpoch ?? null });
  }
  const companion = content.optimizer ? encodeOptimizerFile(path, content.optimizer, paramNames, content.progress, shapeOf) : null;
  if (companion) metadata.optimizer_file = encodeJson(companion.reference);
  const bytes = encodeSafetensors(tensors, metadata);
  // The checkpoint's folder (e.g. `runs/`) is created on first use.
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new CheckpointError(path, `cannot create its folder: ${(error as Error).message}`);
  }
  if (!companion) {
    writeAtomically(path, bytes);
    return;
  }
  const companionPath = optimizerPath(path);
  stageFile(companionPath, companion.bytes);
  try {
    writeAtomically(path, bytes);
  } catch (error) {
    discardStaged(companionPath);
    throw error;
  }
  commitStaged(companionPath);
}

const show = (shape: readonly number[]) => `[${shape.join(", ")}]`;

// Problems that keep the checkpoint from fitting the model, one sentence each, naming the tensor
// and, for a shape mismatch, both shapes. Batch-norm statistics that a weights-only file lacks are
// not a problem (they keep their initial values); tensors the model lacks are. Tensors loaded as
// parameters that the model knows as state are moved to the state. A `…num_batches_tracked` is
// accepted for each of the model's batch norms (PyTorch's BatchNorm has one; nnc does not use it).
export function checkCompatible(content: CheckpointContent, params: ParamInfo[], state: StateInfo[]): string[] {
  const problems: string[] = [];
  const shapes = content.shapes ?? {};
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
      problems.push(`unexpected tensor \`${name}\` ${show(shapes[name] ?? [data.length])}: the model has no parameter or state of that name`);
      continue;
    }
    const have = shapes[name] ?? [data.length];
    const sameSize = data.length === want.reduce((a, b) => a * b, 1);
    if (!sameSize || (shapes[name] && show(have) !== show(want))) {
      problems.push(`\`${name}\` has shape ${show(have)} in the checkpoint but ${show(want)} in the model`);
    }
  }
  const batchNorms = new Set(state.filter((s) => s.name.endsWith(RUNNING_MEAN)).map((s) => s.name.slice(0, -RUNNING_MEAN.length)));
  for (const name of Object.keys(content.batchesTracked ?? {})) {
    const layer = name.slice(0, -BATCHES_TRACKED.length);
    if (!batchNorms.has(layer)) problems.push(`unexpected tensor \`${name}\` []: the model has no batch norm \`${layer}\``);
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
