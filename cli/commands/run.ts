// `nnc run FILE`: trains the file's model as its train block says (command-line options override
// the block), with a progress bar and a table row per epoch, then evaluates it on the test split.

import { dirname, join, resolve } from "node:path";
import type { CheckedModel } from "../../compiler/analyze/model-types.ts";
import type { TrainConfig } from "../../compiler/ir/config.ts";
import type { Standardizer } from "../../runtime/data/standardize.ts";
import { DataError } from "../../runtime/data/errors.ts";
import { NonFiniteLossError, type RunSummary, trainingSteps } from "../../runtime/train/loop.ts";
import { OptimizerStateError } from "../../runtime/train/optimizers/index.ts";
import { prepareData } from "../../runtime/train/prepare.ts";
import { CheckpointError } from "../../runtime/train/safetensors.ts";
import { optimizerPath, saveCheckpoint } from "../../runtime/train/checkpoint.ts";
import { removeStaleTemps } from "../../runtime/train/safetensors-files.ts";
import { checkSaveTarget, chooseSavePath } from "../checkpoint-target.ts";
import { driveUntilSignal } from "../interrupt.ts";
import { loadModel, readSource } from "../load.ts";
import { oneFile, parseOptions, BUDGET_HELP, BUDGET_OPTIONS, budgetOption } from "../options.ts";
import { commandLineOverrides, SET_HELP, SET_OPTION, shorthandOverrides } from "../overrides.ts";
import { createReporter, passJson, summaryLines } from "../report.ts";
import { RunOutputs } from "../run-outputs.ts";
import { analysisJson, analysisSettings, formatAnalysis, runAnalysis, type AnalysisRun } from "../analysis.ts";
import { spectralDensityPlot } from "../report/analysis-report.ts";
import { contourPlot } from "../report/landscape-plots.ts";
import type { Plot } from "../report/plot.ts";
import { describeTrace, examplesPhrase, TRACE_HELP, TRACE_OPTIONS, traceAxes, traceSetup, traceSurface } from "../run-trace.ts";
import { TraceRecorder } from "../../runtime/train/trace.ts";
import { UserError } from "../user-error.ts";
import type { Session } from "../../runtime/session.ts";
import { GpuLimitError, GpuLostError } from "../../runtime/webgpu/device.ts";
import { BACKEND_HELP, backendLine, backendRequest, openSession, startingPoint, targetInfo } from "../session.ts";

export const summary = "train a model, then evaluate it";

export const help = `Usage: nnc run FILE [options]

Trains the model of FILE as its \`train\` block says, printing a progress bar and one row per
epoch, then evaluates it on the test split. Options override the train block.

Options:
${BACKEND_HELP}
  --train MODEL|N      which train block to run, by model name or number (1 = the first)
  --epochs N           number of epochs (the same as --set epochs=N)
  --batch N|full       batch size (1: per-sample SGD, full: full-batch gradient descent)
  --seed S             seed for initial weights, shuffling and dropout (0 to 4294967295)
${SET_HELP}
  --save PATH          write a checkpoint (safetensors) after each epoch, atomically; PATH may be
                       a new file or an earlier nnc checkpoint, never another file
  --resume PATH        continue the run saved in PATH (weights, optimizer and schedule state);
                       PATH is left as it is: checkpoints go to --save, by default to a new file
                       beside it, NAME.from-epoch-E.safetensors (E: the epoch it resumes after);
                       --save PATH continues in PATH itself
  --init PATH          start from the weights in PATH (e.g. exported from PyTorch), fresh optimizer
  --grad-norms         print each layer's weight-gradient norm after every epoch
  --analyze            after training, analyze the final weights as \`nnc analyze\` does: gradient,
                       Hessian spectrum, the kind of critical point (its defaults; see its --help)
${TRACE_HELP}
  --log FILE           stream the run's history to FILE while it trains: JSON lines (.jsonl or
                       .json) or CSV (.csv), one record per epoch, per recorded step and per event
  --report FILE.html   write a report: one self-contained HTML page with the loss, accuracy,
                       learning-rate (and --grad-norms) curves and the configuration, and each
                       plot beside it as FILE.ID.svg with its data as FILE.ID.csv
  --json               print one JSON object with the results as the last line
${BUDGET_HELP}
  -h, --help           show this help

Checkpoints: the train block's \`checkpoint "runs/NAME.safetensors"\` is relative to the current
working directory. The optimizer state goes beside it, to NAME.optimizer.safetensors, which
--resume needs too (--init does not). A checkpoint is written only while every weight is finite,
so after a NaN the last checkpoint is still the last good one. Ctrl-C stops the run between two
steps (exit code 130) and says where the last checkpoint is.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions("run", help, argv, {
    ...BUDGET_OPTIONS,
    backend: { type: "string" },
    train: { type: "string" },
    epochs: { type: "string" },
    batch: { type: "string" },
    seed: { type: "string" },
    save: { type: "string" },
    resume: { type: "string" },
    init: { type: "string" },
    "grad-norms": { type: "boolean" },
    analyze: { type: "boolean" },
    json: { type: "boolean" },
    log: { type: "string" },
    report: { type: "string" },
    ...TRACE_OPTIONS,
    ...SET_OPTION,
  });
  const file = oneFile("run", help, positionals);
  for (const option of ["save", "resume", "init"] as const) {
    if (values[option] === "") throw new UserError(`nnc run: --${option} needs a file name, but got an empty one`);
  }
  if (values.resume && values.init) throw new UserError("nnc run: use --resume or --init, not both");
  const request = backendRequest("run", values.backend);
  const overrides = commandLineOverrides("run", values.set, shorthandOverrides("run", values));
  const loaded = loadModel("run", file, values.train, budgetOption("run", values), overrides);
  const config = loaded.config;
  const traced = traceSetup("run", values, loaded.trainGraph.params, Boolean(loaded.model.objective));
  const log = values.json ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => console.log(line);

  const data = prepare(config, loaded, file);
  const start = startingPoint("run", loaded.trainGraph, config, { resume: values.resume ?? null, init: values.init ?? null });
  const resumedEpoch = start.resumed ? start.resumed.progress.epoch : null;
  const nothingToTrain = resumedEpoch !== null && resumedEpoch >= config.epochs;
  const savePath = nothingToTrain
    ? null
    : chooseSavePath({ save: values.save, resume: values.resume, resumedEpoch, configPath: config.checkpoint?.path ?? null });
  if (savePath !== null) {
    checkSaveTarget(savePath, ownFiles(file, config), join("runs", `${loaded.model.name}.safetensors`));
    removeStaleTemps(savePath);
    removeStaleTemps(optimizerPath(savePath));
  }
  const outputs = RunOutputs.check({ log: values.log, report: values.report, own: ownFiles(file, config), savePath, resume: values.resume, init: values.init, traced: traced !== null });
  const batchSize = typeof config.batch === "number" ? Math.min(config.batch, data.train.n) : data.train.n;
  const session = await openSession("run", loaded, config, start, request, { gradNorms: Boolean(values["grad-norms"]), warmBatch: batchSize });
  try {
    return await train(session);
  } finally {
    session.dispose();
  }

  async function train(session: Session): Promise<number> {
    const parameterCount = start.params.reduce((n, p) => n + p.length, 0);
    log(backendLine(session));
    if (session.backend.kind === "webgpu") {
      // What the GPU was given: the fused step, and how long choosing its matmul kernels took.
      const stats = session.backend.stats(batchSize);
      log(`webgpu: ${stats.dispatches} dispatches and ${stats.submits} submit per step; ${stats.kernels} kernels compiled and warmed in ${Number(stats.warmSeconds).toFixed(1)} s; ${stats.tuning}`);
    }
    log(
      `training ${loaded.model.name}: ${parameterCount.toLocaleString("en-US")} parameters, ` +
        (config.data.kind === "none" ? `no data (the loss is a formula), ${config.data.steps} step${config.data.steps === 1 ? "" : "s"} per epoch` : `${data.train.n} training examples`) +
        (data.validation ? `, ${data.validation.n} validation` : "") +
        (data.test ? `, ${data.test.n} test` : "") +
        (start.resumed ? `, resuming after epoch ${start.resumed.progress.epoch}` : ""),
    );
    if (traced) log(describeTrace(traced, values.report !== undefined, examplesPhrase(loaded, data)));
    if (nothingToTrain) {
      log(`nothing to train: ${values.resume} already holds epoch ${resumedEpoch} of ${config.epochs}; raise --epochs to train further (no checkpoint written)`);
    } else if (start.resumed && savePath) {
      log(`checkpoints go to ${savePath}; ${values.resume} is left as it is`);
    }
    const reporter = createReporter({ progress: Boolean(process.stderr.isTTY) && !values.json, log });
    // The last checkpoint on disk with finite weights: the resumed one until this run writes its own.
    let lastCheckpoint: { path: string; epoch: number } | null = start.resumed ? { path: values.resume!, epoch: resumedEpoch! } : null;
    let written = false;
    let result: RunSummary;
    const recorder = traced ? new TraceRecorder(traced.directions, parameterCount, outputs.record) : null;
    outputs.start({ model: loaded.model.name, file, backend: session.backend.kind });
    try {
      const driven = await driveUntilSignal(
        trainingSteps(
          { config, programs: session.programs, backend: session.backend, data },
          { savePath, writeCheckpoint: saveCheckpoint, gradNorms: Boolean(values["grad-norms"]), resume: start.resumed, resumedFrom: values.resume ?? null },
          {
            ...reporter,
            onRecord: (record) => {
              outputs.record(record);
              if (record.kind === "run") recorder?.start(record.step_stride);
            },
            onParams: recorder?.record,
            onCheckpoint: (path, epoch) => {
              lastCheckpoint = { path, epoch };
              written = true;
            },
          },
        ),
      );
      if (!driven.done) {
        reporter.finish();
        recorder?.finish(config.seed);
        outputs.close();
        const where = lastCheckpoint ? `the last checkpoint is ${lastCheckpoint.path} (epoch ${lastCheckpoint.epoch})` : "no checkpoint was written";
        process.stderr.write(`nnc run: interrupted (${driven.signal}); ${where}\n`);
        return driven.exitCode;
      }
      result = driven.value;
    } catch (error) {
      reporter.finish();
      outputs.close();
      if (error instanceof NonFiniteLossError) throw new UserError(`nnc run: ${file}: ${error.message}`);
      if (error instanceof CheckpointError) throw new UserError(`nnc run: cannot save the checkpoint: ${error.message}`);
      if (error instanceof OptimizerStateError) throw new UserError(`nnc run: cannot resume from ${values.resume}: ${error.message}`);
      if (error instanceof GpuLostError || error instanceof GpuLimitError) {
        const where = lastCheckpoint ? `The last good checkpoint is ${lastCheckpoint.path} (epoch ${lastCheckpoint.epoch}).` : "No checkpoint was written.";
        throw new UserError(`nnc run: ${error.message}; training stopped. ${where}`);
      }
      throw error;
    }
    reporter.finish();
    const results = summaryLines(result, resumedEpoch ?? 0);
    for (const line of results) log(line);
    if (written) log(`checkpoint: ${savePath}`);
    const trace = recorder?.finish(config.seed) ?? null;
    // The analysis comes before the report, which shows its lines and the spectral density.
    const analysis = values.analyze ? await analyzeFinalWeights(session) : null;
    const plots = values.report === undefined ? [] : [...(trace ? [await trajectoryPlot(session, trace)] : []), ...(analysis ? [spectralDensityPlot(analysis.run.report)] : [])];
    const source = values.report ? readSource("run", file) : "";
    const context = { model: loaded.model.name, file, source, program: loaded.compiled.program, train: values.train, backend: backendLine(session), argv: ["run", ...argv] };
    const reported = [...results, ...(analysis?.lines ?? [])];
    for (const line of outputs.finish(result, { ...context, overrides: overrides.map((o) => o.text.trim()), results: reported, plots })) log(line);
    if (session.backend.tunePending) {
      // Kernel variants never timed on this adapter ran in their default; time them now, for the
      // next run, in at most a quarter of this run's time (at least 5 s, at most a minute).
      const line = await session.backend.tunePending(Math.min(60, Math.max(5, result.seconds / 4)));
      if (line) log(`webgpu: ${line}`);
    }
    if (values.json) {
      console.log(
        JSON.stringify({
          backend: session.backend.kind,
          model: loaded.model.name,
          parameters: parameterCount,
          epochs: result.epochs,
          steps: result.steps,
          train: passJson(result.train),
          train_running: passJson(result.trainRunning),
          validation: passJson(result.validation),
          test: passJson(result.test),
          seconds: result.seconds,
          samples_per_second: result.samplesPerSecond,
          stopped_early: result.stoppedEarly,
          best_epoch: result.bestEpoch,
          lbfgs: result.lbfgs,
          checkpoint: written ? savePath : null,
          history: result.history,
          ...(trace ? { trace: trace.trace } : {}),
          ...(analysis ? { analysis: analysisJson(analysis.run) } : {}),
        }),
      );
    }
    return 0;
  }

  // `--trace --report`: the trajectory on the loss over its plane, evaluated on the run's backend
  // with the final batch-norm statistics.
  async function trajectoryPlot(session: Session, recorded: NonNullable<ReturnType<TraceRecorder["finish"]>>): Promise<Plot> {
    const axes = traceAxes(recorded.trace, recorded.plane, traced!.directions);
    // The points' coordinates are what the axes show: elements' values, or principal coordinates.
    const points = recorded.trace.points.map((p): [number, number] => [p.x, p.y]);
    const { state } = await session.backend.readState();
    const { surface } = await traceSurface({ loaded, data, state, request: session.backend.kind, plane: recorded.plane, axes, points, grid: traced!.grid, log });
    return contourPlot({
      id: "trajectory",
      title: "Trajectory on the loss surface",
      axes: [axes[0].label, axes[1].label],
      surface,
      trajectories: [{ name: loaded.model.name, points }],
    });
  }

  // `--analyze`: the final weights (restored ones after early stopping) on the same backend.
  async function analyzeFinalWeights(session: Session): Promise<{ run: AnalysisRun; lines: string[] }> {
    const tensors = await session.backend.readState();
    const analysis = await runAnalysis({
      loaded,
      data,
      params: loaded.trainGraph.params.map((p) => tensors.params[p.name]!),
      state: tensors.state,
      request: session.backend.kind,
      settings: analysisSettings("run", {}, null),
    });
    const lines = formatAnalysis(analysis, "the end of training");
    for (const line of lines) log(line);
    return { run: analysis, lines };
  }
}

// The files a checkpoint must never replace: the run's source and its data.
function ownFiles(file: string, config: TrainConfig): { path: string; what: string }[] {
  const own = [{ path: file, what: "the run's own .nn file" }];
  if (config.data.kind === "csv") own.push({ path: resolve(dirname(file), config.data.path), what: "the run's training data" });
  return own;
}

export function prepare(config: TrainConfig, loaded: { model: CheckedModel }, file: string, saved: Standardizer | null = null) {
  try {
    return prepareData(config, targetInfo(loaded.model), dirname(file), saved);
  } catch (error) {
    if (error instanceof DataError) throw new UserError(`nnc: ${error.format()}`);
    throw error;
  }
}
