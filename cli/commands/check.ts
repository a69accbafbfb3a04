// `nnc check FILE [--json] [--dump-ir[=train|eval]]`: parses and checks a .nn file. With errors it
// prints every diagnostic and exits 1; otherwise it prints each model's summary (warnings, if any,
// go to stderr first) and exits 0.

import { checkSource, hasErrors } from "../../compiler/index.ts";
import { diagnosticsToJson, formatDiagnostics } from "../../compiler/diagnostics/print.ts";
import { formatSummary, summarizeModel } from "../../compiler/analyze/summary.ts";
import { lowerModel } from "../../compiler/ir/lower.ts";
import { printGraph } from "../../compiler/ir/print.ts";
import { UserError } from "../user-error.ts";
import { readSource } from "../load.ts";

export const summary = "parse and shape-check a .nn file, print a model summary";

export const help = `Usage: nnc check FILE [options]

Parses FILE, resolves names, infers every shape and checks the loss, the regularizers and the
training settings. Prints all errors and warnings with their locations; without errors, prints a
summary of each model (layers, output shapes, parameter counts) and its training configuration.

Options:
  --json                 print one JSON object: the diagnostics and the summaries
  --dump-ir[=train|eval] print each model's IR graph (default: the training graph)
  -h, --help             show this help

Exit code: 0 when the file has no errors (warnings allowed), 1 otherwise.`;

interface Options {
  file: string;
  json: boolean;
  dumpIr: "train" | "eval" | null;
}

function parseArgs(argv: string[]): Options {
  let file: string | null = null;
  let json = false;
  let dumpIr: Options["dumpIr"] = null;
  for (const arg of argv) {
    if (arg === "--json") json = true;
    else if (arg === "--dump-ir" || arg === "--dump-ir=train") dumpIr = "train";
    else if (arg === "--dump-ir=eval") dumpIr = "eval";
    else if (arg.startsWith("-")) throw new UserError(`nnc check: unknown option \`${arg}\`\n\n${help}`);
    else if (file === null) file = arg;
    else throw new UserError(`nnc check: one file at a time, but got \`${file}\` and \`${arg}\``);
  }
  if (file === null) throw new UserError(`nnc check: which file? \n\n${help}`);
  return { file, json, dumpIr };
}


export async function run(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  const text = readSource("check", options.file);
  const result = checkSource(text, options.file);
  const sources = new Map([[options.file, text]]);
  const failed = hasErrors(result.diagnostics);
  const summaries = failed
    ? []
    : [...result.models.values()].map((model) => summarizeModel(model, result.trains.find((t) => t.model === model.name)?.config ?? null));

  if (options.json) {
    console.log(JSON.stringify({ file: options.file, ok: !failed, diagnostics: diagnosticsToJson(result.diagnostics, sources), models: summaries }, null, 2));
    return failed ? 1 : 0;
  }
  const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
  if (result.diagnostics.length) process.stderr.write(formatDiagnostics(result.diagnostics, sources, { color }));
  if (failed) return 1;
  const out = summaries.map(formatSummary);
  if (options.dumpIr) {
    for (const model of result.models.values()) {
      const config = result.trains.find((t) => t.model === model.name)?.config ?? null;
      out.push(printGraph(lowerModel(model, options.dumpIr, { defaultInit: config?.init ?? null }), { source: text }));
    }
  }
  console.log(out.join("\n\n"));
  return 0;
}
