// `nnc run FILE`: trains the file's model as its train block says (command-line options override
// the block), with a progress bar and a table row per epoch, then evaluates it on the test split.

import { dirname, resolve } from "node:path";
import type { CheckedModel } from "../../compiler/analyze/model-types.ts";
import type { TrainConfig } from "../../compiler/ir/config.ts";
import type { Standardizer } from "../../runtime/data/standardize.ts";
import { DataError } from "../../runtime/data/errors.ts";
import { NonFiniteLossError, runTraining } from "../../runtime/train/loop.ts";
import { prepareData } from "../../runtime/train/prepare.ts";
import { CheckpointError } from "../../runtime/train/safetensors.ts";
import { loadModel } from "../load.ts";
import { integerOption, oneFile, parseOptions } from "../options.ts";
import { createReporter, passJson, summaryLines } from "../report.ts";
import { UserError } from "../user-error.ts";
import { createTrainer, selectBackend, startingPoint, targetInfo } from "../session.ts";

export const summary = "train a model, then evaluate it";

export const help = `Usage: nnc run FILE [options]

Trains the model of FILE as its \`train\` block says, printing a progress bar and one row per
epoch, then evaluates it on the test split. Options override the train block.

Options:
  --backend cpu        where to train (the CPU runtime; the WebGPU backend comes next)
  --train MODEL|N      which train block to run, by model name or number (1 = the first)
  --epochs N           number of epochs
  --batch N|full       batch size (1: per-sample SGD, full: full-batch gradient descent)
  --seed S             seed for initial weights, shuffling and dropout
  --save PATH          write a checkpoint (safetensors) after each epoch, atomically
  --resume PATH        continue the run saved in PATH (weights, optimizer and schedule state)
  --init PATH          start from the weights in PATH (e.g. exported from PyTorch), fresh optimizer
  --grad-norms         print each layer's weight-gradient norm after every epoch
  --json               print one JSON object with the results as the last line
  -h, --help           show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions("run", help, argv, {
    backend: { type: "string" },
    train: { type: "string" },
    epochs: { type: "string" },
    batch: { type: "string" },
    seed: { type: "string" },
    save: { type: "string" },
    resume: { type: "string" },
    init: { type: "string" },
    "grad-norms": { type: "boolean" },
    json: { type: "boolean" },
  });
  const file = oneFile("run", help, positionals);
  if (values.resume && values.init) throw new UserError("nnc run: use --resume or --init, not both");
  const backend = selectBackend("run", values.backend);
  const loaded = loadModel("run", file, values.train);
  const config = applyOverrides(loaded.config, values);
  const log = values.json ? (line: string) => process.stderr.write(`${line}\n`) : (line: string) => console.log(line);

  const data = prepare(config, loaded, file);
  const start = startingPoint("run", loaded.trainGraph, config, { resume: values.resume ?? null, init: values.init ?? null });
  const trainer = createTrainer(backend, loaded, start.params, start.state);
  const parameterCount = start.params.reduce((n, p) => n + p.length, 0);
  log(`backend: ${backend} (the CPU runtime)`);
  log(
    `training ${loaded.model.name}: ${parameterCount.toLocaleString("en-US")} parameters, ${data.train.n} training examples` +
      (data.validation ? `, ${data.validation.n} validation` : "") +
      (data.test ? `, ${data.test.n} test` : "") +
      (start.resumed ? `, resuming after epoch ${start.resumed.progress.epoch}` : ""),
  );
  const savePath = values.save ?? values.resume ?? (config.checkpoint ? resolve(dirname(file), config.checkpoint.path) : null);
  const reporter = createReporter({ progress: Boolean(process.stderr.isTTY) && !values.json, log });
  let result;
  try {
    result = runTraining(
      { config, trainGraph: loaded.trainGraph, trainer, data, loss: loaded.model.loss!.kind, reduction: loaded.model.loss!.reduction },
      { savePath, gradNorms: Boolean(values["grad-norms"]), resume: start.resumed },
      reporter,
    );
  } catch (error) {
    reporter.finish();
    if (error instanceof NonFiniteLossError) throw new UserError(`nnc run: ${file}: ${error.message}`);
    if (error instanceof CheckpointError) throw new UserError(`nnc run: cannot save the checkpoint: ${error.message}`);
    throw error;
  }
  reporter.finish();
  for (const line of summaryLines(result)) log(line);
  if (savePath) log(`checkpoint: ${savePath}`);
  if (values.json) {
    console.log(
      JSON.stringify({
        backend,
        model: loaded.model.name,
        parameters: parameterCount,
        epochs: result.epochs,
        steps: result.steps,
        train: passJson(result.train),
        validation: passJson(result.validation),
        test: passJson(result.test),
        seconds: result.seconds,
        samples_per_second: result.samplesPerSecond,
        stopped_early: result.stoppedEarly,
        best_epoch: result.bestEpoch,
        lbfgs: result.lbfgs,
        checkpoint: savePath,
      }),
    );
  }
  return 0;
}

function applyOverrides(config: TrainConfig, values: { epochs?: string; batch?: string; seed?: string }): TrainConfig {
  const epochs = integerOption("run", "epochs", values.epochs, 1);
  const seed = integerOption("run", "seed", values.seed, 0);
  const batch = values.batch === "full" ? "full" : integerOption("run", "batch", values.batch, 1);
  if (batch !== undefined && config.optimizer.kind === "lbfgs" && batch !== "full") {
    throw new UserError("nnc run: L-BFGS trains on the full batch; --batch must be `full` with `optimizer lbfgs(...)`");
  }
  return { ...config, epochs: epochs ?? config.epochs, seed: seed ?? config.seed, batch: batch ?? config.batch };
}

export function prepare(config: TrainConfig, loaded: { model: CheckedModel }, file: string, saved: Standardizer | null = null) {
  try {
    return prepareData(config, targetInfo(loaded.model), dirname(file), saved);
  } catch (error) {
    if (error instanceof DataError) throw new UserError(`nnc: ${error.format()}`);
    throw error;
  }
}
