// What `nnc run` writes besides checkpoints: the history streamed to `--log` while it trains
// (run-log.ts) and the report written at the end with `--report` (report/). Both paths are checked
// before the session opens, against the run's own files and each other, so that a wrong path stops
// the command before any training and loses nothing; the log is opened (emptied) only when training
// starts.

import { optimizerPath } from "../runtime/train/checkpoint.ts";
import type { Plot } from "./report/plot.ts";
import type { RunSummary } from "../runtime/train/loop.ts";
import type { Program } from "../grammar/ast.ts";
import type { OwnFile } from "./output-target.ts";
import { checkReportTargets, reportPaths, writeReport } from "./report/files.ts";
import { RUN_PLOT_IDS } from "./report/run-plots.ts";
import { runReport } from "./report/run-report.ts";
import { checkRunLog, type LogFormat, type LogRecord, openRunLog, type RunLog } from "./run-log.ts";

export interface RunOutputOptions {
  log: string | undefined;
  report: string | undefined;
  // The run's own files (the .nn source, its data), and its checkpoints.
  own: OwnFile[];
  savePath: string | null;
  resume: string | undefined;
  init: string | undefined;
  traced?: boolean; // --trace: the log's CSV gets the trajectory's columns
}

export interface ReportContext {
  model: string;
  file: string;
  source: string; // the .nn file's text
  program: Program;
  train: string | undefined; // --train
  backend: string; // the run's first line
  argv: string[];
  overrides: string[]; // "epochs 2"
  results: string[];
  plots?: Plot[]; // drawn by the command besides the history's (the trajectory's contour plot)
}

export class RunOutputs {
  private runLog: RunLog | null = null;

  private constructor(
    private readonly logPath: { path: string; format: LogFormat } | null,
    private readonly reportPath: string | null,
    private readonly traced: boolean,
  ) {}

  // Checks --log and --report; throws a UserError naming the file and the reason.
  static check(options: RunOutputOptions): RunOutputs {
    const own: OwnFile[] = [...options.own];
    const checkpoint = (path: string, what: string) => own.push({ path, what }, { path: optimizerPath(path), what: `${what}'s optimizer state` });
    if (options.savePath) checkpoint(options.savePath, "the run's checkpoint");
    if (options.resume) checkpoint(options.resume, "the checkpoint the run resumes from");
    if (options.init) own.push({ path: options.init, what: "the weights the run starts from" });
    const reportFiles = options.report ? reportPaths(options.report, RUN_PLOT_IDS) : [];
    let log: { path: string; format: LogFormat } | null = null;
    if (options.log !== undefined) {
      log = { path: options.log, format: checkRunLog(options.log, [...own, ...reportFiles.map(({ path }) => ({ path, what: "a file of the run's --report" }))]) };
    }
    if (options.report !== undefined) checkReportTargets("run", options.report, RUN_PLOT_IDS, [...own, ...(log ? [{ path: log.path, what: "the run's --log" }] : [])]);
    return new RunOutputs(log, options.report ?? null, options.traced ?? false);
  }

  // Opens the log as training starts.
  start(about: { model: string; file: string; backend: string }): void {
    if (this.logPath) this.runLog = openRunLog(this.logPath.path, this.logPath.format, about, this.traced);
  }

  // For the loop's `onRecord` hook, and the trajectory's records.
  readonly record = (record: LogRecord): void => {
    this.runLog?.record(record);
  };

  // The run stopped before its end (interrupted, or an error): the log keeps what it has.
  close(): void {
    this.runLog?.close();
  }

  // The run ended: the log's last line, then the report. Returns lines for the terminal.
  finish(summary: RunSummary, context: ReportContext): string[] {
    const lines: string[] = [];
    if (this.runLog) {
      this.runLog.finish(summary);
      lines.push(`log: ${this.runLog.path}`);
    }
    if (this.reportPath) {
      const page = runReport({
        model: context.model,
        file: context.file,
        backend: context.backend,
        argv: context.argv,
        trainBlock: trainBlockText(context.source, context.program, context.train, context.model),
        overrides: context.overrides,
        results: context.results,
        history: summary.history,
        plots: context.plots ?? [],
      });
      const written = writeReport("run", this.reportPath, page, RUN_PLOT_IDS);
      lines.push(`report: ${this.reportPath} (and ${written.length - 1} files beside it: each plot as .svg and .csv)`);
    }
    return lines;
  }
}

// The text of the train block the run used, as the file has it, with its first line's number: the
// block `--train N` numbers, or the first one for the model.
export function trainBlockText(source: string, program: Program, train: string | undefined, model: string): { text: string; line: number } | null {
  const blocks = program.body.filter((d) => d.type === "TrainDecl");
  const decl = train !== undefined && /^\d+$/.test(train) ? blocks[Number(train) - 1] : blocks.find((d) => d.model.name === model);
  if (!decl) return null;
  return { text: source.slice(decl.span.start, decl.span.end), line: source.slice(0, decl.span.start).split("\n").length };
}
