// The training loop: epochs of seeded mini-batches (or one full batch), each step a forward and
// backward pass on the trainer's backend, gradient clipping, the optimizer's update at the
// schedule's learning rate; after each epoch an evaluation on the validation split, the schedule's
// and early stopping's epoch hooks, and a checkpoint. L-BFGS runs one `step(closure)` per epoch on
// the full training set, as PyTorch's LBFGS is used.
//
// A loss that becomes NaN or infinite stops the run with a message naming the epoch and step; the
// weights of that step are not saved, and weights that are not all finite are never saved, so the
// last checkpoint stays the last good one.
//
// The loop is a generator that yields after every optimizer step: `runTraining` drives it to the
// end at once, while the command line drives it a little at a time so that the event loop can
// notice Ctrl-C between steps (cli/interrupt.ts).

import type { TrainConfig } from "../../compiler/ir/config.ts";
import type { Graph } from "../../compiler/ir/graph.ts";
import type { Dataset } from "../data/dataset.ts";
import { Batches } from "../data/batches.ts";
import type { Standardizer } from "../data/standardize.ts";
import { clipGradNorm } from "./clip.ts";
import { EarlyStopping } from "./early-stopping.ts";
import { MetricAccumulator, type LossKind, type PassMetrics } from "./metrics.ts";
import { createOptimizer, LbfgsOptimizer, type Optimizer } from "./optimizers/index.ts";
import { createSchedule, type Schedule } from "./schedules/index.ts";
import type { Trainer } from "./cpu-trainer.ts";
import { type CheckpointContent, saveCheckpoint } from "./checkpoint.ts";

export interface EpochReport {
  epoch: number; // 1-based
  epochs: number;
  step: number; // optimizer steps so far
  lr: number; // the learning rate used by the epoch's last step (L-BFGS: its one step)
  train: PassMetrics;
  validation: PassMetrics | null;
  seconds: number;
  samplesPerSecond: number;
  improved: boolean | null; // null without early stopping
  gradNorms: { layer: string; norm: number }[] | null; // per layer, from the epoch's last step
  lbfgs: { iterations: number; evaluations: number } | null;
}

export interface StepProgress {
  epoch: number;
  batch: number; // 1-based within the epoch
  batches: number;
  loss: number;
  accuracy: number | null; // the epoch's running training accuracy, for classifiers
  lr: number; // the learning rate this step used
  samplesPerSecond: number;
}

export interface LoopHooks {
  onStep?(progress: StepProgress): void;
  onEpoch?(report: EpochReport): void;
  // After each checkpoint written (a finite one, whole on disk).
  onCheckpoint?(path: string, epoch: number): void;
}

export interface LoopOptions {
  savePath: string | null; // where checkpoints go (atomic writes); null: nowhere
  gradNorms: boolean;
  // Where a resumed run starts (completed epochs and steps), with its saved optimizer, schedule and
  // early-stopping state.
  resume: CheckpointContent | null;
  // The file `resume` was read from: the last good checkpoint until this run writes one.
  resumedFrom?: string | null;
}

export interface RunSummary {
  epochs: number; // epochs completed
  steps: number;
  train: PassMetrics;
  validation: PassMetrics | null;
  test: PassMetrics | null;
  seconds: number;
  samplesPerSecond: number;
  stoppedEarly: boolean;
  bestEpoch: number | null;
  lbfgs: { iterations: number; evaluations: number } | null;
}

// The loss (or, when `value` is null, a weight after the epoch's last step) became NaN or infinite.
export class NonFiniteLossError extends Error {
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly value: number | null,
    readonly lastCheckpoint: string | null,
  ) {
    const what =
      value === null
        ? `the weights became NaN or infinite in epoch ${epoch} (by step ${step}) although the loss was finite`
        : `the loss became ${Number.isNaN(value) ? "NaN" : value > 0 ? "infinite" : "-infinite"} at epoch ${epoch}, step ${step}`;
    super(
      `${what}; training stopped. ` +
        (lastCheckpoint ? `The last good checkpoint is ${lastCheckpoint}.` : "No checkpoint was written.") +
        ` Try a smaller learning rate, gradient clipping (\`clip norm(1.0)\`) or standardized inputs (\`normalize standardize\`).`,
    );
    this.name = "NonFiniteLossError";
  }
}

export interface LoopInput {
  config: TrainConfig;
  trainGraph: Graph;
  trainer: Trainer;
  data: { train: Dataset; validation: Dataset | null; test: Dataset | null; standardizer: Standardizer | null };
  loss: LossKind;
  reduction: "mean" | "sum";
}

export function runTraining(input: LoopInput, options: LoopOptions, hooks: LoopHooks = {}): RunSummary {
  const run = trainingSteps(input, options, hooks);
  for (;;) {
    const next = run.next();
    if (next.done) return next.value;
  }
}

// The training run as a generator that yields after every optimizer step and returns the summary.
export function* trainingSteps(input: LoopInput, options: LoopOptions, hooks: LoopHooks = {}): Generator<void, RunSummary, void> {
  const { config, trainer, data, trainGraph } = input;
  const batches = new Batches(data.train, { batchSize: config.batch, shuffle: config.shuffle, seed: config.seed });
  const lbfgs = config.optimizer.kind === "lbfgs";
  const stepsPerEpoch = lbfgs ? 1 : batches.batchesPerEpoch;
  const sizes = trainer.params.map((p) => p.length);
  const schedule: Schedule = createSchedule(config.schedule, { baseLr: config.optimizer.lr, stepsPerEpoch, epochs: config.epochs });
  // A schedule that cycles momentum sets the optimizer's momentum (Adam's β1) when it is created,
  // as PyTorch's CyclicLR does, and then before every step.
  const optimizerConfig = schedule.initialMomentum === null ? config.optimizer : withMomentum(config.optimizer, schedule.initialMomentum);
  const optimizer: Optimizer | LbfgsOptimizer =
    optimizerConfig.kind === "lbfgs" ? new LbfgsOptimizer(optimizerConfig, sizes.reduce((a, b) => a + b, 0)) : createOptimizer(optimizerConfig, sizes);
  const early = config.early_stopping ? new EarlyStopping(config.early_stopping) : null;
  let best: { params: Float32Array[]; state: Float32Array[]; epoch: number } | null = null;

  let epoch = 0;
  let step = 0;
  if (options.resume) {
    epoch = options.resume.progress.epoch;
    step = options.resume.progress.step;
    if (options.resume.optimizer) optimizer.loadState(options.resume.optimizer);
    if (options.resume.scheduleState) schedule.loadState(options.resume.scheduleState);
    if (early && options.resume.earlyStoppingState) early.loadState(options.resume.earlyStoppingState);
  }

  let lastSaved: string | null = options.resume ? (options.resumedFrom ?? null) : null;
  let lastTrain: PassMetrics | null = null;
  let lastValidation: PassMetrics | null = null;
  let stoppedEarly = false;
  let lbfgsTotals: { iterations: number; evaluations: number } | null = lbfgs ? { iterations: 0, evaluations: 0 } : null;
  const started = performance.now();
  let samplesSeen = 0;

  const guard = (value: number) => {
    if (!Number.isFinite(value)) throw new NonFiniteLossError(epoch + 1, step + 1, value, lastSaved);
  };
  // Writes a checkpoint, unless a weight is no longer finite: then the last good one stays.
  const save = (path: string) => {
    if (!allFinite(trainer.params) || !allFinite(trainer.state)) throw new NonFiniteLossError(epoch, step, null, lastSaved);
    saveCheckpoint(path, snapshot(input, optimizer, schedule, early, epoch, step), shapesOf(trainGraph));
    lastSaved = path;
    hooks.onCheckpoint?.(path, epoch);
  };

  while (epoch < config.epochs) {
    const epochStarted = performance.now();
    let train: PassMetrics;
    let gradNorms: EpochReport["gradNorms"] = null;
    let lbfgsEpoch: EpochReport["lbfgs"] = null;
    let lr = schedule.lr;
    if (optimizer instanceof LbfgsOptimizer) {
      const { features, targets, n } = data.train;
      const result = optimizer.step(trainer.params, () => {
        const pass = trainer.forwardBackward(features, targets, n, stepSeed(config.seed, step), false);
        guard(pass.loss);
        return { loss: pass.loss, grads: pass.grads };
      }, lr);
      step++;
      samplesSeen += n * result.evaluations;
      lbfgsEpoch = { iterations: result.iterations, evaluations: result.evaluations };
      lbfgsTotals = { iterations: lbfgsTotals!.iterations + result.iterations, evaluations: lbfgsTotals!.evaluations + result.evaluations };
      schedule.onStep();
      yield;
      train = trainer.evaluate(data.train, 1024);
      guard(train.loss);
    } else {
      const metrics = new MetricAccumulator(input.loss, input.reduction);
      for (const batch of batches.epoch(epoch)) {
        const pass = trainer.forwardBackward(batch.features, batch.targets, batch.size, stepSeed(config.seed, step), true);
        guard(pass.loss);
        if (config.clip_grad_norm !== null) clipGradNorm(pass.grads, config.clip_grad_norm);
        if (options.gradNorms && batch.index === batches.batchesPerEpoch - 1) gradNorms = layerGradNorms(trainGraph, pass.grads);
        lr = schedule.lr;
        optimizer.step(trainer.params, pass.grads, lr, schedule.momentum ?? undefined);
        schedule.onStep();
        step++;
        samplesSeen += batch.size;
        metrics.add(batch.size, pass, pass.prediction, batch.targets, data.train.targetSize);
        hooks.onStep?.({
          epoch: epoch + 1,
          batch: batch.index + 1,
          batches: batches.batchesPerEpoch,
          loss: pass.loss,
          accuracy: metrics.accuracy,
          lr,
          samplesPerSecond: samplesSeen / ((performance.now() - started) / 1000),
        });
        yield;
      }
      train = metrics.result();
    }
    epoch++;
    const validation = data.validation ? trainer.evaluate(data.validation, 1024) : null;
    const epochMetrics = metricRecord(train, validation);
    schedule.onEpoch(epochMetrics);
    let improved: boolean | null = null;
    if (early) {
      const verdict = early.update(epoch, epochMetrics);
      improved = verdict.improved;
      if (verdict.keepBest) {
        best = { params: trainer.params.map((p) => p.slice()), state: trainer.state.map((s) => s.slice()), epoch };
      }
      stoppedEarly = verdict.stop;
    }
    lastTrain = train;
    lastValidation = validation;
    const seconds = (performance.now() - epochStarted) / 1000;
    hooks.onEpoch?.({
      epoch,
      epochs: config.epochs,
      step,
      lr,
      train,
      validation,
      seconds,
      samplesPerSecond: data.train.n / Math.max(seconds, 1e-9),
      improved,
      gradNorms,
      lbfgs: lbfgsEpoch,
    });
    const every = config.checkpoint?.every ?? 1;
    if (options.savePath && (epoch % every === 0 || epoch === config.epochs || stoppedEarly)) save(options.savePath);
    if (stoppedEarly) break;
  }

  if (best) {
    // Early stopping with `restore: best`: the run ends with the best epoch's weights.
    best.params.forEach((p, i) => trainer.params[i]!.set(p));
    best.state.forEach((s, i) => trainer.state[i]!.set(s));
    if (data.validation) lastValidation = trainer.evaluate(data.validation, 1024);
    if (options.savePath) save(options.savePath);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    epochs: epoch,
    steps: step,
    train: lastTrain ?? trainer.evaluate(data.train, 1024),
    validation: lastValidation,
    test: data.test ? trainer.evaluate(data.test, 1024) : null,
    seconds,
    samplesPerSecond: samplesSeen / Math.max(seconds, 1e-9),
    stoppedEarly,
    bestEpoch: early ? early.bestEpoch : null,
    lbfgs: lbfgsTotals,
  };
}

// A different dropout stream for every step, fixed by the run's seed, so a resumed run draws the
// same masks as an uninterrupted one.
function stepSeed(seed: number, step: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x01000193) + step * 0x9e3779b9) >>> 0;
}

function allFinite(arrays: Float32Array[]): boolean {
  return arrays.every((array) => array.every(Number.isFinite));
}

// The optimizer's settings with the momentum a cycling schedule starts from: SGD's and RMSProp's
// `momentum`, Adam's β1 (the analyzer has refused the optimizers without one). Every backend builds
// its optimizer from these settings, so the momentum buffers exist from the first step.
export function withMomentum(config: TrainConfig["optimizer"], momentum: number): TrainConfig["optimizer"] {
  switch (config.kind) {
    case "sgd":
    case "rmsprop":
      return { ...config, momentum };
    case "adam":
    case "adamw":
      return { ...config, beta1: momentum };
    default:
      return config;
  }
}

function metricRecord(train: PassMetrics, validation: PassMetrics | null): Record<string, number> {
  const record: Record<string, number> = { train_loss: train.loss };
  if (train.accuracy !== null) record.train_accuracy = train.accuracy;
  if (validation) {
    record.val_loss = validation.loss;
    if (validation.accuracy !== null) record.val_accuracy = validation.accuracy;
    if (validation.mse !== null) record.val_mse = validation.mse;
  }
  return record;
}

// The 2-norm of each layer's weight gradient (biases and normalization parameters left out), in
// the order the layers appear, to show how gradients shrink or grow with depth.
export function layerGradNorms(graph: Graph, grads: Float32Array[]): { layer: string; norm: number }[] {
  const norms: { layer: string; norm: number }[] = [];
  graph.params.forEach((param, i) => {
    if (param.role !== "weight") return;
    let sum = 0;
    for (const g of grads[i]!) sum += g * g;
    norms.push({ layer: param.layer, norm: Math.sqrt(sum) });
  });
  return norms;
}

function shapesOf(graph: Graph): Record<string, number[]> {
  return Object.fromEntries([...graph.params.map((p) => [p.name, p.shape]), ...graph.state.map((s) => [s.name, s.shape])]);
}

function snapshot(input: LoopInput, optimizer: Optimizer | LbfgsOptimizer, schedule: Schedule, early: EarlyStopping | null, epoch: number, step: number): CheckpointContent {
  const { trainGraph, trainer, data, config } = input;
  return {
    model: config.model,
    params: Object.fromEntries(trainGraph.params.map((p, i) => [p.name, trainer.params[i]!])),
    state: Object.fromEntries(trainGraph.state.map((s, i) => [s.name, trainer.state[i]!])),
    optimizer: { kind: config.optimizer.kind, ...optimizer.saveState() },
    standardizer: data.standardizer,
    progress: { epoch, step },
    scheduleState: schedule.saveState(),
    earlyStoppingState: early ? early.saveState() : null,
    seed: config.seed,
  };
}
