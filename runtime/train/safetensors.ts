// Safetensors files on disk: reading one, and writing one atomically. The format itself (tensors to
// bytes and back) is safetensors-codec.ts, which needs no Node module; it is re-exported here.
//
// Writes are atomic: a temp file in the same folder, fsync, then rename, so a failed or
// interrupted write never leaves a half-written file in place of a good one. The temp file's name
// is fixed per target (`.NAME.tmp`), so one left by a killed save is simply overwritten by the next
// save to the same file instead of piling up.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { describeFsError, FileReadError, statRegularFile } from "../files.ts";
import { CheckpointError, decodeSafetensors, encodeSafetensors, type SafetensorsFile, type WritableTensor } from "./safetensors-codec.ts";
import { tempPathFor } from "./safetensors-files.ts";

export {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  halfToFloat,
  type Int64Tensor,
  type SafetensorsFile,
  type Tensor,
  type WritableTensor,
} from "./safetensors-codec.ts";

export function writeSafetensors(path: string, tensors: Record<string, WritableTensor>, metadata: Record<string, string> = {}): void {
  writeAtomically(path, encodeSafetensors(tensors, metadata));
}

export function readSafetensors(path: string): SafetensorsFile {
  return decodeSafetensors(readFileBytes(path), path);
}

// A file's bytes, as a CheckpointError naming it when it cannot be read. Only a regular file: a
// device such as /dev/zero would otherwise be read until memory runs out.
export function readFileBytes(path: string): Uint8Array {
  try {
    statRegularFile(path);
    return readFileSync(path);
  } catch (error) {
    if (error instanceof FileReadError) throw new CheckpointError(path, error.reason);
    throw new CheckpointError(path, describeFsError(error));
  }
}

// Writes `bytes` to a temp file beside `path`, flushes it to disk, and renames it over `path`
// (atomic on POSIX file systems), so readers see either the old file or the whole new one. On any
// failure the temp file is removed and `path` is left as it was.
export function writeAtomically(path: string, bytes: Uint8Array): void {
  stageFile(path, bytes);
  commitStaged(path);
}

// The two halves of writeAtomically, for a save of two files that must change together (a
// checkpoint and its optimizer state): `stageFile` writes and flushes the temp file beside `path`,
// `commitStaged` renames it over `path`. Between the two, `path` is as it was.
export function stageFile(path: string, bytes: Uint8Array): void {
  const temp = tempPathFor(path);
  try {
    const fd = openSync(temp, "w");
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    discardStaged(path);
    throw new CheckpointError(path, `cannot write: ${(error as Error).message}`);
  }
}

export function commitStaged(path: string): void {
  try {
    renameSync(tempPathFor(path), path);
  } catch (error) {
    discardStaged(path);
    throw new CheckpointError(path, `cannot write: ${(error as Error).message}`);
  }
  syncFolder(dirname(path));
}

// Removes a staged temp file. The cleanup must not hide the error that matters (it fails when the
// temp path is a folder).
export function discardStaged(path: string): void {
  try {
    rmSync(tempPathFor(path), { force: true });
  } catch {
    // Nothing of ours to remove.
  }
}

// Flushes the folder's entry for the renamed file too, so the rename survives a power loss. Not
// every platform can open a folder for this (Windows cannot); the file itself is already safe
// there, so a failure here is ignored.
function syncFolder(folder: string): void {
  try {
    const fd = openSync(folder, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Best effort only; see above.
  }
}
