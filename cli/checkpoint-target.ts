// Where `nnc run` writes its checkpoints, and the checks, made before training starts, that keep a
// save from destroying anything: a checkpoint (and its optimizer companion) replaces only an
// earlier nnc checkpoint (and companion), never the run's own .nn file or data, nor any other
// file; and a resumed run writes, unless told otherwise, to a new file beside the one it resumed
// from, which stays as it was.

import { existsSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { FileReadError } from "../runtime/files.ts";
import { CHECKPOINT_FORMAT, optimizerPath } from "../runtime/train/checkpoint.ts";
import { OPTIMIZER_FORMAT } from "../runtime/train/checkpoint-optimizer.ts";
import { readSafetensorsMetadata } from "../runtime/train/safetensors-files.ts";
import { UserError } from "./user-error.ts";

const RESUMED_SUFFIX = /\.from-epoch-\d+$/;

// The file a run resumed from `resumePath` (saved after epoch `epoch`) writes when no --save is
// given: `NAME.from-epoch-E.safetensors` beside it, where a previous `.from-epoch-N` is replaced,
// so `runs/m.safetensors` resumed after epoch 5 writes `runs/m.from-epoch-5.safetensors`.
export function resumedSavePath(resumePath: string, epoch: number): string {
  const extension = extname(resumePath);
  const stem = basename(resumePath, extension).replace(RESUMED_SUFFIX, "");
  return join(dirname(resumePath), `${stem}.from-epoch-${epoch}${extension}`);
}

// The checkpoint path of a run: --save, else (for --resume) a new file beside the resumed one,
// else the train block's `checkpoint` (relative to the working directory), else none.
export function chooseSavePath(options: { save?: string; resume?: string; resumedEpoch: number | null; configPath: string | null }): string | null {
  if (options.save !== undefined) return options.save;
  if (options.resume !== undefined && options.resumedEpoch !== null) {
    const derived = resumedSavePath(options.resume, options.resumedEpoch);
    if (sameFile(derived, options.resume)) {
      throw new UserError(
        `nnc run: a run resumed from ${options.resume} would write its checkpoints to the same file; ` +
          `choose where with --save (a new file, or --save ${options.resume} to replace it)`,
      );
    }
    return derived;
  }
  return options.configPath === null ? null : resolve(options.configPath);
}

// Refuses a checkpoint path that would overwrite something that is not an earlier nnc checkpoint:
// one of the run's own files (`own`: the .nn source, the CSV data), a folder, a device, or any
// file without nnc's checkpoint marker (its safetensors metadata `format`), such as weights
// exported from PyTorch. The same goes for the optimizer state's companion file beside it
// (`NAME.optimizer.safetensors`), which may replace only an earlier companion. `suggestion` is a
// safe path to offer instead. `who` names the command and the option that chose the path, for
// the messages (`nnc ensemble` writes its members where --out says).
export function checkSaveTarget(
  path: string,
  own: { path: string; what: string }[],
  suggestion: string,
  who: { command: string; option: string; what: string } = { command: "run", option: "--save", what: "file" },
): void {
  if (path === "") throw new UserError(`nnc ${who.command}: ${who.option} needs a ${who.what} name, but got an empty one`);
  const elsewhere = `choose another ${who.what} with ${who.option}, for example ${who.option} ${suggestion}`;
  checkTarget(who.command, path, path, "", CHECKPOINT_FORMAT, own, elsewhere);
  const companion = optimizerPath(path);
  checkTarget(who.command, path, companion, `its optimizer state would go to ${companion}, and `, OPTIMIZER_FORMAT, own, elsewhere);
}

// `target` is the file to write for the checkpoint `path`; `lead` introduces it in messages when
// it is not the checkpoint itself. An existing file must carry `format`'s marker.
function checkTarget(command: string, path: string, target: string, lead: string, format: string, own: { path: string; what: string }[], elsewhere: string): void {
  const refuse = (reason: string, how: string): never => {
    throw new UserError(`nnc ${command}: refusing to write the checkpoint to ${path}: ${lead}${reason}; ${how}`);
  };
  for (const file of own) {
    if (sameFile(target, file.path)) refuse(`it is ${file.what}`, elsewhere);
  }
  if (!existsSync(target)) {
    // The folders are created at the first save; a file where a folder should be would only be
    // found then, after an epoch of training.
    let folder = dirname(resolve(target));
    while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
    if (!statSync(folder).isDirectory()) refuse(`${folder} is a file, not a folder`, elsewhere);
    return;
  }
  let metadata: Record<string, string> | null;
  try {
    metadata = readSafetensorsMetadata(target);
  } catch (error) {
    if (error instanceof FileReadError) refuse(error.reason, elsewhere);
    throw error;
  }
  const found = metadata?.format;
  if (typeof found !== "string" || !found.startsWith(format.replace(/\d+$/, ""))) {
    const what = metadata ? "it is a safetensors file that nnc did not write" : "the file exists and is not an nnc checkpoint";
    refuse(`${what}, so it would be lost`, `remove or rename it first if it is not needed, or ${elsewhere}`);
  }
}

// Whether two paths name the same file: the same device and inode when both exist (so links and
// `./` spellings match), else the same absolute path.
export function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return resolve(a) === resolve(b);
  }
}
