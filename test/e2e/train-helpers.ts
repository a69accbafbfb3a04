// Trains an example the way `nnc run` does, from its .nn text, with training settings overridden
// so a test stays small (fewer digits, fewer epochs). Returns the summary and the trainer, whose
// parameters are the trained weights.

import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { compile } from "../../compiler/index.ts";
import type { TrainConfig } from "../../compiler/ir/config.ts";
import type { Graph } from "../../compiler/ir/graph.ts";
import { CpuTrainer } from "../../runtime/train/cpu-trainer.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { type EpochReport, runTraining, type RunSummary } from "../../runtime/train/loop.ts";
import { prepareData } from "../../runtime/train/prepare.ts";
import { targetInfo } from "../../cli/session.ts";
import type { CheckpointContent } from "../../runtime/train/checkpoint.ts";

export interface TrainedExample {
  summary: RunSummary;
  trainer: CpuTrainer;
  trainGraph: Graph;
  config: TrainConfig;
  epochs: EpochReport[];
}

export function trainExample(
  file: string,
  overrides: (config: TrainConfig) => Partial<TrainConfig> = () => ({}),
  options: { train?: string; gradNorms?: boolean; savePath?: string | null; resume?: CheckpointContent | null; source?: string } = {},
): TrainedExample {
  const text = options.source ?? readFileSync(file, "utf8");
  const compiled = compile(text, file, { train: options.train });
  const errors = compiled.diagnostics.filter((d) => d.severity === "error");
  if (errors.length || !compiled.model || !compiled.config || !compiled.trainGraph || !compiled.evalGraph) {
    throw new Error(`${file} does not compile: ${errors.map((d) => d.message).join("; ")}`);
  }
  const config = { ...compiled.config, ...overrides(compiled.config) };
  const data = prepareData(config, targetInfo(compiled.model), dirname(file));
  const params = initializeParams(compiled.trainGraph.params, config.seed);
  const state = initializeState(compiled.trainGraph.state);
  if (options.resume) {
    compiled.trainGraph.params.forEach((p, i) => params[i]!.set(options.resume!.params[p.name]!));
    compiled.trainGraph.state.forEach((s, i) => state[i]!.set(options.resume!.state[s.name]!));
  }
  const loss = compiled.model.loss!;
  const trainer = new CpuTrainer({ trainGraph: compiled.trainGraph, evalGraph: compiled.evalGraph, loss: loss.kind, reduction: loss.reduction }, params, state);
  const epochs: EpochReport[] = [];
  const summary = runTraining(
    { config, trainGraph: compiled.trainGraph, trainer, data, loss: loss.kind, reduction: loss.reduction },
    { savePath: options.savePath ?? null, gradNorms: options.gradNorms ?? false, resume: options.resume ?? null },
    { onEpoch: (report) => epochs.push(report) },
  );
  return { summary, trainer, trainGraph: compiled.trainGraph, config, epochs };
}

// MNIST settings small enough for a test: a seeded split of 3,000 training and 1,000 test digits.
export function smallMnist(train = 3000, test = 1000) {
  return (config: TrainConfig): Partial<TrainConfig> => ({ data: { ...(config.data as Extract<TrainConfig["data"], { kind: "mnist" }>), train, test } });
}
