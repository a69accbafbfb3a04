// How a training run looks on the terminal: a progress bar (cli-progress, on stderr, only when it is
// a terminal) showing the epoch, loss, learning rate and speed; one table row per epoch on stdout,
// every epoch, whether stdout is a terminal or a pipe; and the final evaluation. The bar hides the
// cursor while it runs; finish() shows it again, and so does any exit of the process while a bar
// is on screen.

import cliProgress from "cli-progress";
import type { EpochReport, LoopHooks, RunSummary, StepProgress } from "../runtime/train/loop.ts";
import type { PassMetrics } from "../runtime/train/metrics.ts";

export interface Reporter extends LoopHooks {
  finish(): void;
}

const COLUMNS = ["epoch", "train loss", "train acc", "val loss", "val acc", "val mse", "lr", "time", "samples/s"] as const;

function fmt(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return "—";
  if (value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5)) return value.toExponential(2);
  return value.toFixed(digits);
}

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(2)}%`;
}

export function createReporter(options: { progress: boolean; log: (line: string) => void }): Reporter {
  const bar = options.progress
    ? new cliProgress.SingleBar(
        {
          format: "epoch {epoch} [{bar}] {value}/{total} | loss {loss}{accuracy} | lr {lr} | {speed} samples/s",
          hideCursor: true,
          clearOnComplete: true,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let barEpoch = 0;
  let headerPrinted = false;
  const stopBar = () => {
    if (bar && barEpoch !== 0) bar.stop();
    barEpoch = 0;
  };
  if (bar) process.once("exit", stopBar);
  const widths = COLUMNS.map((c) => Math.max(c.length, 10));

  const row = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i]!)).join("  ");

  return {
    onStep(progress: StepProgress) {
      if (!bar) return;
      const payload = {
        epoch: progress.epoch,
        loss: fmt(progress.loss),
        accuracy: progress.accuracy === null ? "" : ` | acc ${percent(progress.accuracy)}`,
        lr: fmt(progress.lr, 5),
        speed: Math.round(progress.samplesPerSecond),
      };
      if (barEpoch !== progress.epoch) {
        if (barEpoch !== 0) bar.stop();
        bar.start(progress.batches, progress.batch, payload);
        barEpoch = progress.epoch;
      } else {
        bar.update(progress.batch, payload);
      }
    },
    onEpoch(report: EpochReport) {
      if (bar && barEpoch !== 0) {
        bar.stop();
        barEpoch = 0;
      }
      if (!headerPrinted) {
        options.log(row([...COLUMNS]));
        headerPrinted = true;
      }
      const v = report.validation;
      const mark = report.improved ? " *" : "";
      options.log(
        row([
          `${report.epoch}/${report.epochs}`,
          fmt(report.train.loss),
          percent(report.train.accuracy),
          fmt(v?.loss),
          percent(v?.accuracy),
          fmt(v?.mse),
          fmt(report.lr, 5),
          `${report.seconds.toFixed(1)}s`,
          String(Math.round(report.samplesPerSecond)),
        ]) + mark,
      );
      if (report.lbfgs) options.log(`    L-BFGS: ${report.lbfgs.iterations} iterations, ${report.lbfgs.evaluations} loss evaluations`);
      if (report.gradNorms) {
        for (const { layer, norm } of report.gradNorms) options.log(`    ‖∇ ${layer}.weight‖ = ${norm.toExponential(3)}`);
      }
    },
    finish() {
      stopBar();
      if (bar) process.removeListener("exit", stopBar);
    },
  };
}

export function describePass(name: string, metrics: PassMetrics | null): string | null {
  if (!metrics) return null;
  const parts = [`loss ${fmt(metrics.loss)}`];
  if (metrics.reg_loss !== 0) parts.push(`(data ${fmt(metrics.data_loss)} + reg ${fmt(metrics.reg_loss)})`);
  if (metrics.accuracy !== null) parts.push(`accuracy ${percent(metrics.accuracy)}`);
  if (metrics.mse !== null) parts.push(`mse ${fmt(metrics.mse, 6)}`);
  return `${name.padEnd(10)} ${parts.join("  ")}  (${metrics.n} examples)`;
}

// The JSON form of a pass's metrics: loss with and without the regularization term, and accuracy
// or mse.
export function passJson(metrics: PassMetrics | null): Record<string, number> | null {
  if (!metrics) return null;
  const json: Record<string, number> = { loss: metrics.loss, data_loss: metrics.data_loss, reg_loss: metrics.reg_loss, examples: metrics.n };
  if (metrics.accuracy !== null) json.accuracy = metrics.accuracy;
  if (metrics.mse !== null) json.mse = metrics.mse;
  return json;
}

// `resumedAfter`: the epoch a resumed run started after (0 for a new run); a resumed run that had
// nothing left to train gets no "trained" line.
export function summaryLines(summary: RunSummary, resumedAfter = 0): string[] {
  const lines: string[] = [];
  const speed = `in ${summary.seconds.toFixed(1)}s, ${Math.round(summary.samplesPerSecond)} samples/s`;
  if (resumedAfter === 0) {
    lines.push(`trained ${summary.epochs} epoch${summary.epochs === 1 ? "" : "s"} (${summary.steps} steps) ${speed}`);
  } else if (summary.epochs > resumedAfter) {
    lines.push(`trained epochs ${resumedAfter + 1} to ${summary.epochs} (${summary.steps} steps in all) ${speed}`);
  }
  if (summary.stoppedEarly) lines.push(`stopped early; best epoch ${summary.bestEpoch}`);
  for (const [name, metrics] of [
    ["train", summary.train],
    ["validation", summary.validation],
    ["test", summary.test],
  ] as const) {
    const line = describePass(name, metrics);
    if (line) lines.push(line);
  }
  return lines;
}
