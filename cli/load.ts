// Reading and compiling a .nn file for the commands that run a model (run, eval, predict): the
// diagnostics are printed (errors stop the command with exit code 1), and the compiled model comes
// back with its training configuration.

import { readFileSync } from "node:fs";
import { compile, hasErrors, type Compiled } from "../compiler/index.ts";
import { formatDiagnostics } from "../compiler/diagnostics/print.ts";
import type { TrainConfig } from "../compiler/ir/config.ts";
import type { Graph } from "../compiler/ir/graph.ts";
import type { CheckedModel } from "../compiler/analyze/model-types.ts";
import { UserError } from "./user-error.ts";

export function readSource(command: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : (error as Error).message;
    throw new UserError(`nnc ${command}: cannot read \`${file}\`: ${reason}`);
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

export function loadModel(command: string, file: string, train: string | undefined): LoadedModel {
  const text = readSource(command, file);
  const compiled = compile(text, file, { train });
  if (compiled.diagnostics.length) {
    const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
    process.stderr.write(formatDiagnostics(compiled.diagnostics, new Map([[file, text]]), { color }));
  }
  if (hasErrors(compiled.diagnostics)) throw new ReportedError();
  const { model, config, trainGraph, evalGraph } = compiled;
  if (!model || !trainGraph || !evalGraph) {
    const which = train !== undefined && /^\d+$/.test(train) ? `a train block number ${train}` : "a model to run";
    throw new UserError(`nnc ${command}: \`${file}\` has no ${which}`);
  }
  if (!config) {
    throw new UserError(`nnc ${command}: \`${file}\` has no \`train ${model.name} { ... }\` block, so there is no data or optimizer to use`);
  }
  if (!model.loss) throw new UserError(`nnc ${command}: the model \`${model.name}\` has no loss`);
  return { file, compiled, model, config, trainGraph, evalGraph };
}
