// Safetensors files on disk, looked at without reading them whole: the metadata in a file's
// header (to tell an nnc checkpoint from any other file before overwriting it), and the temp files
// that atomic writes (safetensors.ts) go through, one fixed name per target.

import { closeSync, openSync, readdirSync, readSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { describeFsError, FileReadError, statRegularFile } from "../files.ts";
import { MAX_HEADER_BYTES } from "./safetensors-codec.ts";

// The `__metadata__` of a safetensors file, reading only its header (not the tensors); null when
// the file is not a safetensors file at all. For telling an nnc checkpoint from any other file
// before overwriting it. Throws a FileReadError when `path` is not a readable regular file.
export function readSafetensorsMetadata(path: string): Record<string, string> | null {
  const size = statRegularFile(path).size;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new FileReadError(path, describeFsError(error));
  }
  try {
    const length = Buffer.alloc(8);
    if (size < 8 || readSync(fd, length, 0, 8, 0) < 8) return null;
    const declared = length.readBigUInt64LE(0);
    if (declared > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) return null;
    const header = Buffer.alloc(Number(declared));
    if (readSync(fd, header, 0, header.length, 8) < header.length) return null;
    const parsed: unknown = JSON.parse(header.toString("utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
    const metadata = (parsed as { __metadata__?: unknown }).__metadata__;
    return typeof metadata === "object" && metadata !== null && !Array.isArray(metadata) ? (metadata as Record<string, string>) : {};
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

// The temp file a save to `path` writes first: one fixed name per target, hidden beside it.
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp`);
}

// Removes temp files that earlier versions of nnc left beside `path` when a save was killed (they
// were named `.NAME.<pid>.tmp`), unless their process is still running, and the current fixed-name
// temp file. Called once before a run starts saving to `path`; a temp file of a run that is saving
// to the same file right now would be lost, but two runs writing one checkpoint clash anyway.
export function removeStaleTemps(path: string): void {
  const name = basename(path);
  let entries: string[];
  try {
    entries = readdirSync(dirname(path));
  } catch {
    return; // The folder does not exist yet: nothing to clean.
  }
  for (const entry of entries) {
    if (!entry.startsWith(`.${name}.`) || !entry.endsWith(".tmp")) continue;
    const middle = entry.slice(name.length + 2, -".tmp".length);
    if (middle !== "" && !(/^\d+$/.test(middle) && !processIsRunning(Number(middle)))) continue;
    try {
      rmSync(join(dirname(path), entry), { force: true });
    } catch {
      // Not ours to worry about: a temp file that cannot be removed does no harm.
    }
  }
}

function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
