// The files a run writes besides its checkpoints (a --log, a --report and its plots), checked
// before training starts, so that a wrong path costs no training and destroys nothing: never one of
// the run's own files (its .nn source, its data, its checkpoints, another output of the same run),
// never a folder or a device, and an existing file only when nnc wrote it (each kind of output is
// recognized by its first bytes), as checkpoints replace only earlier checkpoints
// (checkpoint-target.ts). Whether the place is writable is tried, not guessed: a missing folder is
// created, and a file that does not exist yet is created and removed again.

import { closeSync, mkdirSync, openSync, readSync, statSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { sameFile } from "./checkpoint-target.ts";
import { UserError } from "./user-error.ts";

export interface OwnFile {
  path: string;
  what: string; // "the run's own .nn file"
}

export interface OutputKind {
  what: string; // "the log", "the report"
  option: string; // "--log"
  // Whether a file that starts with `head` (its first bytes, as text) is one nnc wrote of this kind.
  recognize(head: string): boolean;
}

export function checkOutputTarget(command: string, path: string, kind: OutputKind, own: readonly OwnFile[]): void {
  const refuse = (reason: string): never => {
    throw new UserError(`nnc ${command}: cannot write ${kind.what} to ${path} (${kind.option}): ${reason}`);
  };
  if (path === "") throw new UserError(`nnc ${command}: ${kind.option} needs a file name, but got an empty one`);
  for (const file of own) {
    if (sameFile(path, file.path)) refuse(`it is ${file.what}; choose another file`);
  }
  let exists = true;
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) refuse("it is a folder, not a file");
    if (!stats.isFile()) refuse("it is not a regular file (a device, a pipe or a socket)");
  } catch (error) {
    if (error instanceof UserError) throw error;
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") refuse(describeWriteError(error, path));
    exists = false;
  }
  try {
    if (exists) {
      const head = readHead(path);
      if (head !== "" && !kind.recognize(head)) {
        refuse(`the file exists and nnc did not write it, so it would be lost; remove or rename it first if it is not needed, or choose another file`);
      }
      closeSync(openSync(path, "r+"));
    } else {
      mkdirSync(dirname(path), { recursive: true });
      closeSync(openSync(path, "wx"));
      unlinkSync(path);
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    refuse(describeWriteError(error, path));
  }
}

function readHead(path: string): string {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(512);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

// Why writing `path` failed, in the user's words.
export function describeWriteError(error: unknown, path: string): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case "ENOENT":
      return `nothing can be created in ${dirname(path)}`;
    case "ENOTDIR":
    case "EEXIST":
      return "a part of the path is a file, not a folder";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "the file system is read-only";
    case "EISDIR":
      return "it is a folder, not a file";
    case "ENOSPC":
      return "the disk is full";
    case "ENAMETOOLONG":
      return "the name is too long";
    default:
      return (error as Error).message;
  }
}
