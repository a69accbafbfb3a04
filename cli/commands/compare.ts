// `nnc compare FILE`: trains several runs of FILE one after another through the session API (so on
// either backend) and shows them side by side: one table and one report whose plots overlay their
// curves. The runs are the file's train blocks (or those chosen with --train), or one block under
// variations (--vary, their cross product). Every run trains on one split of the data, prepared
// once from the first run's block, so their figures are measured on the same examples. Each run is
// labelled by what differs between the runs (compare-plan.ts). With --trace, each run's parameter
// trajectory is recorded and all of them are drawn on one contour plot (compare-trace.ts).

import { basename, dirname, extname, join, resolve } from "node:path";
import type { TrainConfig } from "../../compiler/ir/config.ts";
import { parse } from "../../grammar/index.ts";
import { HistoryRecorder, type History, type HistoryRecord } from "../../runtime/train/history.ts";
import { NonFiniteLossError, trainingSteps, type RunSummary } from "../../runtime/train/loop.ts";
import type { PreparedData } from "../../runtime/train/prepare.ts";
import { saveCheckpoint } from "../../runtime/train/checkpoint.ts";
import type { BackendRequest } from "../../runtime/session.ts";
import { GpuLimitError, GpuLostError } from "../../runtime/webgpu/device.ts";
import { blockRuns, checkDistinctBlocks, checkOneSplit, chosenTrainDecl, parseVary, runLabels, variationRuns, type ComparePlanRun } from "../compare-plan.ts";
import { compareJson, compareReport, compareTable, seconds, type ComparedResult } from "../compare-results.ts";
import { CompareTraces, TRAJECTORY_PLOT_ID } from "../compare-trace.ts";
import { describeTrace, examplesPhrase, TRACE_OPTIONS, traceSetup } from "../run-trace.ts";
import type { TraceRecorder } from "../../runtime/train/trace.ts";
import { driveUntilSignal } from "../interrupt.ts";
import { loadModels, readSource, type LoadedModel } from "../load.ts";
import { oneFile, parseOptions, BUDGET_HELP, BUDGET_OPTIONS, budgetOption } from "../options.ts";
import { commandLineOverrides, SET_HELP, SET_OPTION, shorthandOverrides } from "../overrides.ts";
import { createReporter } from "../report.ts";
import { COMPARE_PLOT_IDS } from "../report/compare-plots.ts";
import { checkReportTargets, writeReport } from "../report/files.ts";
import { BACKEND_HELP, backendLine, backendRequest, openSession, startingPoint } from "../session.ts";
import { UserError } from "../user-error.ts";
import { prepare } from "./run.ts";

export const summary = "train several runs (train blocks or --vary variations) and compare them";

export const help = `Usage: nnc compare FILE [--train A --train B ...] [options]
       nnc compare FILE --vary KEY=V1,V2,... [--vary ...] [--train A] [options]

Trains several runs of FILE, one after another, and compares them: one table (epochs, steps, time,
samples/s, the best epoch, the final metrics) and one report whose plots overlay their curves,
each run labelled by the settings in which it differs from the others.

The runs:
  (nothing)            every train block of FILE
  --train MODEL|N      the train blocks chosen, given once per block (at least two); with --vary,
                       one --train chooses the block to vary
  --vary KEY=V1,V2,... one run per value of the train block's setting KEY, each value written as
                       in the block (as with --set): --vary "optimizer=sgd(lr: 0.1), adam(lr: 1e-3)",
                       --vary batch=1,32,full; values are separated by commas outside parentheses.
                       Several --vary train every combination (their cross product).

Every run trains on one split of the data, made once by the first run's train block, so the
runs must share its data, split and normalization.

Options:
  --report FILE.html   where the report goes (default runs/NAME-compare.html, NAME being FILE's
                       name), with each plot beside it as FILE.ID.svg and its data as FILE.ID.csv
  --epochs N           number of epochs of every run (the same as --set epochs=N)
  --batch N|full       batch size of every run
  --seed S             seed of every run
${SET_HELP}
${BACKEND_HELP}
  --trace              record each run's parameter trajectory and draw them all on one contour plot
                       of the loss (the SGD zig-zag beside momentum, Adam, …); in --json as each
                       run's \`trace\`
  --trace-dirs DIRS    the plane: two parameter elements (w[0],w[1]; a two-number model's
                       default) or pca, the principal directions of all the runs' weights together
  --trace-grid N       the contour plot's grid: N × N loss evaluations of the first run's loss
                       (default 41 for a formula, 21 for a model with data)
  --json               print one JSON object with the results (and each run's history) last
${BUDGET_HELP}
  -h, --help           show this help

A run whose loss becomes NaN or infinite is shown as diverged; the others still train.`;

// More runs than anyone reads in one table or one plot.
const MAX_RUNS = 64;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions("compare", help, argv, {
    ...BUDGET_OPTIONS,
    train: { type: "string", multiple: true },
    vary: { type: "string", multiple: true },
    epochs: { type: "string" },
    batch: { type: "string" },
    seed: { type: "string" },
    backend: { type: "string" },
    report: { type: "string" },
    json: { type: "boolean" },
    ...TRACE_OPTIONS,
    ...SET_OPTION,
  });
  const file = oneFile("compare", help, positionals);
  const request = backendRequest("compare", values.backend);
  const overrides = commandLineOverrides("compare", values.set, shorthandOverrides("compare", values));
  const varies = parseVary("compare", values.vary ?? []);
  const trains = values.train ?? [];
  if (varies.length && trains.length > 1) {
    throw new UserError(`nnc compare: --vary varies one train block, but got ${trains.length} --train; give one --train (or none, for the first block) with --vary`);
  }
  const log = values.json ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => console.log(line);

  const source = readSource("compare", file);
  const plan = varies.length ? variationRuns(trains[0], overrides, varies) : blockRuns("compare", parse(source, file).program, file, trains, overrides);
  if (plan.length > MAX_RUNS) throw new UserError(`nnc compare: the --vary lists make ${plan.length} runs, more than ${MAX_RUNS}; vary fewer settings at once`);
  const loadeds = loadModels("compare", file, plan, budgetOption("compare", values));
  const names = plan.map((run, i) => (varies.length ? `run ${i + 1} (${run.varied.map((v) => `${v.key}=${v.value}`).join(", ")})` : `--train ${run.train}`));
  if (!varies.length) checkDistinctBlocks("compare", names, loadeds);
  // Models without data (their loss a formula of the weights) have no split to share; each run
  // takes its own steps per epoch.
  const dataless = loadeds.every((l) => l.config.data.kind === "none");
  if (!dataless) checkOneSplit("compare", names, loadeds);
  const labels = runLabels(source, plan, loadeds);
  const first = loadeds[0]!;
  const traced = traceSetup("compare", values, first.trainGraph.params, Boolean(first.model.objective));
  CompareTraces.check("compare", traced, loadeds);
  const parameters = first.trainGraph.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  const traces = traced ? new CompareTraces(traced, parameters) : null;
  // Named after the file: a comparison is of a file's blocks (or of one block's variations).
  const reportPath = values.report ?? join("runs", `${basename(file, extname(file))}-compare.html`);
  const plotIds = [...COMPARE_PLOT_IDS, TRAJECTORY_PLOT_ID];
  checkReportTargets("compare", reportPath, plotIds, ownFiles(file, first.config));

  const data = prepare(first.config, first, file);
  const dataOf = (loaded: LoadedModel) => (dataless ? prepare(loaded.config, loaded, file) : data);
  const split = [`${data.train.n} training`, ...(data.validation ? [`${data.validation.n} validation`] : []), ...(data.test ? [`${data.test.n} test`] : [])].join(", ");
  const models = [...new Set(loadeds.map((l) => l.model.name))];
  const what = `${plan.length} runs of ${models.map((m) => `\`${m}\``).join(", ")} ${dataless ? "(no data: the loss is a formula of the weights)" : `on one split (${split} examples)`}`;
  let backend = "";
  let backendKind = "";
  const results: ComparedResult[] = [];
  const runTraces: RunTrace[] = [];
  for (const [i, planned] of plan.entries()) {
    const trace = traces && { recorder: traces.recorder() };
    if (trace) runTraces.push(trace);
    const trained = await trainRun(loadeds[i]!, dataOf(loadeds[i]!), request, values.json ?? false, trace, (session) => {
      if (i === 0) {
        backend = backendLine(session);
        backendKind = session.backend.kind;
        log(backend);
        log(`compare: ${what}`);
        if (traced) log(describeTrace(traced, true, examplesPhrase(first, dataOf(first))));
      }
      log(`run ${i + 1} of ${plan.length}: ${labels[i]}`);
    });
    if (typeof trained === "number") {
      process.stderr.write(`nnc compare: interrupted during run ${i + 1} of ${plan.length}; no report written\n`);
      return trained;
    }
    const result: ComparedResult = { label: labels[i]!, train: planned.train, varied: planned.varied, ...trained };
    results.push(result);
    const s = result.summary;
    log(s ? `  trained ${s.epochs} epochs (${s.steps} steps) in ${seconds(s.seconds)}` : `  diverged: ${result.diverged!.message}`);
  }

  const table = compareTable(results);
  log("");
  for (const line of table) log(line);
  const configuration = configurationText(file, source, plan, loadeds, varies.length > 0, ["compare", ...argv]);
  const page = compareReport({ file, lines: [backend, `${what}`], table, results, configuration });
  if (traces) {
    traces.setDiverged(results.map((r) => r.diverged !== null));
    // The loss under the trajectories is the first run's, with its final batch-norm statistics.
    const plot = await traces.plot({ loaded: first, data: dataOf(first), state: runTraces[0]?.state ?? {}, request: backendKind === "webgpu" ? "webgpu" : "cpu", labels, log });
    if (plot) page.plots.push(plot);
  }
  const written = writeReport("compare", reportPath, page, plotIds);
  log(`report: ${reportPath} (and ${written.length - 1} files beside it: each plot as .svg and .csv)`);
  if (values.json) {
    console.log(
      JSON.stringify({
        backend: backendKind,
        file,
        models,
        report: reportPath,
        split: { train: data.train.n, validation: data.validation?.n ?? 0, test: data.test?.n ?? 0 },
        runs: traces ? compareJson(results).map((r, i) => ({ ...r, trace: traces.traces()[i] ?? null })) : compareJson(results),
      }),
    );
  }
  return 0;
}

// A run's trajectory: its recorder, and the batch-norm statistics at its end (filled by trainRun).
interface RunTrace {
  recorder: TraceRecorder;
  state?: Record<string, Float32Array>;
}

// Trains one run on the shared data, without checkpoints; returns its summary, or how it diverged
// (with the history recorded until then), or the exit code when a signal stopped it.
async function trainRun(
  loaded: LoadedModel,
  data: PreparedData,
  request: BackendRequest,
  json: boolean,
  trace: RunTrace | null,
  opened: (session: Parameters<typeof backendLine>[0]) => void,
): Promise<Pick<ComparedResult, "summary" | "diverged"> | number> {
  const config: TrainConfig = { ...loaded.config, checkpoint: null };
  const start = startingPoint("compare", loaded.trainGraph, config, { resume: null, init: null });
  const batchSize = typeof config.batch === "number" ? Math.min(config.batch, data.train.n) : data.train.n;
  const session = await openSession("compare", loaded, config, start, request, { warmBatch: batchSize });
  const records: HistoryRecord[] = [];
  try {
    opened(session);
    const reporter = createReporter({ progress: Boolean(process.stderr.isTTY) && !json, log: () => {} });
    try {
      const driven = await driveUntilSignal(
        trainingSteps(
          { config, programs: session.programs, backend: session.backend, data },
          { savePath: null, writeCheckpoint: saveCheckpoint, gradNorms: false, resume: null },
          {
            ...reporter,
            onRecord: (record) => {
              records.push(record);
              if (record.kind === "run") trace?.recorder.start(record.step_stride);
            },
            onParams: trace?.recorder.record,
          },
        ),
      );
      reporter.finish();
      if (!driven.done) return driven.exitCode;
      if (trace) trace.state = (await session.backend.readState()).state;
      return { summary: driven.value as RunSummary, diverged: null };
    } catch (error) {
      reporter.finish();
      if (error instanceof NonFiniteLossError) {
        const message = error.value === null ? `the weights became NaN or infinite in epoch ${error.epoch}` : `the loss became ${Number.isNaN(error.value) ? "NaN" : "infinite"} at epoch ${error.epoch}, step ${error.step}`;
        return { summary: null, diverged: { message, history: historyOf(records) } };
      }
      if (error instanceof GpuLostError || error instanceof GpuLimitError) throw new UserError(`nnc compare: ${error.message}; training stopped`);
      throw error;
    }
  } finally {
    session.dispose();
  }
}

// The history of a run that stopped with an error, from the records it streamed.
function historyOf(records: readonly HistoryRecord[]): History {
  const run = records.find((r) => r.kind === "run");
  const recorder = new HistoryRecorder(run && run.kind === "run" ? run : { epochs: 0, first_epoch: 1, steps_per_epoch: 1, step_stride: 1, columns: [] });
  for (const record of records) {
    if (record.kind === "step") recorder.history.steps.push(record);
    else if (record.kind === "epoch") recorder.history.epochs.push(record);
    else if (record.kind === "event") recorder.history.events.push(record);
  }
  return recorder.history;
}

// The report's configuration: each train block as the file has it (the one block, with --vary),
// the command line's overrides, the variations, and the command.
function configurationText(file: string, source: string, plan: readonly ComparePlanRun[], loadeds: readonly LoadedModel[], varied: boolean, argv: string[]): string {
  const lines: string[] = [];
  const blocks = varied ? [0] : plan.map((_, i) => i);
  for (const i of blocks) {
    const decl = chosenTrainDecl(loadeds[i]!.compiled.program, plan[i]!.train, loadeds[i]!.model.name);
    if (!decl) continue;
    lines.push(`# ${file}, line ${source.slice(0, decl.span.start).split("\n").length}`, source.slice(decl.span.start, decl.span.end), "");
  }
  const shared = plan[0]!.overrides.filter((o) => !o.name.startsWith("--vary"));
  if (shared.length) lines.push("# overridden on the command line, for every run", ...shared.map((o) => o.text.trim()), "");
  lines.push("# the command", ["nnc", ...argv].map(shellWord).join(" "));
  return lines.join("\n");
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

// The files a report must never replace: the .nn file and its data.
function ownFiles(file: string, config: TrainConfig): { path: string; what: string }[] {
  const own = [{ path: file, what: "the comparison's own .nn file" }];
  if (config.data.kind === "csv") own.push({ path: resolve(dirname(file), config.data.path), what: "the training data" });
  return own;
}
