// Trains an example the way `nnc run` does, from its .nn text, with training settings overridden
// so a test stays small (fewer digits, fewer epochs), on the CPU backend unless asked otherwise.
// Returns the summary and the trained weights (in graph order), with a `predict` on them.

import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { compile } from "../../compiler/index.ts";
import type { TrainConfig } from "../../compiler/ir/config.ts";
import type { Graph } from "../../compiler/ir/graph.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { type EpochReport, type LoopHooks, runTraining, type RunSummary } from "../../runtime/train/loop.ts";
import { prepareData } from "../../runtime/train/prepare.ts";
import { createSession, type BackendRequest } from "../../runtime/session.ts";
import { targetInfo } from "../../cli/session.ts";
import { type CheckpointContent, saveCheckpoint } from "../../runtime/train/checkpoint.ts";

export interface TrainedWeights {
  params: Float32Array[];
  state: Float32Array[];
  predict(features: Float32Array, n: number, output: string): Promise<Float32Array>;
}

export interface TrainedExample {
  summary: RunSummary;
  trainer: TrainedWeights;
  trainGraph: Graph;
  config: TrainConfig;
  epochs: EpochReport[];
}

export async function trainExample(
  file: string,
  overrides: (config: TrainConfig) => Partial<TrainConfig> = () => ({}),
  options: {
    train?: string;
    gradNorms?: boolean;
    savePath?: string | null;
    resume?: CheckpointContent | null;
    source?: string;
    backend?: BackendRequest;
    hooks?: LoopHooks; // besides the helper's own onEpoch
    maxStepPoints?: number;
  } = {},
): Promise<TrainedExample> {
  const text = options.source ?? readFileSync(file, "utf8");
  const compiled = compile(text, file, { train: options.train });
  const errors = compiled.diagnostics.filter((d) => d.severity === "error");
  if (errors.length || !compiled.model || !compiled.config || !compiled.trainGraph || !compiled.evalGraph) {
    throw new Error(`${file} does not compile: ${errors.map((d) => d.message).join("; ")}`);
  }
  const { model, trainGraph, evalGraph } = compiled;
  const config = { ...compiled.config, ...overrides(compiled.config) };
  const data = prepareData(config, targetInfo(model), dirname(file));
  const params = initializeParams(trainGraph.params, config.seed);
  const state = initializeState(trainGraph.state);
  if (options.resume) {
    trainGraph.params.forEach((p, i) => params[i]!.set(options.resume!.params[p.name]!));
    trainGraph.state.forEach((s, i) => state[i]!.set(options.resume!.state[s.name]!));
  }
  const session = await createSession({ model, trainGraph, evalGraph }, config, { params, state }, { backend: options.backend ?? "cpu", gradNorms: options.gradNorms });
  const epochs: EpochReport[] = [];
  try {
    const summary = await runTraining(
      { config, programs: session.programs, backend: session.backend, data },
      { savePath: options.savePath ?? null, writeCheckpoint: saveCheckpoint, gradNorms: options.gradNorms ?? false, resume: options.resume ?? null, maxStepPoints: options.maxStepPoints },
      {
        ...options.hooks,
        onEpoch: (report) => {
          epochs.push(report);
          options.hooks?.onEpoch?.(report);
        },
      },
    );
    const trained = await session.backend.readState();
    const backend = session.backend;
    const trainer: TrainedWeights = {
      params: trainGraph.params.map((p) => trained.params[p.name]!),
      state: trainGraph.state.map((s) => trained.state[s.name]!),
      predict: (features, n, output) => backend.predict(features, n, output),
    };
    return { summary, trainer, trainGraph, config, epochs };
  } finally {
    // The CPU backend holds nothing to release; a GPU session is done once its results are read.
    if (session.backend.kind !== "cpu") session.dispose();
  }
}

// MNIST settings small enough for a test: a seeded split of 3,000 training and 1,000 test digits.
export function smallMnist(train = 3000, test = 1000) {
  return (config: TrainConfig): Partial<TrainConfig> => ({ data: { ...(config.data as Extract<TrainConfig["data"], { kind: "mnist" }>), train, test } });
}
