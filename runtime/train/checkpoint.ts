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
// PyTorch state_dict) still load: checkpoint-read.ts. Neither that file nor checkpoint-format.ts
// (the weights file's tensors and metadata, and whether a checkpoint fits a model) touches a file,
// so generated modules save and load the same weights files in a web page; this file does the I/O.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ParamInfo, StateInfo } from "../../compiler/ir/graph.ts";
import { checkCompatible, checkpointTensors, type CheckpointContent } from "./checkpoint-format.ts";
import { encodeOptimizerFile, optimizerPath, readOptimizerFile } from "./checkpoint-optimizer.ts";
import { decodeCheckpoint } from "./checkpoint-read.ts";
import { encodeJson } from "./json-numbers.ts";
import { CheckpointError, commitStaged, discardStaged, encodeSafetensors, readSafetensors, stageFile, writeAtomically } from "./safetensors.ts";

export { CHECKPOINT_FORMAT, checkCompatible, type CheckpointContent, NNC_VERSION } from "./checkpoint-format.ts";
export { optimizerPath, type SavedOptimizer } from "./checkpoint-optimizer.ts";

export interface LoadOptions {
  // Read the optimizer state too (from format 3's companion file): what `--resume` needs.
  optimizer?: boolean;
}

// Reads a checkpoint (any format checkpoint-read.ts knows), and with `optimizer`, format 3's
// companion beside it.
export function loadCheckpoint(path: string, options: LoadOptions = {}): CheckpointContent {
  return decodeCheckpoint(readSafetensors(path), path, options.optimizer ? (reference, progress) => readOptimizerFile(path, reference, progress) : null);
}

// Saving needs the shapes of the parameters and state, which the names alone do not give. The
// companion is staged first and renamed into place after the checkpoint (checkpoint-optimizer.ts
// says why that order loses nothing).
export function saveCheckpoint(path: string, content: CheckpointContent, shapes: Record<string, number[]>): void {
  const { tensors, metadata } = checkpointTensors(content, shapes);
  const shapeOf = (name: string, data: Float32Array) => shapes[name] ?? [data.length];
  const companion = content.optimizer ? encodeOptimizerFile(path, content.optimizer, Object.keys(content.params), content.progress, shapeOf) : null;
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
