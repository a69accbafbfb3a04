// Reading checkpoints back, by format (the metadata `format`):
//   - `nnc-checkpoint-3` (checkpoint.ts describes it): every tensor is a parameter, a batch-norm
//     statistic or a batch-norm `num_batches_tracked`; the standardization is in the metadata and
//     the optimizer state in the companion file, read only when asked for (`--resume`);
//   - `nnc-checkpoint-1` and `-2`: one file that also holds the optimizer's tensors
//     (`optimizer.*`) and the standardization (`standardize.mean`, `standardize.std`);
//   - any other safetensors file (a PyTorch state_dict saved with safetensors.torch.save_file, or
//     what an older exported script saved, with `standardize.*` beside the state_dict): all its
//     tensors are taken as weights or state, and checkCompatible sorts them out against the model.
// A batch norm's `num_batches_tracked`, in any format, must be what PyTorch writes: an I64 scalar,
// a whole number ≥ 0. nnc's batch norm has a fixed momentum, so the value is not used.
//
// This file reads a checkpoint's bytes and touches no file: `loadCheckpoint` (checkpoint.ts) reads
// the file and, for a resume, the companion, and a generated module reads weights a page fetched.

import type { CheckpointContent } from "./checkpoint-format.ts";
import type { OptimizerFileReference } from "./checkpoint-metadata.ts";
import { checkStandardizer, MetadataReader } from "./checkpoint-metadata.ts";
import { OPTIMIZER_FORMAT, readOptimizerTensors, type SavedOptimizer } from "./optimizer-tensors.ts";
import { CheckpointError, type SafetensorsFile, type Tensor } from "./safetensors-codec.ts";

export const BATCHES_TRACKED = ".num_batches_tracked";
const FORMAT_PREFIX = "nnc-checkpoint-";
const NEWEST = 3;

// Reads format 3's optimizer state from the companion file the checkpoint's metadata names (null:
// the caller does not want it).
export type CompanionReader = ((reference: OptimizerFileReference, progress: { epoch: number; step: number }) => SavedOptimizer) | null;

// The checkpoint in `file` (decoded safetensors; `path` names it in messages).
export function decodeCheckpoint(file: SafetensorsFile, path: string, readCompanion: CompanionReader): CheckpointContent {
  const { tensors, metadata } = file;
  const format = metadata.format;
  if (format === OPTIMIZER_FORMAT) {
    throw new CheckpointError(path, "it holds only the optimizer state of a checkpoint (its companion file); give the checkpoint itself, the file without `.optimizer` in its name");
  }
  const version = format?.startsWith(FORMAT_PREFIX) ? Number(format.slice(FORMAT_PREFIX.length)) : null;
  if (version !== null && !(Number.isInteger(version) && version >= 1 && version <= NEWEST)) {
    throw new CheckpointError(path, `its format is ${JSON.stringify(format)}, which this nnc cannot read (it reads ${FORMAT_PREFIX}1 to ${FORMAT_PREFIX}${NEWEST}); it was probably written by a newer nnc`);
  }
  return version === NEWEST ? loadFormat3(path, tensors, metadata, readCompanion) : loadOneFile(path, tensors, metadata, version !== null);
}

function loadFormat3(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string>, readCompanion: CompanionReader): CheckpointContent {
  const read = new MetadataReader(path, metadata);
  const sorted = sortTensors(path, tensors, new Set(read.names("state")), () => false);
  const standardizer = read.standardizer();
  if (standardizer) checkStandardizer(path, standardizer, null);
  const progress = read.progress();
  const reference = read.optimizerFile();
  return {
    model: metadata.model ?? "",
    ...sorted,
    optimizer: reference && readCompanion ? readCompanion(reference, progress) : null,
    standardizer,
    progress,
    scheduleState: read.numbers("schedule"),
    earlyStoppingState: read.numbers("early_stopping"),
    seed: read.seed(),
    writtenBy: { nnc: metadata.nnc_version ?? "unknown", format: metadata.format! },
  };
}

// Formats 1 and 2, and files nnc did not write (`written` false).
function loadOneFile(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string>, written: boolean): CheckpointContent {
  const read = new MetadataReader(path, metadata);
  const paramOrder = read.names("params");
  const stateNames = new Set(read.names("state"));
  const optimizerMeta = read.optimizer(Object.keys(tensors).length);
  const optimizerTensors = optimizerMeta ? readOptimizerTensors(path, tensors, optimizerMeta, paramOrder) : {};
  // A tensor the metadata lists as a parameter or state is one, whatever its name (a layer may be
  // called `optimizer`); otherwise the `optimizer.` and `standardize.` entries of nnc's own files
  // are set aside. A file nnc did not write has only weights and state, and perhaps a standardizer.
  const listed = new Set([...paramOrder, ...stateNames]);
  const setAside = (name: string) =>
    !listed.has(name) && (written ? name.startsWith("optimizer.") || name.startsWith("standardize.") : name === "standardize.mean" || name === "standardize.std");
  const sorted = sortTensors(path, tensors, stateNames, setAside);
  const mean = tensors["standardize.mean"];
  const std = tensors["standardize.std"];
  if (!mean !== !std) throw new CheckpointError(path, `it has \`standardize.${mean ? "mean" : "std"}\` without \`standardize.${mean ? "std" : "mean"}\``);
  const standardizer = mean && std ? { mean: mean.data, std: std.data } : null;
  if (standardizer) checkStandardizer(path, standardizer, null);
  return {
    model: metadata.model ?? "",
    ...sorted,
    optimizer: optimizerMeta ? { kind: optimizerMeta.kind, scalars: optimizerMeta.scalars, tensors: optimizerTensors } : null,
    standardizer,
    progress: read.progress(),
    scheduleState: read.numbers("schedule"),
    earlyStoppingState: read.numbers("early_stopping"),
    seed: read.seed(),
    writtenBy: written ? { nnc: metadata.nnc_version ?? "unknown", format: metadata.format! } : null,
  };
}

// The file's tensors as parameters (in the file's order, which is the model's for nnc's files),
// state and batch-norm step counters, with their shapes.
function sortTensors(
  path: string,
  tensors: Record<string, Tensor>,
  stateNames: Set<string>,
  setAside: (name: string) => boolean,
): Pick<CheckpointContent, "params" | "state" | "shapes" | "batchesTracked"> {
  const params: Record<string, Float32Array> = {};
  const state: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  const batchesTracked: Record<string, number> = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    if (setAside(name)) continue;
    if (name.endsWith(BATCHES_TRACKED) && !stateNames.has(name)) {
      batchesTracked[name] = batchesTrackedValue(path, name, tensor);
      continue;
    }
    shapes[name] = tensor.shape;
    (stateNames.has(name) ? state : params)[name] = tensor.data;
  }
  return { params, state, shapes, batchesTracked };
}

// PyTorch's BatchNorm keeps its step counter as a 0-dimensional int64 tensor; anything else would
// fail PyTorch's own strict load, so it is refused here too.
function batchesTrackedValue(path: string, name: string, tensor: Tensor): number {
  const value = tensor.data[0];
  const what = `\`${name}\` (batch norm's step counter) must be an I64 scalar, as PyTorch stores it`;
  if (tensor.dtype !== "I64" || tensor.shape.length !== 0) {
    throw new CheckpointError(path, `${what}, but it is ${tensor.dtype ?? "F32"} with shape [${tensor.shape.join(", ")}]`);
  }
  if (value === undefined || !(Number.isInteger(value) && value >= 0)) throw new CheckpointError(path, `${what} of a whole number ≥ 0, but it is ${value}`);
  return value;
}
