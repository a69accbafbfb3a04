// The compiler's entry. It reads as the pipeline: parse → analyze (models, then train blocks) →
// lower (a training and an evaluation graph). Differentiation and fusion come after, in the
// runtimes that need them.

import { dirname } from "node:path";
import type { Program, TrainDecl } from "../grammar/ast.ts";
import { parse } from "../grammar/index.ts";
import { analyzeModels } from "./analyze/index.ts";
import type { CheckedModel } from "./analyze/model-types.ts";
import { analyzeTrain } from "./analyze/train.ts";
import type { Diagnostic } from "./diagnostics/diagnostic.ts";
import { dedupeDiagnostics, sortDiagnostics } from "./diagnostics/print.ts";
import { closest, DiagnosticBag } from "./diagnostics/registry.ts";
import type { TrainConfig } from "./ir/config.ts";
import type { Graph } from "./ir/graph.ts";
import { lowerModel } from "./ir/lower.ts";

export interface CheckOptions {
  baseDir?: string; // where data paths in train blocks are relative to (default: the file's folder)
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
  const models = analyzeModels(program, bag);
  const trains = program.body
    .filter((d): d is TrainDecl => d.type === "TrainDecl")
    .map((decl) => checkTrain(decl, models, bag, options.baseDir ?? dirname(file)));
  const reported = withoutCascades(bag.items, diagnostics, program);
  return { program, models, trains, diagnostics: sortDiagnostics(dedupeDiagnostics(reported)) };
}

// A declaration with a syntax error was only partly recovered: its statements after the error
// may be missing, so "the model has no loss" and the like would be noise. Such a declaration's
// own analysis diagnostics are dropped; the syntax errors and every other declaration's
// diagnostics stay, so one run still shows everything that is really wrong.
function withoutCascades(all: Diagnostic[], syntax: Diagnostic[], program: Program): Diagnostic[] {
  if (syntax.length === 0) return all;
  // A declaration reaches up to the next one: recovery may have ended it early.
  const starts = program.body.map((decl) => decl.span.start).sort((a, b) => a - b);
  const broken = starts
    .map((start, i) => ({ start, end: starts[i + 1] ?? Infinity }))
    .filter((span) => syntax.some((d) => d.span && d.span.start >= span.start && d.span.start < span.end));
  const syntaxSet = new Set(syntax);
  return all.filter((d) => syntaxSet.has(d) || !d.span || !broken.some((span) => d.span!.start >= span.start && d.span!.start < span.end));
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
  const model = name === null ? null : (checked.models.get(name) ?? null);
  if (!model) {
    const bag = new DiagnosticBag(file);
    const names = [...checked.models.keys()];
    bag.report("E0206", null, {
      args: { name: name ?? "(none chosen)" },
      hint: names.length ? `choose one of ${names.map((m) => `\`${m}\``).join(", ")}` : "declare it with `model NAME { ... }`",
    });
    return { ...none, diagnostics: [...checked.diagnostics, ...bag.items] };
  }
  const config = (byNumber ?? checked.trains.find((t) => t.model === model.name))?.config ?? null;
  const lowerOptions = { defaultInit: config?.init ?? null };
  return {
    program: checked.program,
    model,
    config,
    trainGraph: lowerModel(model, "train", lowerOptions),
    evalGraph: lowerModel(model, "eval", lowerOptions),
    diagnostics: checked.diagnostics,
  };
}
