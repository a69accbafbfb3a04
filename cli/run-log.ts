// `nnc run --log FILE`: the run's history streamed to a file while it trains, one record at a time,
// each written to the file as soon as it is made (a write per record, no buffering in the
// process), so a run that is interrupted or crashes leaves every record made until then.
//
//   FILE.jsonl or FILE.json: JSON lines. The first line is the `run` record (the format, the
//     model, the file, the backend, the steps per epoch, the step stride, the metric columns),
//     then `step`, `epoch` and `event` records as runtime/train/history.ts makes them, and, when
//     the run ends normally, a `final` line with the final evaluation.
//   FILE.csv: a header row, then one row per record with a `kind` column (step, epoch, event);
//     the columns are fixed when the run starts (every metric of the epoch records, then the
//     event's `event`, `name` and `best_epoch`, and with --trace `trace_x` and `trace_y`), and a
//     cell a record has no value for is empty.
//
// With --trace the trajectory's records (runtime/train/trace.ts) go to the same stream: one
// `trace_plane` record saying what the coordinates are, then a `trace` record per point (in CSV a
// `trace_plane` row names the coordinates in its `name` cell, and a `trace` row has only its step,
// epoch and two coordinates: the whole parameter vectors of small models are in JSON lines only).

import { closeSync, openSync, writeSync } from "node:fs";
import { extname } from "node:path";
import type { HistoryRecord, RunRecord } from "../runtime/train/history.ts";
import type { TracePlaneRecord, TraceRecord } from "../runtime/train/trace.ts";
import type { RunSummary } from "../runtime/train/loop.ts";
import { checkOutputTarget, describeWriteError, type OwnFile } from "./output-target.ts";
import { passJson } from "./report.ts";
import { csvCell } from "./report/plot-csv.ts";
import { UserError } from "./user-error.ts";

export type LogFormat = "jsonl" | "csv";

const CSV_LEAD = ["kind", "epoch", "step", "lr", "loss", "seconds"];
const CSV_EVENT = ["event", "name", "best_epoch"];
const CSV_TRACE = ["trace_x", "trace_y"];

export type LogRecord = HistoryRecord | TracePlaneRecord | TraceRecord;

export function logFormat(path: string): LogFormat | null {
  const extension = extname(path).toLowerCase();
  return extension === ".jsonl" || extension === ".json" ? "jsonl" : extension === ".csv" ? "csv" : null;
}

// Checks the path before anything runs (output-target.ts): its extension, and that writing it
// loses nothing.
export function checkRunLog(path: string, own: readonly OwnFile[]): LogFormat {
  if (path === "") throw new UserError("nnc run: --log needs a file name, but got an empty one");
  const format = logFormat(path);
  if (format === null) throw new UserError(`nnc run: --log ${path}: the name must end in .jsonl or .json (JSON lines) or .csv`);
  const recognize = format === "csv" ? (head: string) => head.startsWith(`${CSV_LEAD.join(",")},`) : (head: string) => head.startsWith('{"kind":"run","format":"nnc-history-');
  checkOutputTarget("run", path, { what: "the log", option: "--log", recognize }, own);
  return format;
}

// Opens (and empties) the checked path when training starts. `about` goes into the `run` line.
export function openRunLog(path: string, format: LogFormat, about: { model: string; file: string; backend: string }, traced = false): RunLog {
  let fd: number;
  try {
    fd = openSync(path, "w");
  } catch (error) {
    throw new UserError(`nnc run: cannot write the log to ${path} (--log): ${describeWriteError(error, path)}`);
  }
  return new RunLog(path, fd, format, about, traced);
}

export class RunLog {
  private columns: string[] = [];

  constructor(
    readonly path: string,
    private fd: number | null,
    readonly format: LogFormat,
    private readonly about: { model: string; file: string; backend: string },
    private readonly traced = false,
  ) {}

  record(record: LogRecord): void {
    if (this.format === "jsonl") {
      this.write(JSON.stringify(record.kind === "run" ? { ...record, ...this.about } : record));
      return;
    }
    if (record.kind === "run") {
      this.columns = [...CSV_LEAD, ...(record as RunRecord).columns, ...CSV_EVENT, ...(this.traced ? CSV_TRACE : [])];
      this.write(this.columns.join(","));
      return;
    }
    const values: Record<string, string | number | undefined> =
      record.kind === "trace"
        ? { kind: "trace", epoch: record.epoch, step: record.step, trace_x: record.x, trace_y: record.y }
        : record.kind === "trace_plane"
          ? { kind: "trace_plane", name: `${record.directions}: ${record.axes.join(", ")}` }
          : (record as unknown as Record<string, string | number | undefined>);
    this.write(this.columns.map((column) => (values[column] === undefined ? "" : csvCell(values[column]))).join(","));
  }

  // The end of a run that finished: JSON lines get a `final` line; the file is closed.
  finish(summary: RunSummary): void {
    if (this.format === "jsonl") {
      this.write(
        JSON.stringify({
          kind: "final",
          epochs: summary.epochs,
          steps: summary.steps,
          seconds: summary.seconds,
          stopped_early: summary.stoppedEarly,
          best_epoch: summary.bestEpoch,
          train: passJson(summary.train),
          train_running: passJson(summary.trainRunning),
          validation: passJson(summary.validation),
          test: passJson(summary.test),
        }),
      );
    }
    this.close();
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  private write(line: string): void {
    if (this.fd === null) return;
    try {
      writeSync(this.fd, `${line}\n`);
    } catch (error) {
      this.close();
      throw new UserError(`nnc run: cannot write the log to ${this.path} (--log): ${describeWriteError(error, this.path)}`);
    }
  }
}
