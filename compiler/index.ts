// The compiler's entry. It reads as the pipeline: parse → analyze (models, then train blocks) →
// lower (a training and an evaluation graph). Differentiation and fusion come after, in the
// runtimes that need them.

import { dirname } from "node:path";
import type { Program, TrainDecl } from "../grammar/ast.ts";
import { parse } from "../grammar/index.ts";
import { analyzeModels } from "./analyze/index.ts";
import type { CheckedModel } from "./analyze/model-types.ts";
import type { Budget } from "./analyze/budget.ts";
import { analyzeTrain } from "./analyze/train.ts";
import type { Diagnostic } from "./diagnostics/diagnostic.ts";
import { dedupeDiagnostics, sortDiagnostics } from "./diagnostics/print.ts";
import { closest, DiagnosticBag } from "./diagnostics/registry.ts";
import type { TrainConfig } from "./ir/config.ts";
import type { Graph } from "./ir/graph.ts";
import { lowerModel } from "./ir/lower.ts";
import { applyOverrides, type Override } from "./analyze/overrides.ts";

export type { Override } from "./analyze/overrides.ts";

export interface CheckOptions {
  baseDir?: string; // where data paths in train blocks are relative to (default: the file's folder)
  budget?: Partial<Budget>; // the size budget's limits, each defaulting to DEFAULT_BUDGET's
}

export interface CheckedTrain {
  decl: TrainDecl;
  model: string;
  config: TrainConfig | null; // null when the block has errors
}

export interface CheckResult {
  program: Program;
  models: Map<string, CheckedModel>;
  trains: CheckedTrain[];
  diagnostics: Diagnostic[]; // sorted by position; errors and warnings
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

// Parses and checks a whole file: every model, block and train block. Never throws for a user's
// mistake; everything wrong comes back as diagnostics.
export function checkSource(text: string, file: string, options: CheckOptions = {}): CheckResult {
  const bag = new DiagnosticBag(file);
  const { program, diagnostics } = parse(text, file);
  bag.items.push(...diagnostics);
  let models = new Map<string, CheckedModel>();
  let trains: CheckedTrain[] = [];
  try {
    models = analyzeModels(program, bag, options.budget);
    trains = program.body
      .filter((d): d is TrainDecl => d.type === "TrainDecl")
      .map((decl) => checkTrain(decl, models, bag, options.baseDir ?? dirname(file)));
  } catch (error) {
    // The parser bounds how deeply expressions nest (grammar/depth.ts), and the size budget how
    // far blocks and repeats expand; this is the safety net for what is left (blocks using
    // blocks thousands of levels deep), so a user's file never gets a stack trace.
    if (!(error instanceof RangeError)) throw error;
    models = new Map();
    trains = [];
    bag.report("E0108", null, { args: { limit: "a few hundred" }, hint: "blocks that use blocks nest one level per use; make the structure flatter" });
  }
  if (!program.body.some((d) => d.type === "ModelDecl") && diagnostics.length === 0) {
    bag.report("no-model", null, { hint: "declare one with `model NAME { ... }`" });
  }
  const reported = withoutCascades(bag.items, diagnostics, program);
  return { program, models, trains, diagnostics: sortDiagnostics(dedupeDiagnostics(reported)) };
}

// A declaration with a syntax error was only partly recovered: its statements after the error
// may be missing, so "the model has no loss" and the like would be noise. Such a declaration's
// own analysis diagnostics are dropped; the syntax errors and every other declaration's
// diagnostics stay, so one run still shows everything that is really wrong.
function withoutCascades(all: Diagnostic[], syntax: Diagnostic[], program: Program): Diagnostic[] {
  if (syntax.length === 0) return all;
  // A declaration reaches up to the next one: recovery may have ended it early. Each diagnostic
  // finds its declaration by a binary search, so a file of many broken declarations stays fast.
  const starts = program.body.map((decl) => decl.span.start).sort((a, b) => a - b);
  const declarationOf = (offset: number): number => {
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (starts[mid]! <= offset) low = mid + 1;
      else high = mid;
    }
    return low - 1; // -1: before the first declaration
  };
  const broken = new Set(syntax.flatMap((d) => (d.span ? [declarationOf(d.span.start)] : [])));
  broken.delete(-1);
  const syntaxSet = new Set(syntax);
  return all.filter((d) => syntaxSet.has(d) || !d.span || !broken.has(declarationOf(d.span.start)));
}

function checkTrain(decl: TrainDecl, models: Map<string, CheckedModel>, bag: DiagnosticBag, baseDir: string): CheckedTrain {
  const model = models.get(decl.model.name);
  if (!model) {
    const suggestion = closest(decl.model.name, models.keys());
    bag.report("E0206", decl.model.span, {
      args: { name: decl.model.name },
      hint: suggestion
        ? `did you mean \`${suggestion}\`?`
        : models.size
          ? `the models in this file are ${[...models.keys()].map((m) => `\`${m}\``).join(", ")}`
          : "declare it with `model NAME { ... }`",
    });
  }
  const config = analyzeTrain(decl, model?.interface ?? null, bag, { baseDir });
  return { decl, model: decl.model.name, config };
}

export interface CompileOptions extends CheckOptions {
  // The model to train (by name); default: the first train block's model, or the file's only model.
  train?: string;
  // Settings from the command line (`--set KEY=VALUE`) that replace the chosen train block's
  // (./analyze/overrides.ts); their diagnostics are located in their own texts, by their names.
  overrides?: readonly Override[];
}

export interface Compiled {
  program: Program;
  model: CheckedModel | null;
  config: TrainConfig | null; // null when the file has no train block for the model
  trainGraph: Graph | null;
  evalGraph: Graph | null;
  diagnostics: Diagnostic[];
}

// Checks the file and lowers the chosen model to its training and evaluation graphs. When the file
// has errors, only the diagnostics come back (the rest is null).
export function compile(text: string, file: string, options: CompileOptions = {}): Compiled {
  const checked = checkSource(text, file, options);
  const none = { program: checked.program, model: null, config: null, trainGraph: null, evalGraph: null };
  if (hasErrors(checked.diagnostics)) return { ...none, diagnostics: checked.diagnostics };
  // `train` names a model, or is the 1-based number of a train block (a file may train one model
  // several ways, e.g. examples/schedules.nn).
  const byNumber = options.train !== undefined && /^\d+$/.test(options.train) ? checked.trains[Number(options.train) - 1] : undefined;
  // A train block number past the last one: nothing to run (the command says so).
  if (options.train !== undefined && /^\d+$/.test(options.train) && !byNumber) return { ...none, diagnostics: checked.diagnostics };
  const name = byNumber?.model ?? options.train ?? checked.trains[0]?.model ?? (checked.models.size === 1 ? [...checked.models.keys()][0]! : null);
  // No model at all (checkSource warned: `no-model`), or several and none chosen: the command says
  // which, with the file's models.
  if (name === null) return { ...none, diagnostics: checked.diagnostics };
  const model = checked.models.get(name) ?? null;
  if (!model) {
    const bag = new DiagnosticBag(file);
    const names = [...checked.models.keys()];
    bag.report("E0206", null, {
      args: { name },
      hint: names.length ? `choose one of ${names.map((m) => `\`${m}\``).join(", ")}` : "declare it with `model NAME { ... }`",
    });
    return { ...none, diagnostics: [...checked.diagnostics, ...bag.items] };
  }
  const train = byNumber ?? checked.trains.find((t) => t.model === model.name);
  let config = train?.config ?? null;
  let chosen = model;
  let diagnostics = checked.diagnostics;
  // Without a train block there is nothing to override; the command says the block is missing.
  if (options.overrides?.length && train) {
    const baseDir = options.baseDir ?? dirname(file);
    const applied = applyOverrides(options.overrides, { file, textLength: text.length, decl: train.decl, model, baseDir, known: checked.diagnostics });
    diagnostics = sortDiagnostics([...checked.diagnostics, ...applied.diagnostics]);
    if (hasErrors(applied.diagnostics)) return { ...none, diagnostics };
    ({ model: chosen, config } = applied);
  }
  const lowerOptions = { defaultInit: config?.init ?? null };
  return {
    program: checked.program,
    model: chosen,
    config,
    trainGraph: lowerModel(chosen, "train", lowerOptions),
    evalGraph: lowerModel(chosen, "eval", lowerOptions),
    diagnostics,
  };
}
