// Reading the user's files (sources, CSV data, checkpoints): only regular files are read, so a
// device such as /dev/zero or a FIFO given by mistake is refused instead of read until memory runs
// out, and every failure comes back as one short reason in the user's words.

import { type Stats, statSync } from "node:fs";

export class FileReadError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot read \`${path}\`: ${reason}`);
    this.name = "FileReadError";
  }
}

// The reason, in a few words, why `error` (from a node:fs call on a file to read) happened.
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "it is a folder, not a file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a part of the path is not a folder";
    case "ELOOP":
      return "too many symbolic links";
    case "ENAMETOOLONG":
      return "the name is too long";
    default:
      return (error as Error).message;
  }
}

// The file's stats when it is a regular file (symbolic links followed) no larger than `maxBytes`;
// otherwise a FileReadError saying what it is instead.
export function statRegularFile(path: string, maxBytes = Number.POSITIVE_INFINITY): Stats {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new FileReadError(path, describeFsError(error));
  }
  if (stats.isDirectory()) throw new FileReadError(path, "it is a folder, not a file");
  if (!stats.isFile()) throw new FileReadError(path, "it is not a regular file (a device, a pipe or a socket)");
  if (stats.size > maxBytes) {
    throw new FileReadError(path, `it is ${formatBytes(stats.size)}, more than the ${formatBytes(maxBytes)} this kind of file may have`);
  }
  return stats;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
