// `nnc check FILE [--json] [--dump-ir[=train|eval|step|after:PASS]]`: parses and checks a .nn file. With errors it
// prints every diagnostic and exits 1; otherwise it prints each model's summary (warnings, if any,
// go to stderr first) and exits 0.

import { checkSource, hasErrors } from "../../compiler/index.ts";
import { diagnosticsToJson, formatDiagnostics } from "../../compiler/diagnostics/print.ts";
import { formatSummary, summarizeModel } from "../../compiler/analyze/summary.ts";
import { lowerModel } from "../../compiler/ir/lower.ts";
import { printGraph } from "../../compiler/ir/print.ts";
import { UserError } from "../user-error.ts";
import { readSource } from "../load.ts";
import { BUDGET_HELP, BUDGET_OPTIONS, budgetOption, unknownOption } from "../options.ts";
import type { Budget } from "../../compiler/analyze/budget.ts";
import type { CheckedModel } from "../../compiler/analyze/model-types.ts";
import type { TrainConfig } from "../../compiler/ir/config.ts";
import { PASSES, STANDARD_PIPELINE, type PassName } from "../../compiler/passes/index.ts";
import { buildPrograms } from "../../compiler/step/programs.ts";
import type { Graph } from "../../compiler/ir/graph.ts";

export const summary = "parse and shape-check a .nn file, print a model summary";

export const help = `Usage: nnc check FILE [options]

Parses FILE, resolves names, infers every shape and checks the loss, the regularizers and the
training settings. Prints all errors and warnings with their locations; without errors, prints a
summary of each model (layers, output shapes, parameter counts) and each of its train blocks,
numbered as \`nnc run --train N\` counts them, with every setting.

Options:
  --json                 print one JSON object: the diagnostics (the first 1,000; \`omitted\`
                         counts the rest) and the summaries
  --dump-ir[=WHICH]      print each trained model's IR graph: \`train\` (the default), \`eval\`,
                         \`step\` (the training step: gradients, clipping, optimizer update,
                         metrics) or \`after:PASS\` (the step after a pass: ${Object.keys(PASSES).join(", ")})
${BUDGET_HELP.replace(/^ {2}(--\S+ N) +/gm, (_, flag: string) => `  ${flag.padEnd(22)} `)}
  -h, --help             show this help

Exit code: 0 when the file has no errors (warnings allowed), 1 otherwise.`;

// A garbled file can have a hundred thousand errors; --json lists the first ones and says how many
// it left out (`omitted`).
const MAX_JSON_DIAGNOSTICS = 1000;

interface Options {
  file: string;
  json: boolean;
  dumpIr: "train" | "eval" | "step" | { after: PassName } | null;
  budget: Partial<Budget>;
}

function parseArgs(argv: string[]): Options {
  let file: string | null = null;
  let json = false;
  let dumpIr: Options["dumpIr"] = null;
  const budgetValues: Record<string, string | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const budgetFlag = /^--(max-params|max-activations|max-layers)(?:=(.*))?$/.exec(arg);
    if (budgetFlag) {
      const value = budgetFlag[2] ?? argv[++i];
      if (value === undefined) throw new UserError(`nnc check: --${budgetFlag[1]} needs a value, e.g. \`--${budgetFlag[1]} 1000000\``);
      budgetValues[budgetFlag[1]!] = value;
    } else if (arg === "--json") json = true;
    else if (arg === "--dump-ir" || arg === "--dump-ir=train") dumpIr = "train";
    else if (arg === "--dump-ir=eval") dumpIr = "eval";
    else if (arg === "--dump-ir=step") dumpIr = "step";
    else if (arg.startsWith("--dump-ir=after:")) {
      const pass = arg.slice("--dump-ir=after:".length);
      if (!(pass in PASSES)) throw new UserError(`nnc check: there is no pass \`${pass}\`; the passes are ${Object.keys(PASSES).map((p) => `\`${p}\``).join(", ")}`);
      dumpIr = { after: pass as PassName };
    } else if (arg.startsWith("--dump-ir=")) throw new UserError(`nnc check: \`${arg}\`: choose --dump-ir=train, eval, step or after:PASS`);
    else if (arg.startsWith("-")) throw new UserError(unknownOption("check", arg, ["json", "dump-ir", ...Object.keys(BUDGET_OPTIONS)]));
    else if (file === null) file = arg;
    else throw new UserError(`nnc check: one file at a time, but got \`${file}\` and \`${arg}\``);
  }
  if (file === null) throw new UserError(`nnc check: which file? \n\n${help}`);
  return { file, json, dumpIr, budget: budgetOption("check", budgetValues) };
}


export async function run(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  const text = readSource("check", options.file);
  const result = checkSource(text, options.file, { budget: options.budget });
  const sources = new Map([[options.file, text]]);
  const failed = hasErrors(result.diagnostics);
  // Train blocks are numbered in file order, as `--train N` counts them.
  const trains = result.trains.map((t, i) => ({ ...t, number: i + 1 }));
  const summaries = failed ? [] : [...result.models.values()].map((model) => summarizeModel(model, trains.filter((t) => t.model === model.name)));

  if (options.json) {
    const diagnostics = diagnosticsToJson(result.diagnostics, sources, MAX_JSON_DIAGNOSTICS);
    const omitted = result.diagnostics.length - diagnostics.length;
    await print(JSON.stringify({ file: options.file, ok: !failed, diagnostics, ...(omitted ? { omitted } : {}), models: summaries }, null, 2));
    return failed ? 1 : 0;
  }
  const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
  if (result.diagnostics.length) process.stderr.write(formatDiagnostics(result.diagnostics, sources, { color }));
  if (failed) return 1;
  const out = summaries.map(formatSummary);
  if (options.dumpIr) {
    for (const model of result.models.values()) {
      const config = result.trains.find((t) => t.model === model.name)?.config ?? null;
      const graph = dumpedGraph(model, config, options.dumpIr);
      if (graph) out.push(printGraph(graph, { source: text }));
      else out.push(`# ${model.name}: no train block, so no training step to print`);
    }
  }
  await print(out.join("\n\n"));
  return 0;
}

// The graph --dump-ir asks for; null when it needs a train block the model does not have.
function dumpedGraph(model: CheckedModel, config: TrainConfig | null, which: NonNullable<Options["dumpIr"]>): Graph | null {
  const lowerOptions = { defaultInit: config?.init ?? null };
  if (which === "train" || which === "eval") return lowerModel(model, which, lowerOptions);
  if (!config || !model.loss) return null;
  const train = lowerModel(model, "train", lowerOptions);
  const evaluation = lowerModel(model, "eval", lowerOptions);
  if (which === "step") return buildPrograms(train, evaluation, config, model.loss, { passes: [] }).step.graph;
  let found: Graph | null = null;
  const upTo = STANDARD_PIPELINE.slice(0, STANDARD_PIPELINE.indexOf(which.after) + 1);
  buildPrograms(train, evaluation, config, model.loss, { passes: upTo.length ? upTo : [which.after], after: (pass, graph) => pass === which.after && (found = graph) });
  return found;
}

// Writes to stdout and waits until it is flushed: the command exits right after returning, and a
// pipe would otherwise lose what Node had not yet written of a long output.
function print(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${text}\n`, () => resolve()));
}
