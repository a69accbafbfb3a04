// The training loop, the same on every backend (runtime/train/backend.ts): epochs of seeded
// mini-batches (or one full batch), each step one call of the backend's compiled training step
// (forward, backward, clipping, the optimizer's update) with the schedule's learning rate and the
// other step scalars; after each epoch the metrics the backend accumulated, an evaluation on the
// validation split, the schedule's and early stopping's epoch hooks, and a checkpoint. L-BFGS runs
// one `step(closure)` per epoch on the full training set, as PyTorch's LBFGS is used, with its
// two-loop recursion on the host and the loss and gradient from the backend.
//
// A loss that becomes NaN or infinite stops the run with a message naming the epoch and step; the
// weights of that step are not saved, and weights that are not all finite are never saved, so the
// last checkpoint stays the last good one.
//
// The loop is a generator that yields after every optimizer step: `runTraining` drives it to the
// end at once, while the command line drives it a little at a time so that the event loop can
// notice Ctrl-C between steps (cli/interrupt.ts).
//
// It records the run's history as it goes (history.ts: epochs, thinned steps, events) and hands
// each record to `onRecord` as soon as it is known: a step's record when its loss is read, which
// on every backend is after the next step was issued, so the records and their order are the same
// on the CPU and on WebGPU. At the end the final weights (the restored ones after early stopping)
// are evaluated on the training split, as on the validation and test splits; the epoch's running
// means stay in the history and in the summary's `trainRunning`.

import type { TrainConfig } from "../../compiler/ir/config.ts";
import { slotStateName, stepScalars } from "../../compiler/step/build.ts";
import type { ModelPrograms } from "../../compiler/step/programs.ts";
import { targetFeed, type Dataset } from "../data/dataset.ts";
import { Batches } from "../data/batches.ts";
import type { Standardizer } from "../data/standardize.ts";
import type { StepResult, TensorState, TrainingBackend } from "./backend.ts";
import { EarlyStopping } from "./early-stopping.ts";
import type { PassMetrics } from "./metrics.ts";
import { LbfgsOptimizer, OptimizerStateError, type OptimizerState } from "./optimizers/index.ts";
import { restoreStep } from "./optimizers/state.ts";
import { createSchedule, schedulePhases, type RunLength, type Schedule } from "./schedules/index.ts";
import { type History, HistoryRecorder, type HistoryRecord, metricColumns, stepStride } from "./history.ts";
import type { CheckpointContent } from "./checkpoint-format.ts";

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
  // Each record of the run's history as soon as it is made, the `run` record first.
  onRecord?(record: HistoryRecord): void;
  // The weights, as one flat vector of their own in readFlatParams' order, before the first step
  // and after every step s with s % k = 0 (k: the history's step stride) and after the last: the
  // run's trajectory (trace.ts). Reading them waits for the step, so at those steps a GPU backend
  // does not overlap the next step with the host's wait.
  onParams?(point: { step: number; epoch: number }, params: Float32Array): void;
}

export interface LoopOptions {
  savePath: string | null; // where checkpoints go (atomic writes); null: nowhere
  // Writes a checkpoint (checkpoint.ts's saveCheckpoint; needed with a savePath). The loop touches
  // no file itself, so that it also runs in a web page (runtime/model/).
  writeCheckpoint?: (path: string, content: CheckpointContent, shapes: Record<string, number[]>) => void;
  gradNorms: boolean;
  // Where a resumed run starts (completed epochs and steps), with its saved optimizer, schedule and
  // early-stopping state.
  resume: CheckpointContent | null;
  // The file `resume` was read from: the last good checkpoint until this run writes one.
  resumedFrom?: string | null;
  // At most this many step records in the history (history.ts: MAX_STEP_POINTS by default).
  maxStepPoints?: number;
}

export interface RunSummary {
  epochs: number; // epochs completed
  steps: number;
  train: PassMetrics; // the final (or restored) weights evaluated on the training split
  trainRunning: PassMetrics | null; // the last epoch's running means (null when no epoch ran)
  validation: PassMetrics | null;
  test: PassMetrics | null;
  seconds: number;
  samplesPerSecond: number;
  stoppedEarly: boolean;
  bestEpoch: number | null;
  lbfgs: { iterations: number; evaluations: number } | null;
  history: History;
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

// The train block's settings the loop reads.
export type LoopConfig = Pick<TrainConfig, "model" | "batch" | "shuffle" | "seed" | "optimizer" | "epochs" | "schedule" | "early_stopping" | "checkpoint">;

export interface LoopInput {
  config: LoopConfig;
  programs: ModelPrograms;
  backend: TrainingBackend;
  data: { train: Dataset; validation: Dataset | null; test: Dataset | null; standardizer: Standardizer | null };
}

export async function runTraining(input: LoopInput, options: LoopOptions, hooks: LoopHooks = {}): Promise<RunSummary> {
  const run = trainingSteps(input, options, hooks);
  for (;;) {
    const next = await run.next();
    if (next.done) return next.value;
  }
}

// The training run as an async generator that yields after every optimizer step and returns the
// summary. A step's loss is awaited one step late, so a GPU backend has the next step queued
// while the host waits; a non-finite loss still stops the run before the epoch's checkpoint.
export async function* trainingSteps(input: LoopInput, options: LoopOptions, hooks: LoopHooks = {}): AsyncGenerator<void, RunSummary, void> {
  const { config, backend, data, programs } = input;
  const batches = new Batches(data.train, { batchSize: config.batch, shuffle: config.shuffle, seed: config.seed });
  const lbfgsConfig = config.optimizer.kind === "lbfgs" ? config.optimizer : null;
  const stepsPerEpoch = lbfgsConfig ? 1 : batches.batchesPerEpoch;
  const totalSize = programs.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  const schedule: Schedule = createSchedule(config.schedule, { baseLr: config.optimizer.lr, stepsPerEpoch, epochs: config.epochs });
  const lbfgs = lbfgsConfig ? new LbfgsOptimizer(lbfgsConfig, totalSize) : null;
  const early = config.early_stopping ? new EarlyStopping(config.early_stopping) : null;
  let best: { state: TensorState; epoch: number; step: number } | null = null;

  let epoch = 0;
  let step = 0;
  // The optimizer's own step count (PyTorch's `state["step"]`), for bias corrections.
  let optimizerSteps = 0;
  if (options.resume) {
    epoch = options.resume.progress.epoch;
    step = options.resume.progress.step;
    if (options.resume.optimizer) {
      if (lbfgs) lbfgs.loadState(options.resume.optimizer);
      else {
        optimizerSteps = restoreStep(options.resume.optimizer);
        await backend.writeState({ slots: slotsFromOptimizerState(programs, options.resume.optimizer) });
      }
    }
    if (options.resume.scheduleState) schedule.loadState(options.resume.scheduleState);
    if (early && options.resume.earlyStoppingState) early.loadState(options.resume.earlyStoppingState);
  }

  const gradNormLayers = options.gradNorms ? programs.params.filter((p) => p.role === "weight").map((p) => p.layer) : null;
  const history = new HistoryRecorder(
    {
      epochs: config.epochs,
      first_epoch: epoch + 1,
      steps_per_epoch: stepsPerEpoch,
      step_stride: stepStride(stepsPerEpoch * Math.max(0, config.epochs - epoch), options.maxStepPoints),
      columns: metricColumns(programs.metrics, data.validation !== null, gradNormLayers),
    },
    (record) => hooks.onRecord?.(record),
  );
  const enterPhases = phaseEvents(config, { baseLr: config.optimizer.lr, stepsPerEpoch, epochs: config.epochs }, history);
  let traced = -1;
  const trace = async (atEpoch: number) => {
    if (!hooks.onParams || traced === step) return;
    traced = step;
    hooks.onParams({ step, epoch: atEpoch }, await backend.readFlatParams());
  };
  const traceEvery = history.history.step_stride;

  let lastSaved: string | null = options.resume ? (options.resumedFrom ?? null) : null;
  let lastTrain: PassMetrics | null = null;
  let lastValidation: PassMetrics | null = null;
  let stoppedEarly = false;
  let lbfgsTotals: { iterations: number; evaluations: number } | null = lbfgs ? { iterations: 0, evaluations: 0 } : null;
  const started = performance.now();
  let samplesSeen = 0;

  const guard = (value: number, atStep: number) => {
    if (!Number.isFinite(value)) throw new NonFiniteLossError(epoch + 1, atStep, value, lastSaved);
  };
  // Writes a checkpoint, unless a weight is no longer finite: then the last good one stays.
  const save = async (path: string) => {
    const tensors = await backend.readState();
    if (!allFinite(Object.values(tensors.params)) || !allFinite(Object.values(tensors.state))) throw new NonFiniteLossError(epoch, step, null, lastSaved);
    if (!options.writeCheckpoint) throw new Error("internal error: a save path without a checkpoint writer");
    options.writeCheckpoint(path, snapshot(input, tensors, lbfgs, schedule, early, { epoch, step, optimizerSteps }), shapesOf(programs));
    lastSaved = path;
    hooks.onCheckpoint?.(path, epoch);
  };

  await trace(epoch);
  while (epoch < config.epochs) {
    const epochStarted = performance.now();
    let train: PassMetrics;
    let gradNorms: EpochReport["gradNorms"] = null;
    let lbfgsEpoch: EpochReport["lbfgs"] = null;
    let lr = schedule.lr;
    if (lbfgs) {
      const batch = { features: data.train.features, targets: targetFeed(data.train), size: data.train.n };
      const seed = stepSeed(config.seed, step);
      enterPhases(step + 1);
      const flat = [await backend.readFlatParams()];
      const result = await lbfgs.step(flat, async () => {
        await backend.writeFlatParams(flat[0]!);
        const pass = await backend.lossAndGradient(batch, seed);
        guard(pass.loss, step + 1);
        return { loss: pass.loss, grads: [pass.gradient] };
      }, lr);
      await backend.writeFlatParams(flat[0]!);
      step++;
      history.step(step, epoch + 1, result.loss, lr);
      if (step % traceEvery === 0) await trace(epoch + 1);
      samplesSeen += data.train.n * result.evaluations;
      lbfgsEpoch = { iterations: result.iterations, evaluations: result.evaluations };
      lbfgsTotals = { iterations: lbfgsTotals!.iterations + result.iterations, evaluations: lbfgsTotals!.evaluations + result.evaluations };
      schedule.onStep();
      yield;
      train = await backend.evaluate(data.train, 1024);
      guard(train.loss, step);
    } else {
      let pending: { result: Promise<StepResult>; progress: Omit<StepProgress, "loss" | "accuracy">; step: number } | null = null;
      const settle = async () => {
        if (!pending) return;
        const { loss, accuracy } = await pending.result;
        guard(loss, pending.step);
        history.step(pending.step, pending.progress.epoch, loss, pending.progress.lr);
        hooks.onStep?.({ ...pending.progress, loss, accuracy });
        pending = null;
      };
      for (const batch of batches.epoch(epoch)) {
        lr = schedule.lr;
        const scalars = stepScalars(programs.step, { step: ++optimizerSteps, lr, momentum: schedule.momentum });
        const result = backend.step(batch, scalars, stepSeed(config.seed, step));
        schedule.onStep();
        step++;
        samplesSeen += batch.size;
        const progress = { epoch: epoch + 1, batch: batch.index + 1, batches: batches.batchesPerEpoch, lr, samplesPerSecond: samplesSeen / ((performance.now() - started) / 1000) };
        await settle();
        enterPhases(step);
        pending = { result, progress, step };
        if (hooks.onParams && step % traceEvery === 0) {
          await settle();
          await trace(epoch + 1);
        }
        yield;
      }
      await settle();
      if (options.gradNorms) gradNorms = layerGradNorms(programs, await backend.gradNorms());
      train = await backend.takeMetrics();
    }
    epoch++;
    const validation = data.validation ? await backend.evaluate(data.validation, 1024) : null;
    const epochMetrics = metricRecord(train, validation);
    const lrBefore = schedule.lr;
    schedule.onEpoch(epochMetrics);
    let improved: boolean | null = null;
    if (early) {
      const verdict = early.update(epoch, epochMetrics);
      improved = verdict.improved;
      if (verdict.keepBest) best = { state: await backend.readState(), epoch, step };
      stoppedEarly = verdict.stop;
    }
    lastTrain = train;
    lastValidation = validation;
    const seconds = (performance.now() - epochStarted) / 1000;
    history.epoch({ epoch, step, lr, seconds, train, validation, gradNorms });
    // Only plateau changes the rate on what it measures; the closed forms' changes are the curve.
    if (config.schedule.kind === "plateau" && schedule.lr !== lrBefore) history.event({ event: "lr_reduced", epoch, step, lr: schedule.lr });
    if (stoppedEarly) history.event({ event: "early_stop", epoch, step, name: config.early_stopping!.metric, best_epoch: early!.bestEpoch });
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
    if (options.savePath && (epoch % every === 0 || epoch === config.epochs || stoppedEarly)) await save(options.savePath);
    if (stoppedEarly) break;
  }
  await trace(epoch);

  if (best) {
    // Early stopping with `restore: best`: the run ends with the best epoch's weights (the
    // optimizer's state stays where the run stopped, as a resumed run would continue from it).
    await backend.writeState({ params: best.state.params, state: best.state.state });
    history.event({ event: "restored", epoch: best.epoch, step: best.step });
    if (data.validation) lastValidation = await backend.evaluate(data.validation, 1024);
    if (options.savePath) await save(options.savePath);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    epochs: epoch,
    steps: step,
    train: await backend.evaluate(data.train, 1024),
    trainRunning: lastTrain,
    validation: lastValidation,
    test: data.test ? await backend.evaluate(data.test, 1024) : null,
    seconds,
    samplesPerSecond: samplesSeen / Math.max(seconds, 1e-9),
    stoppedEarly,
    bestEpoch: early ? early.bestEpoch : null,
    lbfgs: lbfgsTotals,
    history: history.history,
  };
}

// The schedule's phases as events: a function called with each step's number (1-based) before
// the step's record, which records a phase when the step is the phase's first, and at the run's
// first step (a resumed run's too) the phase it starts in. A one-phase schedule records nothing.
function phaseEvents(config: LoopConfig, run: RunLength, history: HistoryRecorder): (step: number) => void {
  const phases = schedulePhases(config.schedule, run).map((phase) => ({
    name: phase.name,
    step: (config.schedule.every === "epoch" ? phase.start * run.stepsPerEpoch : phase.start) + 1,
  }));
  if (phases.length < 2) return () => {};
  let next = 0;
  return (step) => {
    while (next < phases.length && phases[next]!.step <= step) {
      const phase = phases[next++]!;
      const current = next === phases.length || phases[next]!.step > step;
      if (current) history.event({ event: "phase", epoch: Math.floor((phase.step - 1) / run.stepsPerEpoch) + 1, step: phase.step, name: phase.name });
    }
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

// Each layer's weight-gradient norm from the backend's per-parameter norms, in the order the
// layers appear, to show how gradients shrink or grow with depth.
function layerGradNorms(programs: ModelPrograms, norms: Record<string, number>): { layer: string; norm: number }[] {
  return programs.params.filter((p) => p.role === "weight" && norms[p.name] !== undefined).map((p) => ({ layer: p.layer, norm: norms[p.name]! }));
}

function shapesOf(programs: ModelPrograms): Record<string, number[]> {
  const state = programs.step.graph.state.filter((s) => programs.modelState.includes(s.name));
  return Object.fromEntries([...programs.params.map((p) => [p.name, p.shape]), ...state.map((s) => [s.name, s.shape])]);
}

// The optimizer's state as checkpoints store it: per slot, one tensor per parameter, and the step
// count (PyTorch's `state["step"]`: the optimizer steps taken, which is the run's step count).
function optimizerStateOf(programs: ModelPrograms, slots: Record<string, Float32Array>, step: number): OptimizerState {
  const tensors: Record<string, Float32Array[]> = {};
  for (const { slot } of programs.step.slots) {
    tensors[slot] ??= programs.params.map((p) => slots[slotStateName(p.name, slot)]!);
  }
  return { scalars: { step }, tensors };
}

function slotsFromOptimizerState(programs: ModelPrograms, state: OptimizerState): Record<string, Float32Array> {
  const slots: Record<string, Float32Array> = {};
  for (const { slot, param, state: name } of programs.step.slots) {
    const index = programs.params.findIndex((p) => p.name === param);
    const saved = state.tensors[slot]?.[index];
    if (!saved) throw new OptimizerStateError(`it holds no \`${slot}\` for ${param}`);
    slots[name] = saved;
  }
  return slots;
}

function snapshot(
  input: LoopInput,
  tensors: TensorState,
  lbfgs: LbfgsOptimizer | null,
  schedule: Schedule,
  early: EarlyStopping | null,
  { epoch, step, optimizerSteps }: { epoch: number; step: number; optimizerSteps: number },
): CheckpointContent {
  const { programs, data, config } = input;
  const optimizer = lbfgs ? lbfgs.saveState() : optimizerStateOf(programs, tensors.slots, optimizerSteps);
  return {
    model: config.model,
    params: tensors.params,
    state: tensors.state,
    optimizer: { kind: config.optimizer.kind, ...optimizer },
    standardizer: data.standardizer,
    progress: { epoch, step },
    scheduleState: schedule.saveState(),
    earlyStoppingState: early ? early.saveState() : null,
    seed: config.seed,
  };
}
