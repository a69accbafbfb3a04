// What `nnc compare` shows of its runs: one table (a row per run: epochs, steps, time, samples/s,
// the best epoch, and the final weights' metrics on each split), the same as JSON, and the report
// page with the runs' curves overlaid (report/compare-plots.ts).

import type { History } from "../runtime/train/history.ts";
import type { RunSummary } from "../runtime/train/loop.ts";
import type { PassMetrics } from "../runtime/train/metrics.ts";
import { passJson } from "./report.ts";
import { comparePlots } from "./report/compare-plots.ts";
import type { ReportPage } from "./report/page.ts";

// A run of the comparison as it ended: trained to its end (or stopped early), or stopped by a loss
// that became NaN or infinite (`diverged`, with the history recorded until then).
export interface ComparedResult {
  label: string;
  train: string | undefined; // the --train of its block
  varied: { key: string; value: string }[];
  summary: RunSummary | null;
  diverged: { message: string; history: History } | null;
}

export function resultHistory(result: ComparedResult): History {
  return result.summary?.history ?? result.diverged!.history;
}

// The epoch whose weights are the run's best: the one early stopping kept, else the epoch with the
// lowest validation loss (training loss without a validation split).
export function bestEpoch(result: ComparedResult): number | null {
  if (result.summary?.bestEpoch != null) return result.summary.bestEpoch;
  const epochs = resultHistory(result).epochs;
  const metric = epochs.some((e) => e.val_loss !== undefined) ? "val_loss" : "train_loss";
  let best: { epoch: number; value: number } | null = null;
  for (const e of epochs) {
    const value = e[metric];
    if (value !== undefined && Number.isFinite(value) && (best === null || value < best.value)) best = { epoch: e.epoch, value };
  }
  return best?.epoch ?? null;
}

const number = (value: number | null | undefined) =>
  value === null || value === undefined ? "—" : value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5) ? value.toExponential(2) : value.toFixed(4);
// Seconds with two decimals under ten seconds (tiny runs), one above.
export const seconds = (value: number) => `${value.toFixed(value < 10 ? 2 : 1)}s`;
const percent = (value: number | null | undefined) => (value === null || value === undefined ? "—" : `${(value * 100).toFixed(2)}%`);

// The table, one row per run. Metric columns are those some run has; a long label moves the labels
// under the table, and the rows are numbered instead.
export function compareTable(results: readonly ComparedResult[]): string[] {
  const passes = [
    ["train", (r: RunSummary) => r.train],
    ["val", (r: RunSummary) => r.validation],
    ["test", (r: RunSummary) => r.test],
  ] as const;
  const metricColumns: { title: string; cell: (r: RunSummary) => string }[] = [];
  for (const [name, pass] of passes) {
    const some = (pick: (m: PassMetrics) => number | null) => results.some((r) => r.summary && pass(r.summary) && pick(pass(r.summary)!) !== null);
    if (!results.some((r) => r.summary && pass(r.summary))) continue;
    metricColumns.push({ title: `${name} loss`, cell: (r) => number(pass(r)?.loss) });
    if (some((m) => m.accuracy)) metricColumns.push({ title: `${name} acc`, cell: (r) => percent(pass(r)?.accuracy) });
    if (some((m) => m.mse)) metricColumns.push({ title: `${name} mse`, cell: (r) => number(pass(r)?.mse) });
  }
  const numbered = results.some((r) => r.label.length > 36);
  const header = ["run", "epochs", "steps", "time", "samples/s", "best epoch", ...metricColumns.map((c) => c.title)];
  const rows = results.map((result, i) => {
    const name = numbered ? `#${i + 1}` : result.label;
    const s = result.summary;
    const best = bestEpoch(result);
    if (!s) return [name, `diverged: ${result.diverged!.message}`];
    return [
      name,
      String(s.epochs),
      String(s.steps),
      seconds(s.seconds),
      String(Math.round(s.samplesPerSecond)),
      best === null ? "—" : `${best}${s.stoppedEarly ? " (stop)" : ""}`,
      ...metricColumns.map((c) => c.cell(s)),
    ];
  });
  const widths = header.map((title, k) => Math.max(title.length, ...rows.filter((row) => row.length === header.length).map((row) => row[k]!.length)));
  const line = (cells: string[]) =>
    cells.length < header.length
      ? `  ${cells[0]!.padEnd(widths[0]!)}  ${cells.slice(1).join("  ")}`
      : `  ${cells.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]!) : cell.padStart(widths[k]!))).join("  ")}`.trimEnd();
  const lines = [line(header), ...rows.map(line)];
  if (numbered) lines.push(...results.map((r, i) => `  #${i + 1}: ${r.label}`));
  return lines;
}

export function compareJson(results: readonly ComparedResult[]) {
  return results.map((result) => {
    const s = result.summary;
    return {
      label: result.label,
      block: result.train ?? null,
      varied: Object.fromEntries(result.varied.map(({ key, value }) => [key, value])),
      diverged: result.diverged ? result.diverged.message : null,
      epochs: s?.epochs ?? null,
      steps: s?.steps ?? null,
      seconds: s?.seconds ?? null,
      samples_per_second: s?.samplesPerSecond ?? null,
      best_epoch: bestEpoch(result),
      stopped_early: s?.stoppedEarly ?? false,
      train: passJson(s?.train ?? null),
      validation: passJson(s?.validation ?? null),
      test: passJson(s?.test ?? null),
      history: resultHistory(result),
    };
  });
}

export interface CompareReportInput {
  file: string;
  lines: string[]; // the backend, what was compared
  table: string[];
  results: readonly ComparedResult[];
  configuration: string; // the train blocks, the overrides and the command
}

export function compareReport(input: CompareReportInput): ReportPage {
  const runs = input.results.map((r) => `${r.label}${r.diverged ? `  (diverged: ${r.diverged.message})` : ""}`);
  return {
    title: `compare: ${input.file}`,
    lines: input.lines,
    results: input.table,
    plots: comparePlots(input.results.map((r) => ({ label: r.label, history: resultHistory(r) }))),
    texts: [
      { title: "Runs (labelled by what differs between them)", text: runs.join("\n") },
      { title: "Configuration", text: input.configuration },
    ],
  };
}
