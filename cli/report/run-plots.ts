// The plots of one run's history (runtime/train/history.ts), by epoch: the loss (training and
// validation together, with the loss of every recorded step faint beneath them, on a log scale),
// the accuracy or MSE, and each layer's gradient norm when they were recorded; by step: the
// learning rate. Every plot is marked where a schedule's phase begins, where plateau cut the rate,
// where early stopping stopped and which epoch's weights were restored.
//
// An epoch's record is drawn at x = its epoch (the end of it), a step at x = step / steps per
// epoch, so a step and the epoch it ends line up; a phase that begins at step s is at (s − 1) /
// steps per epoch, the moment before its first step.

import type { EventRecord, History, MetricColumn } from "../../runtime/train/history.ts";
import { type Marker, type Plot, type Point, type Series, shortNumber } from "./plot.ts";

// The training metrics of an epoch are the running means over its steps (what the table prints).
const TRAIN = "train (epoch mean)";

// The plots a run's report may hold, by id (the `.svg` and `.csv` files' name part).
// `trajectory` is drawn by cli/run-trace.ts with --trace.
export const RUN_PLOT_IDS = ["loss", "accuracy", "mse", "lr", "grad-norms", "trajectory", "density"] as const;

export function runPlots(history: History): Plot[] {
  const epochs = history.epochs;
  const perEpoch = history.steps_per_epoch;
  const first = epochs.length ? epochs[0]!.epoch - 1 : 0;
  const last = epochs.length ? epochs[epochs.length - 1]!.epoch : 1;
  const epochAxis = { label: "epoch", integer: true, domain: [first, Math.max(last, first + 1)] as const };
  const epochMarkers = markers(history.events, (event) => (event.event === "phase" ? (event.step - 1) / perEpoch : event.epoch));
  const column = (name: MetricColumn): Point[] => epochs.filter((e) => e[name] !== undefined).map((e) => [e.epoch, e[name]!]);
  const has = (name: string) => history.columns.includes(name);
  const plots: Plot[] = [];

  const stepLoss: Series = { name: "train (each step)", style: "faint", group: TRAIN, points: history.steps.map((s) => [s.step / perEpoch, s.loss]) };
  const loss = [{ name: TRAIN, points: column("train_loss") }, ...(has("val_loss") ? [{ name: "validation", points: column("val_loss") }] : []), stepLoss];
  plots.push({
    id: "loss",
    title: "Loss",
    x: epochAxis,
    y: { label: "loss", scale: positive(loss) ? "log" : "linear", format: "~g" },
    series: loss,
    markers: epochMarkers,
  });
  for (const metric of ["accuracy", "mse"] as const) {
    if (!has(`train_${metric}`)) continue;
    const series = [{ name: TRAIN, points: column(`train_${metric}`) }, ...(has(`val_${metric}`) ? [{ name: "validation", points: column(`val_${metric}`) }] : [])];
    const y = metric === "accuracy" ? { label: "accuracy", format: "~%" } : { label: "mse", scale: positive(series) ? ("log" as const) : ("linear" as const), format: "~g" };
    plots.push({ id: metric, title: metric === "accuracy" ? "Accuracy" : "Mean squared error", x: epochAxis, y, series, markers: epochMarkers });
  }
  plots.push({
    id: "lr",
    title: "Learning rate per step",
    x: { label: "step", integer: true },
    y: { label: "learning rate", format: "~e" },
    series: [{ name: "learning rate", points: history.steps.map((s) => [s.step, s.lr]) }],
    markers: markers(history.events, (event) => event.step),
  });
  const layers = history.columns.filter((c): c is `grad_norm.${string}` => c.startsWith("grad_norm."));
  if (layers.length) {
    const series = layers.map((c) => ({ name: c.slice("grad_norm.".length), points: column(c) }));
    plots.push({
      id: "grad-norms",
      title: "Weight-gradient norm per layer (last step of each epoch)",
      x: epochAxis,
      y: { label: "‖∇W‖", scale: positive(series) ? "log" : "linear", format: "~g" },
      series,
      markers: epochMarkers,
    });
  }
  return plots;
}

function positive(series: readonly Series[]): boolean {
  return series.every((s) => s.points.every((p) => p[1] > 0 || !Number.isFinite(p[1])));
}

function markers(events: readonly EventRecord[], at: (event: EventRecord) => number): Marker[] {
  return events.map((event) => {
    switch (event.event) {
      case "phase":
        return { x: at(event), label: event.name, kind: "phase" };
      case "lr_reduced":
        return { x: at(event), label: `lr → ${shortNumber(event.lr)}`, kind: "lr" };
      case "early_stop":
        return { x: at(event), label: `early stop (best: ${event.best_epoch})`, kind: "stop" };
      case "restored":
        return { x: at(event), label: `restored epoch ${event.epoch}`, kind: "restore" };
    }
  });
}

