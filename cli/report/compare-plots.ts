// The plots of `nnc compare`: the curves of several runs overlaid, one colour per run (a series
// `group`), the validation curve dashed beside the training one, each run named by its label (what
// differs between the runs). By epoch: the loss (log scale), the accuracy or MSE, and the learning
// rate of every recorded step (at step / steps per epoch, so runs with different batch sizes line
// up by epoch); by time: the loss against the seconds trained, which is how full-batch, mini-batch
// and per-sample runs of one epoch count really compare.

import type { EpochRecord, History, MetricColumn } from "../../runtime/train/history.ts";
import type { Marker, Plot, Point, Series } from "./plot.ts";

export interface ComparedRun {
  label: string;
  history: History;
}

// The plots a comparison's report may hold, by id.
export const COMPARE_PLOT_IDS = ["loss", "accuracy", "mse", "loss-time", "lr"] as const;

export function comparePlots(runs: readonly ComparedRun[]): Plot[] {
  const last = Math.max(1, ...runs.map((run) => run.history.epochs.at(-1)?.epoch ?? 0));
  const epochAxis = { label: "epoch", integer: true, domain: [0, last] as const };
  const markers = restoredMarkers(runs);
  const plots: Plot[] = [];
  const pair = (train: MetricColumn, validation: MetricColumn): Series[] =>
    runs.flatMap((run) => [
      ...(has(run, train) ? [{ name: `${run.label} · train`, group: run.label, points: column(run.history.epochs, train) }] : []),
      ...(has(run, validation) ? [{ name: `${run.label} · validation`, group: run.label, dashed: true, points: column(run.history.epochs, validation) }] : []),
    ]);

  const loss = pair("train_loss", "val_loss");
  plots.push({ id: "loss", title: "Loss (training: epoch mean; validation: dashed)", x: epochAxis, y: { label: "loss", scale: logIfPositive(loss), format: "~g" }, series: loss, markers });
  if (runs.some((run) => has(run, "train_accuracy"))) {
    plots.push({ id: "accuracy", title: "Accuracy (training: epoch mean; validation: dashed)", x: epochAxis, y: { label: "accuracy", format: "~%" }, series: pair("train_accuracy", "val_accuracy"), markers });
  }
  if (runs.some((run) => has(run, "train_mse"))) {
    const mse = pair("train_mse", "val_mse");
    plots.push({ id: "mse", title: "Mean squared error (validation: dashed)", x: epochAxis, y: { label: "mse", scale: logIfPositive(mse), format: "~g" }, series: mse, markers });
  }

  // Against time: the validation loss when every run has one, else the training loss.
  const byTime: MetricColumn = runs.every((run) => has(run, "val_loss")) ? "val_loss" : "train_loss";
  const timed = runs.map((run) => {
    let seconds = 0;
    const points = run.history.epochs.flatMap((e): Point[] => {
      seconds += e.seconds;
      return e[byTime] === undefined ? [] : [[seconds, e[byTime]!]];
    });
    return { name: run.label, points };
  });
  plots.push({
    id: "loss-time",
    title: byTime === "val_loss" ? "Validation loss against training time" : "Training loss (epoch mean) against training time",
    x: { label: "seconds", format: "~g" },
    y: { label: byTime === "val_loss" ? "validation loss" : "training loss", scale: logIfPositive(timed), format: "~g" },
    series: timed,
  });

  const rates = runs.map((run) => ({ name: run.label, points: run.history.steps.map((s): Point => [s.step / run.history.steps_per_epoch, s.lr]) }));
  plots.push({ id: "lr", title: "Learning rate per step", x: { ...epochAxis, integer: false }, y: { label: "learning rate", scale: logIfPositive(rates), format: "~e" }, series: rates });
  return plots;
}

function has(run: ComparedRun, name: string): boolean {
  return run.history.columns.includes(name);
}

function column(epochs: readonly EpochRecord[], name: MetricColumn): Point[] {
  return epochs.filter((e) => e[name] !== undefined).map((e) => [e.epoch, e[name]!]);
}

function logIfPositive(series: readonly Series[]): "log" | "linear" {
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  return values.length > 0 && values.every((v) => v > 0) ? "log" : "linear";
}

// Where early stopping put an earlier epoch's weights back, per run.
function restoredMarkers(runs: readonly ComparedRun[]): Marker[] {
  return runs.flatMap((run) =>
    run.history.events.flatMap((event): Marker[] => (event.event === "restored" ? [{ x: event.epoch, label: `${run.label}: restored epoch ${event.epoch}`, kind: "restore" }] : [])),
  );
}
