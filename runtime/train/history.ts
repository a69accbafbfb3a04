// A run's history, recorded by the training loop as it goes (loop.ts) and the same on every backend:
//
//   - one `epoch` record per epoch: every metric on the training data (the running means over the
//     epoch's steps, as the table shows them) and on the validation split, the learning rate of the
//     epoch's last step, the epoch's time and, with --grad-norms, each layer's weight-gradient norm;
//   - `step` records: the batch's loss and the learning rate of every k-th optimizer step, where the
//     stride k is the smallest power of two that keeps the run's planned steps to at most
//     MAX_STEP_POINTS records (steps 1, 1 + k, 1 + 2k, …). The stride is fixed before the first
//     step, so the records streamed to a log are exactly the ones the history keeps;
//   - `event` records: where each phase of a schedule begins (`warmup then cosine`), a reduction by
//     `plateau`, early stopping, and the epoch whose weights were restored.
//
// Records are flat objects (metrics as `train_loss`, `val_accuracy`, `grad_norm.h1`, the names
// `stop early(on: …)` uses) so that one record is one JSON line or one CSV row. A `run` record
// opens the stream with what is needed to read the rest: the columns of the epoch records, the
// steps per epoch and the stride. This file is pure (no files, no Node): the command line writes
// the stream (cli/run-log.ts) and draws it (cli/report/).

import type { MetricsSpec } from "../../compiler/step/metrics.ts";
import type { PassMetrics } from "./metrics.ts";

export const HISTORY_FORMAT = "nnc-history-1";
// At most this many step records per run (a few thousand points is more than a plot can show).
export const MAX_STEP_POINTS = 2000;

export interface RunRecord {
  kind: "run";
  format: typeof HISTORY_FORMAT;
  epochs: number; // the planned epochs (early stopping may end the run sooner)
  first_epoch: number; // 1, or the epoch a resumed run starts with
  steps_per_epoch: number;
  step_stride: number; // k: step records are steps 1, 1 + k, 1 + 2k, …
  columns: string[]; // the metric columns of the epoch records, in order
}

export interface StepRecord {
  kind: "step";
  step: number; // 1-based over the whole run
  epoch: number; // the epoch the step belongs to (1-based)
  loss: number; // the batch's loss before the update, with the regularization term
  lr: number; // the learning rate the step used
}

// Metric columns: `train_loss`, `train_data_loss`, `train_reg_loss`, `train_accuracy`, `train_mse`,
// the same with `val_`, and `grad_norm.LAYER`.
export type MetricColumn = `train_${string}` | `val_${string}` | `grad_norm.${string}`;

export type EpochRecord = {
  kind: "epoch";
  epoch: number; // 1-based
  step: number; // optimizer steps done by the end of the epoch
  lr: number; // the learning rate of the epoch's last step
  seconds: number; // the epoch's time (training, validation, the epoch's checkpoint not included)
} & { [column in MetricColumn]?: number };

export type EventRecord = { kind: "event"; step: number; epoch: number } & (
  | { event: "phase"; name: string } // `step` is the first step of the phase
  | { event: "lr_reduced"; lr: number } // plateau, after `epoch`: `lr` is the new rate
  | { event: "early_stop"; name: string; best_epoch: number } // after `epoch`; `name`: the watched metric
  | { event: "restored" } // the weights of `epoch` (the best), whose last step was `step`, were put back
);

export type HistoryRecord = RunRecord | StepRecord | EpochRecord | EventRecord;

export interface History {
  format: typeof HISTORY_FORMAT;
  steps_per_epoch: number;
  step_stride: number;
  columns: string[];
  epochs: EpochRecord[];
  steps: StepRecord[];
  events: EventRecord[];
}

// The stride k for a run of `plannedSteps` steps: the smallest power of two with
// ceil(plannedSteps / k) ≤ maxPoints.
export function stepStride(plannedSteps: number, maxPoints = MAX_STEP_POINTS): number {
  let stride = 1;
  while (Math.ceil(plannedSteps / stride) > Math.max(1, maxPoints)) stride *= 2;
  return stride;
}

// The metric columns of a run's epoch records, fixed before it starts (a CSV header needs them).
export function metricColumns(metrics: Pick<MetricsSpec, "accuracy" | "mse">, validation: boolean, gradNormLayers: string[] | null): MetricColumn[] {
  const pass = (prefix: "train" | "val"): MetricColumn[] => [
    `${prefix}_loss`,
    `${prefix}_data_loss`,
    `${prefix}_reg_loss`,
    ...(metrics.accuracy ? [`${prefix}_accuracy` as const] : []),
    ...(metrics.mse ? [`${prefix}_mse` as const] : []),
  ];
  return [...pass("train"), ...(validation ? pass("val") : []), ...(gradNormLayers ?? []).map((layer) => `grad_norm.${layer}` as const)];
}

export interface EpochFigures {
  epoch: number;
  step: number;
  lr: number;
  seconds: number;
  train: PassMetrics;
  validation: PassMetrics | null;
  gradNorms: { layer: string; norm: number }[] | null;
}

// Collects the records of one run and hands each to `emit` as it is made.
export class HistoryRecorder {
  readonly history: History;

  constructor(
    run: Omit<RunRecord, "kind" | "format">,
    private readonly emit: (record: HistoryRecord) => void = () => {},
  ) {
    this.history = { format: HISTORY_FORMAT, steps_per_epoch: run.steps_per_epoch, step_stride: run.step_stride, columns: run.columns, epochs: [], steps: [], events: [] };
    emit({ kind: "run", format: HISTORY_FORMAT, ...run });
  }

  // Whether step `step` (1-based) is one the history keeps.
  keeps(step: number): boolean {
    return (step - 1) % this.history.step_stride === 0;
  }

  step(step: number, epoch: number, loss: number, lr: number): void {
    if (!this.keeps(step)) return;
    const record: StepRecord = { kind: "step", step, epoch, loss, lr };
    this.history.steps.push(record);
    this.emit(record);
  }

  epoch(figures: EpochFigures): void {
    const record: EpochRecord = { kind: "epoch", epoch: figures.epoch, step: figures.step, lr: figures.lr, seconds: figures.seconds };
    addPass(record, "train", figures.train);
    if (figures.validation) addPass(record, "val", figures.validation);
    for (const { layer, norm } of figures.gradNorms ?? []) record[`grad_norm.${layer}`] = norm;
    this.history.epochs.push(record);
    this.emit(record);
  }

  event(record: DistributiveOmit<EventRecord, "kind">): void {
    const event = { kind: "event", ...record } as EventRecord;
    this.history.events.push(event);
    this.emit(event);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function addPass(record: EpochRecord, prefix: "train" | "val", metrics: PassMetrics): void {
  record[`${prefix}_loss`] = metrics.loss;
  record[`${prefix}_data_loss`] = metrics.data_loss;
  record[`${prefix}_reg_loss`] = metrics.reg_loss;
  if (metrics.accuracy !== null) record[`${prefix}_accuracy`] = metrics.accuracy;
  if (metrics.mse !== null) record[`${prefix}_mse`] = metrics.mse;
}
