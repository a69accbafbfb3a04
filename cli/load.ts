// Reading and compiling a .nn file for the commands that run a model (run, eval, predict): the
// diagnostics are printed (errors stop the command with exit code 1), and the compiled model comes
// back with its training configuration.

import { readFileSync } from "node:fs";
import { compile, hasErrors, type Compiled, type Override } from "../compiler/index.ts";
import { overrideSources } from "../compiler/analyze/overrides.ts";
import { dedupeDiagnostics, formatDiagnostics } from "../compiler/diagnostics/print.ts";
import type { TrainConfig } from "../compiler/ir/config.ts";
import type { Graph } from "../compiler/ir/graph.ts";
import type { CheckedModel } from "../compiler/analyze/model-types.ts";
import type { Budget } from "../compiler/analyze/budget.ts";
import { UserError } from "./user-error.ts";
import { describeFsError, FileReadError, statRegularFile } from "../runtime/files.ts";

// The largest .nn source nnc reads. Real models are a few kilobytes; checking holds about a hundred
// times the source's size in memory, so a bigger file is refused up front (docs/LANGUAGE.md).
export const MAX_SOURCE_BYTES = 1024 * 1024;

export function readSource(command: string, file: string): string {
  try {
    statRegularFile(file, MAX_SOURCE_BYTES);
    return readFileSync(file, "utf8");
  } catch (error) {
    if (error instanceof FileReadError) throw new UserError(`nnc ${command}: ${error.message}`);
    throw new UserError(`nnc ${command}: cannot read \`${file}\`: ${describeFsError(error)}`);
  }
}

export interface LoadedModel {
  file: string;
  compiled: Compiled;
  model: CheckedModel;
  config: TrainConfig;
  trainGraph: Graph;
  evalGraph: Graph;
}

// Thrown after the diagnostics were printed: the command exits 1 with nothing more to say.
export class ReportedError extends UserError {
  constructor() {
    super("");
  }
}

// The commands that can run a model without data.
const DATALESS_COMMANDS = new Set(["run", "analyze", "check", "compile", "compare", "sweep"]);

// `overrides`: settings from the command line (cli/overrides.ts) that replace the train block's.
export function loadModel(command: string, file: string, train: string | undefined, budget: Partial<Budget> = {}, overrides: readonly Override[] = []): LoadedModel {
  return loadModels(command, file, [{ train, overrides }], budget)[0]!;
}

// Several runs of one file (`nnc compare`: its train blocks, or one block under variations): each
// is compiled with its own overrides, and their diagnostics are printed once, together, so a
// mistake in the file or in an override shared by the runs is reported once, not once per run.
export function loadModels(command: string, file: string, runs: readonly { train: string | undefined; overrides: readonly Override[] }[], budget: Partial<Budget> = {}): LoadedModel[] {
  const text = readSource(command, file);
  const compiled = runs.map(({ train, overrides }) => compile(text, file, { train, budget, overrides }));
  const diagnostics = dedupeDiagnostics(compiled.flatMap((c) => c.diagnostics));
  if (diagnostics.length) {
    const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
    const sources = new Map([[file, text], ...runs.flatMap((run) => [...overrideSources(run.overrides)])]);
    process.stderr.write(formatDiagnostics(diagnostics, sources, { color }));
  }
  if (hasErrors(diagnostics)) throw new ReportedError();
  return compiled.map((c, i) => checkLoaded(command, file, c, runs[i]!.train));
}

function checkLoaded(command: string, file: string, compiled: Compiled, train: string | undefined): LoadedModel {
  const { model, config, trainGraph, evalGraph } = compiled;
  if (!model || !trainGraph || !evalGraph) throw new UserError(`nnc ${command}: ${nothingToRun(file, compiled, train)}`);
  if (!config) {
    throw new UserError(`nnc ${command}: \`${file}\` has no \`train ${model.name} { ... }\` block, so there is no data or optimizer to use`);
  }
  if (!model.loss && !model.objective) throw new UserError(`nnc ${command}: the model \`${model.name}\` has no loss`);
  // A model without data has nothing to evaluate or predict on; its commands are run and analyze.
  if (model.objective && !DATALESS_COMMANDS.has(command)) {
    throw new UserError(`nnc ${command}: the model \`${model.name}\` has no data (its loss is a formula over its parameters); train it with \`nnc run\` and study it with \`nnc analyze\``);
  }
  return { file, compiled, model, config, trainGraph, evalGraph };
}

// Why compile() chose no model: a train block number past the last, no model at all, or several
// models and no train block to say which.
function nothingToRun(file: string, compiled: Compiled, train: string | undefined): string {
  const trains = compiled.program.body.filter((d) => d.type === "TrainDecl").length;
  const models = compiled.program.body.flatMap((d) => (d.type === "ModelDecl" ? [`\`${d.name.name}\``] : []));
  if (train !== undefined && /^\d+$/.test(train)) {
    const has = trains === 0 ? "it has no train block" : trains === 1 ? "it has 1 train block" : `it has ${trains} train blocks (1 to ${trains})`;
    return `\`${file}\` has no train block number ${train}: ${has}`;
  }
  if (models.length === 0) return `\`${file}\` declares no model, so there is nothing to run`;
  return `\`${file}\` has several models (${models.join(", ")}) and no train block; choose one with \`--train MODEL\``;
}

// The first data setting (as the train block spells it) in which a model's train block differs from
// the first one's: runs that must share one data set and one split (an ensemble's members, a
// comparison's runs) check it before training. Null when all agree.
export function differingDataSetting(loadeds: readonly LoadedModel[]): { setting: string; index: number } | null {
  const first = loadeds[0]!;
  for (const [index, loaded] of loadeds.entries()) {
    for (const [setting, key] of [
      ["data", "data"],
      ["split", "split"],
      ["normalize", "standardize"],
    ] as const) {
      if (JSON.stringify(loaded.config[key]) !== JSON.stringify(first.config[key])) return { setting, index };
    }
  }
  return null;
}
