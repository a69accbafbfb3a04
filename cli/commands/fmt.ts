// `nnc fmt FILE... [--check | --stdout]`: rewrites .nn files in their canonical form (format/).
// A file with syntax errors is reported with its diagnostics and left untouched: the parser's
// recovery may have dropped text, and formatting what is left would delete the user's work.

import { chmodSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parse } from "../../grammar/index.ts";
import { formatDiagnostics } from "../../compiler/diagnostics/print.ts";
import { formatNn } from "../../format/plugin.ts";
import { UserError } from "../user-error.ts";
import { unknownOption } from "../options.ts";
import { readSource } from "../load.ts";
import { describeFsError } from "../../runtime/files.ts";

export const summary = "format .nn files";

export const help = `Usage: nnc fmt FILE... [options]

Rewrites each FILE in nnc's canonical layout: two-space indents, one statement per line, train
settings in a column, long calls and pipes broken over indented lines. Comments are kept. Files
that are already formatted are not touched; the names of the files that changed are printed.

Options:
  --check    change nothing; print the files that are not formatted
  --stdout   change nothing; print the formatted text of each file
  -h, --help show this help

A file with syntax errors is not formatted: its errors are printed instead.
Exit code: 0 on success; 1 when a file has syntax errors, or with --check when a file is not
formatted.`;

interface Options {
  files: string[];
  mode: "write" | "check" | "stdout";
}

function parseArgs(argv: string[]): Options {
  const files: string[] = [];
  let mode: Options["mode"] = "write";
  for (const arg of argv) {
    if (arg === "--check" || arg === "--stdout") {
      const wanted = arg === "--check" ? "check" : "stdout";
      if (mode !== "write" && mode !== wanted) throw new UserError("nnc fmt: `--check` and `--stdout` cannot be used together");
      mode = wanted;
    } else if (arg.startsWith("-")) throw new UserError(unknownOption("fmt", arg, ["check", "stdout"]));
    else files.push(arg);
  }
  if (files.length === 0) throw new UserError(`nnc fmt: which files?\n\n${help}`);
  return { files, mode };
}


// Replaces the file in one step: the new text goes to a temporary file in the same folder (so the
// rename stays on one file system), which then takes the old file's place. An interrupted run
// leaves either the old file or the new one, never half of each. A symbolic link is written
// through: its target is replaced and the link stays a link.
function writeAtomically(file: string, text: string): void {
  let target = file;
  let temp: string | null = null;
  try {
    target = realpathSync(file);
    temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(temp, text, "utf8");
    chmodSync(temp, statSync(target).mode);
    renameSync(temp, target);
  } catch (error) {
    if (temp) rmSync(temp, { force: true });
    const where = target === file ? `\`${file}\`` : `\`${file}\` (a link to \`${target}\`)`;
    throw new UserError(`nnc fmt: cannot write ${where}: ${describeFsError(error)}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  // Every file is read before any is written, so a missing file changes nothing.
  const sources = options.files.map((file) => ({ file, text: readSource("fmt", file) }));
  const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
  let failed = false;
  for (const { file, text } of sources) {
    const errors = parse(text, file).diagnostics.filter((d) => d.severity === "error");
    if (errors.length) {
      process.stderr.write(formatDiagnostics(errors, new Map([[file, text]]), { color }));
      failed = true;
      continue;
    }
    const formatted = await formatNn(text, file);
    if (options.mode === "stdout") process.stdout.write(formatted);
    else if (formatted !== text) {
      if (options.mode === "check") failed = true;
      else writeAtomically(file, formatted);
      console.log(file);
    }
  }
  return failed ? 1 : 0;
}
