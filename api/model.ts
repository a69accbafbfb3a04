// A .nn file compiled for training from a program: what `nnc run` does before it trains
// (cli/load.ts), with the diagnostics handed back in an error instead of printed, and the train
// block's data loaded, split and standardized as `nnc run` loads it.

import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { CheckedModel } from "../compiler/analyze/model-types.ts";
import type { Diagnostic } from "../compiler/diagnostics/diagnostic.ts";
import { formatDiagnostics } from "../compiler/diagnostics/print.ts";
import { compile, hasErrors, type CompileOptions } from "../compiler/index.ts";
import type { TrainConfig } from "../compiler/ir/config.ts";
import type { Graph } from "../compiler/ir/graph.ts";
import { prepareData, type PreparedData } from "../runtime/train/prepare.ts";

// A model that is ready to train: checked, with its train block's settings and its two graphs.
export interface NncModel {
  file: string;
  name: string; // the model's name in the file
  checked: CheckedModel; // the model as the checker saw it: layers, shapes, parameters, outputs, loss
  config: TrainConfig; // the train block's settings, every default filled in
  trainGraph: Graph; // the forward pass with the loss (dropout on, batch norm on the batch)
  evalGraph: Graph; // the same in evaluation mode (dropout off, batch norm on its running statistics)
  inputShape: number[]; // one example's input, without the batch (`[784]` for `input x: [B, 784]`)
  warnings: Diagnostic[];
}

// The file has errors, or nothing to train. `diagnostics` holds every error and warning (empty
// when the problem is the file as a whole, e.g. no train block); the message is them printed as
// `nnc check` prints them, with code frames.
export class CompileError extends Error {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
    message: string,
  ) {
    super(message);
    this.name = "CompileError";
  }
}

// Reads and compiles a .nn file. `options.train` chooses the train block (by model name or 1-based
// number) when the file has several; data paths in it are relative to the file's folder.
export function compileFile(path: string, options: CompileOptions = {}): NncModel {
  return compileModel(readFileSync(path, "utf8"), path, options);
}

// The same for source text; `file` names it in messages and is where its data paths start from.
export function compileModel(text: string, file: string, options: CompileOptions = {}): NncModel {
  const compiled = compile(text, file, options);
  const failure = (problem: string | null) => {
    const printed = compiled.diagnostics.length ? formatDiagnostics(compiled.diagnostics, new Map([[file, text]])).trimEnd() : "";
    return new CompileError(file, compiled.diagnostics, [problem, printed].filter(Boolean).join("\n"));
  };
  if (hasErrors(compiled.diagnostics)) throw failure(null);
  const { model, config, trainGraph, evalGraph } = compiled;
  if (!model || !trainGraph || !evalGraph) throw failure(`${file}: no model to train (a train block number past the last, or several models and no train block saying which)`);
  if (!config) throw failure(`${file}: no \`train ${model.name} { ... }\` block, so there is no data or optimizer to use`);
  if (model.objective) throw failure(`${file}: the model \`${model.name}\` has no data (its loss is a formula over its parameters); \`nnc run\` and \`nnc analyze\` take it, the library trains models on data`);
  if (!model.loss || !model.targets[0]) throw failure(`${file}: the model \`${model.name}\` has no loss, so it cannot be trained`);
  const input = trainGraph.inputs.find((i) => i.role === "input")!;
  return {
    file,
    name: model.name,
    checked: model,
    config,
    trainGraph,
    evalGraph,
    inputShape: input.shape.slice(1).map(Number),
    warnings: compiled.diagnostics,
  };
}

// The train block's data as `nnc run` uses it: loaded (a CSV path is relative to the model's file,
// or to `baseDir`), split with the block's seed, standardized with statistics of the training split
// only, and the labels encoded as the model's target takes them. Problems in the data throw a
// DataError (its `format()` names the file, line and column).
export function loadData(model: NncModel, options: { baseDir?: string } = {}): PreparedData {
  const target = model.checked.targets[0]!;
  const width = target.shape.length > 1 ? Number(target.shape[target.shape.length - 1]) : 1;
  const info = { kind: target.kind, classes: target.classes, width: Number.isFinite(width) ? width : 1 };
  return prepareData(model.config, info, options.baseDir ?? dirname(model.file));
}
