// A checkpoint's optimizer state, in its companion file: `X.optimizer.safetensors` beside the
// checkpoint `X.safetensors` (format 3). The checkpoint itself holds only what the exported PyTorch
// module's state_dict holds, so a PyTorch user loads it with a strict `load_state_dict`; the
// optimizer's tensors, which only `--resume` needs, live here:
//   - per parameter as `optimizer.<param>.<slot>` (e.g. `optimizer.h1.weight.exp_avg`, in the
//     parameter's shape), or, for L-BFGS, whose state is one flat vector and a history, as
//     `optimizer.<slot>.<k>` (e.g. `optimizer.old_dirs.3`),
//   - and in `__metadata__`: the format (`nnc-optimizer-3`), the checkpoint's file name and
//     progress (for messages), the parameter order, and the optimizer's kind, scalars and slot
//     counts.
// The checkpoint's metadata `optimizer_file` names the companion and holds the SHA-256 of its
// bytes, so a companion from another save (a copy, a crash between the two renames) is a clear
// error naming both files rather than a resume that silently continues another run.
//
// Saving stages the companion (written and flushed under its temp name), replaces the checkpoint
// atomically, then renames the companion into place. A crash before the checkpoint's rename leaves
// the old pair; a crash after it leaves the new checkpoint with its companion still under the temp
// name, which loading finds by its hash and reads instead (`.X.optimizer.safetensors.tmp`).

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { OptimizerFileReference } from "./checkpoint-metadata.ts";
import { MetadataReader } from "./checkpoint-metadata.ts";
import { encodeJson } from "./json-numbers.ts";
import { OPTIMIZER_FORMAT, optimizerTensors, readOptimizerTensors, type SavedOptimizer } from "./optimizer-tensors.ts";
import { CheckpointError, decodeSafetensors, encodeSafetensors, readFileBytes } from "./safetensors.ts";
import { tempPathFor } from "./safetensors-files.ts";

export { OPTIMIZER_FORMAT, optimizerTensors, readOptimizerTensors, type SavedOptimizer } from "./optimizer-tensors.ts";

// `runs/m.safetensors` → `runs/m.optimizer.safetensors`; a name without the `.safetensors`
// extension gets `.optimizer.safetensors` appended.
export function optimizerPath(checkpoint: string): string {
  const name = basename(checkpoint);
  const stem = name.endsWith(".safetensors") ? name.slice(0, -".safetensors".length) : name;
  return join(dirname(checkpoint), `${stem}.optimizer.safetensors`);
}

// The companion file's bytes for the checkpoint at `checkpoint`, and the reference to it that goes
// into the checkpoint's metadata.
export function encodeOptimizerFile(
  checkpoint: string,
  optimizer: SavedOptimizer,
  paramNames: string[],
  progress: { epoch: number; step: number },
  shapeOf: (param: string, data: Float32Array) => number[],
): { bytes: Uint8Array; reference: OptimizerFileReference } {
  const { tensors, slots } = optimizerTensors(optimizer, paramNames, shapeOf);
  const bytes = encodeSafetensors(tensors, {
    format: OPTIMIZER_FORMAT,
    checkpoint: basename(checkpoint),
    progress: encodeJson(progress),
    params: encodeJson(paramNames),
    optimizer: encodeJson({ kind: optimizer.kind, scalars: optimizer.scalars, slots }),
  });
  return { bytes, reference: { file: basename(optimizerPath(checkpoint)), kind: optimizer.kind, sha256: sha256(bytes) } };
}

// Reads the optimizer state of the format-3 checkpoint at `checkpoint`, whose metadata gave
// `reference`, from its companion file; every way the companion can be missing, wrong or from
// another save is a CheckpointError naming both files.
export function readOptimizerFile(checkpoint: string, reference: OptimizerFileReference, progress: { epoch: number; step: number }): SavedOptimizer {
  const companion = optimizerPath(checkpoint);
  if (!existsSync(companion)) {
    throw new CheckpointError(
      checkpoint,
      `its optimizer state is missing: resuming needs ${companion}, which nnc wrote beside it, and that file does not exist ` +
        `(copy it along with the checkpoint); to start a new run from these weights, use --init ${checkpoint}`,
    );
  }
  let bytes = readFileBytes(companion);
  let source = companion;
  if (sha256(bytes) !== reference.sha256) {
    // A save that stopped between renaming the checkpoint and renaming its companion.
    const staged = tempPathFor(companion);
    const stagedBytes = existsSync(staged) ? readFileBytes(staged) : null;
    if (stagedBytes && sha256(stagedBytes) === reference.sha256) {
      bytes = stagedBytes;
      source = staged;
    } else {
      const theirs = companionProgress(companion, bytes);
      const when = theirs ? `epoch ${theirs.epoch}, step ${theirs.step}; this checkpoint is at epoch ${progress.epoch}, step ${progress.step}; ` : "";
      throw new CheckpointError(
        checkpoint,
        `it does not belong with ${companion}, which holds the optimizer state of another save ` +
          `(${when}SHA-256 ${sha256(bytes).slice(0, 12)}… where the checkpoint expects ${reference.sha256.slice(0, 12)}…); ` +
          `resume from a checkpoint and its companion saved together, or start a new run from these weights with --init ${checkpoint}`,
      );
    }
  }
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  if (metadata.format !== OPTIMIZER_FORMAT) {
    throw new CheckpointError(source, `it is not the optimizer state of ${checkpoint}: its metadata \`format\` is ${JSON.stringify(metadata.format ?? null)}, not "${OPTIMIZER_FORMAT}"`);
  }
  const read = new MetadataReader(source, metadata);
  const meta = read.optimizer(Object.keys(tensors).length);
  if (!meta) throw new CheckpointError(source, "its metadata `optimizer` is missing");
  if (meta.kind !== reference.kind) {
    throw new CheckpointError(source, `its metadata \`optimizer\` names the optimizer \`${meta.kind}\`, but ${checkpoint} was saved by \`${reference.kind}\``);
  }
  return { kind: meta.kind, scalars: meta.scalars, tensors: readOptimizerTensors(source, tensors, meta, read.names("params")) };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

// The progress a companion records, for the mismatch message; null when it cannot be read.
function companionProgress(path: string, bytes: Uint8Array): { epoch: number; step: number } | null {
  try {
    const { metadata } = decodeSafetensors(bytes, path);
    return metadata.progress === undefined ? null : new MetadataReader(path, metadata).progress();
  } catch {
    return null;
  }
}
