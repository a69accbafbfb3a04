// What a sweep shows at its end: the trials ranked by the metric in one table, the boxes of the
// rounds, and the report page (report/sweep-plots.ts).

import type { ReportPage } from "../report/page.ts";
import { sweepPlots, type SweepPlotDimension } from "../report/sweep-plots.ts";
import type { Dimension, Value } from "./keys.ts";
import type { TrialRecord } from "./journal.ts";
import { compareTrials, type Box, type Direction } from "./search.ts";
import { isLog } from "./space.ts";

// Each trial once, at the furthest rung it reached, best first.
export function rankedTrials(records: readonly TrialRecord[], direction: Direction): TrialRecord[] {
  const furthest = new Map<string, TrialRecord>();
  for (const record of records) {
    const key = `${record.round}.${record.trial}`;
    const other = furthest.get(key);
    // A later record of the same rung is a failed trial run again.
    if (!other || record.rung >= other.rung) furthest.set(key, record);
  }
  return [...furthest.values()].sort(compareTrials(direction));
}

export function formatValue(value: Value | undefined): string {
  if (value === undefined) return "—";
  return typeof value === "number" ? String(value) : value;
}

const figure = (metric: string, value: number | null | undefined) =>
  value === null || value === undefined ? "—" : metric.endsWith("accuracy") ? `${(value * 100).toFixed(2)}%` : Math.abs(value) < 1e-3 && value !== 0 ? value.toExponential(3) : value.toFixed(4);

export function boxText(dimension: Dimension, box: Box): string {
  if (box.kind === "choice") return `{${box.values.join(", ")}}`;
  const shown = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3))));
  return `${shown(box.low)} to ${shown(box.high)}${isLog(dimension.distribution) ? " (log)" : ""}`;
}

// One row per trial: its rank, its values, the metric (and the other figures of its pass), its
// epochs, time and status.
export function trialTable(ranked: readonly TrialRecord[], dimensions: readonly Dimension[], metric: string): string[] {
  const pass = metric.slice(0, metric.indexOf("_") + 1);
  const others = ["loss", "accuracy", "mse"].map((f) => `${pass}${f}`).filter((m) => m !== metric && ranked.some((r) => r.metrics[m] !== undefined));
  const header = ["rank", "trial", ...dimensions.map((d) => d.key), metric, ...others, "epochs", "time", "status"];
  const rows = ranked.map((r, i) => [
    r.status === "ok" ? String(i + 1) : "—",
    `${r.round}.${r.trial}`,
    ...dimensions.map((d) => formatValue(r.values[d.key])),
    figure(metric, r.status === "ok" ? r.metric : null),
    ...others.map((m) => figure(m, r.status === "ok" ? r.metrics[m] : null)),
    r.epochs_trained === null ? "—" : String(r.epochs_trained),
    r.seconds === null ? "—" : `${r.seconds.toFixed(r.seconds < 10 ? 2 : 1)}s`,
    r.status === "ok" ? "ok" : `${r.status}: ${r.error ?? ""}`,
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((row) => (k === header.length - 1 ? 0 : row[k]!.length))));
  const line = (cells: string[]) => `  ${cells.map((cell, k) => (k === cells.length - 1 ? cell : k >= 2 + dimensions.length ? cell.padStart(widths[k]!) : cell.padEnd(widths[k]!))).join("  ")}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

export interface SweepReportInput {
  file: string;
  model: string;
  lines: string[];
  results: string[];
  dimensions: readonly Dimension[];
  boxes: Box[][]; // per round, per dimension
  ranked: readonly TrialRecord[];
  trialsPerRound: number;
  halving: boolean;
  metric: string;
  direction: Direction;
  texts: { title: string; text: string }[];
}

export function sweepReport(input: SweepReportInput): ReportPage {
  const dimensions: SweepPlotDimension[] = input.dimensions.map((d, k) => {
    const choice = d.distribution.kind === "choice" ? d.distribution.values : null;
    const numericChoice = choice !== null && choice.every((v) => /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v));
    const positive = numericChoice && choice!.every((v) => Number(v) > 0);
    return {
      key: d.key,
      log: isLog(d.distribution) || (positive && Math.max(...choice!.map(Number)) / Math.min(...choice!.map(Number)) >= 10),
      categories: choice && !numericChoice ? choice : null,
      boxes: input.boxes.map((round) => (round[k]!.kind === "range" ? { low: round[k]!.low, high: round[k]!.high } : null)),
    };
  });
  const trials = input.ranked
    .filter((r) => r.status === "ok")
    .map((r) => ({ round: r.round, order: (r.round - 1) * input.trialsPerRound + r.trial, epochs: input.halving ? r.epochs : null, values: r.values, metric: r.metric! }));
  return {
    title: `sweep of ${input.model}: ${input.file}`,
    lines: input.lines,
    results: input.results,
    plots: sweepPlots({ metric: input.metric, direction: input.direction, dimensions, trials }),
    texts: input.texts,
  };
}
