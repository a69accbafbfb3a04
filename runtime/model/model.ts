// A compiled model that trains, evaluates and predicts in a web page or a Node program, from the
// spec a generated module holds (spec.ts): on WebGPU with the programs compiled ahead of time, or
// on the CPU runtime with the spec's graphs. Training is `nnc run`'s own loop
// (runtime/train/loop.ts), pulled one optimizer step at a time, so a model trains with the same
// batches, seeds, schedule and numbers as `nnc run` on the same data and backend; weights are the
// same safetensors files the command line writes and reads (weights.ts).

import type { ModelPrograms } from "../../compiler/step/programs.ts";
import type { Standardizer } from "../data/standardize.ts";
import { applyStandardizer } from "../data/standardize.ts";
import type { TrainingBackend } from "../train/backend.ts";
import { initializeParams, initializeState } from "../train/init.ts";
import { trainingSteps, type EpochReport, type RunSummary, type StepProgress } from "../train/loop.ts";
import type { PassMetrics } from "../train/metrics.ts";
import { openBackend, tap } from "./backend.ts";
import { exampleCount, prepareSplits, standardized, toDataset, type Examples, type TrainingData } from "./data.ts";
import { fromBase64, type ModelSpec } from "./spec.ts";
import { decodeWeights, encodeWeights, modelState, type Weights } from "./weights.ts";

export interface CreateModelOptions {
  // Where the model runs: "auto" (the default) is WebGPU on a hardware GPU and the CPU runtime
  // otherwise (a software adapter, such as SwiftShader or lavapipe, is slower than the CPU runtime);
  // "webgpu" takes any adapter, software ones too; "cpu" is nnc's CPU runtime.
  backend?: "auto" | "cpu" | "webgpu";
  device?: GPUDevice; // run on this WebGPU device (the caller keeps owning it)
  seed?: number; // instead of the train block's: the initial weights, the batch order, dropout
  // Start from these weights (a weights file: `nnc run --save`'s checkpoint, or saveWeights'
  // bytes) instead of the module's embedded ones or fresh ones.
  weights?: Uint8Array;
}

export interface RunOptions {
  epochs?: number; // instead of the train block's
  batch?: number | "full"; // instead of the train block's
  onStep?(progress: StepProgress): void; // after every optimizer step, once its loss is known
  onEpoch?(report: EpochReport): void; // after every epoch
}

// One optimizer step of a run.
export interface TrainStep {
  step: number; // steps taken in this run, this one included
  epoch: number; // 1-based
  batch: number; // 1-based within the epoch
  batches: number; // batches per epoch
  loss: number; // the batch's loss before the update (L-BFGS: at the step's start)
  accuracy: number | null; // the epoch's running training accuracy, for classifiers
}

interface Run {
  data: TrainingData; // the object the run was started with
  steps: AsyncGenerator<void, RunSummary, void>;
  epochs: number;
  batch: number | "full";
  batchesPerEpoch: number;
  taken: number;
  summary: RunSummary | null; // once the run has ended
  reported: boolean; // whether `fit` has returned the summary
}

// A model on a backend, with its weights, its standardization, and at most one training run at a
// time. `Output` names its outputs (a generated module's `OutputName`).
export class Model<Output extends string = string> {
  private run: Run | null = null;
  private runs = 0;
  private hooks: RunOptions = {};
  private progress = { epoch: 0, step: 0 };
  // What the last step issued reported (StepResult) or, for L-BFGS, its first loss and gradient.
  private issued: Promise<{ loss: number; accuracy?: number | null }> | null = null;
  private readonly tapped: TrainingBackend;

  private constructor(
    readonly spec: ModelSpec,
    private readonly backendInUse: TrainingBackend,
    private readonly reason: string,
    private readonly release: () => void,
    private readonly seed: number,
    private currentStandardizer: Standardizer | null,
  ) {
    this.tapped = tap(backendInUse, (result) => (this.issued ??= result));
  }

  static async create<Output extends string>(spec: ModelSpec, options: CreateModelOptions = {}): Promise<Model<Output>> {
    const seed = options.seed ?? spec.config.seed;
    const bytes = options.weights ?? (spec.weights === null ? null : fromBase64(spec.weights));
    const start: Weights = bytes
      ? decodeWeights(spec.programs, bytes, options.weights ? "the weights" : `${spec.name}'s embedded weights`, inputWidth(spec))
      : { params: initializeParams(spec.programs.params, seed), state: initializeState(modelState(spec.programs)), standardizer: null };
    const opened = await openBackend(spec, start, options);
    return new Model<Output>(spec, opened.backend, opened.reason, opened.release, seed, start.standardizer);
  }

  get name(): string {
    return this.spec.name;
  }

  // "cpu" or "webgpu".
  get backend(): "cpu" | "webgpu" {
    return this.backendInUse.kind;
  }

  // Which backend, on what, and why: "WebGPU on … (a hardware GPU)", "the CPU runtime (as asked)".
  get description(): string {
    return `${this.backendInUse.description} (${this.reason})`;
  }

  // How inputs are standardized before they reach the model: fitted on the training split by the
  // last run (`normalize standardize`), or loaded with the weights; null when they are not.
  get standardizer(): Standardizer | null {
    return this.currentStandardizer;
  }

  // One optimizer step of the training run on `data`: the first call starts a run (as `fit` does,
  // with `options`), and each call takes its next step, with the batches, learning rate and
  // dropout of `nnc run`. Resolves to the step, or to null when the run has ended (no step taken;
  // `fit` with the same data then resolves to the run's summary). A call with other data while a
  // run is in progress throws; after a run has ended, the next call starts a new one from the
  // current weights with a fresh optimizer and schedule, as `nnc run --init` would.
  async trainStep(data: TrainingData, options: RunOptions = {}): Promise<TrainStep | null> {
    const run = await this.runFor(data, options, false);
    this.hooks = options;
    if (!(await this.pull(run))) return null;
    const { loss, accuracy } = await this.issued!;
    const epochIndex = Math.floor((run.taken - 1) / run.batchesPerEpoch);
    return { step: run.taken, epoch: epochIndex + 1, batch: run.taken - epochIndex * run.batchesPerEpoch, batches: run.batchesPerEpoch, loss, accuracy: accuracy ?? null };
  }

  // Trains as the train block says (its optimizer, schedule, clipping, early stopping) until the
  // run ends, then evaluates on each split; continues (or reports) a run that trainStep started on
  // the same data. The event loop gets a turn every 50 ms, so a page stays responsive.
  async fit(data: TrainingData, options: RunOptions = {}): Promise<RunSummary> {
    const run = await this.runFor(data, options, true);
    this.hooks = options;
    let turn = performance.now();
    while (await this.pull(run)) {
      if (performance.now() - turn > 50) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        turn = performance.now();
      }
    }
    run.reported = true;
    return run.summary!;
  }

  // The loss and metrics (accuracy for classifiers, mse for regressions) of the evaluation graph
  // (dropout off, batch norm on its running statistics) over raw examples.
  async evaluate(examples: Examples, options: { batch?: number } = {}): Promise<PassMetrics> {
    const dataset = toDataset(this.spec.io, this.name, examples, "evaluate's data");
    return this.backendInUse.evaluate(this.currentStandardizer ? applyStandardizer(this.currentStandardizer, dataset) : dataset, options.batch ?? 1024);
  }

  // One of the model's outputs (the first by default), or "prediction" (the loss's input, e.g.
  // logits), for B rows of raw inputs: B × the output's size values, row after row.
  async predict(x: Float32Array, options: { output?: Output | "prediction" } = {}): Promise<Float32Array> {
    const n = exampleCount(this.spec.io, this.name, x, "predict");
    const outputs = this.spec.io.outputs.map((o) => o.name);
    const output = options.output ?? outputs[0]!;
    if (!outputs.includes(output)) throw new RangeError(`${this.name} has no output \`${output}\`; it has ${outputs.map((o) => `\`${o}\``).join(", ")}`);
    return this.backendInUse.predict(standardized(this.currentStandardizer, x), n, output);
  }

  // The weights as a safetensors file: the checkpoint `nnc run --save` writes, without the
  // optimizer's companion (`nnc eval`, `nnc predict`, `nnc run --init` and loadWeights read it).
  async saveWeights(): Promise<Uint8Array> {
    const state = await this.backendInUse.readState();
    return encodeWeights(this.spec.programs, this.name, state, { standardizer: this.currentStandardizer, progress: { ...this.progress }, seed: this.seed });
  }

  // Replaces the weights (and the standardization, which a weights file carries) with a weights
  // file's: any checkpoint nnc writes, or saveWeights' bytes. `name` names it in messages; one
  // that does not fit the model throws a CheckpointError listing every mismatch.
  async loadWeights(bytes: Uint8Array, name = "the weights"): Promise<void> {
    const weights = decodeWeights(this.spec.programs, bytes, name, inputWidth(this.spec));
    const named = (list: { name: string }[], values: Float32Array[]) => Object.fromEntries(list.map((t, i) => [t.name, values[i]!]));
    await this.backendInUse.writeState({ params: named(this.spec.programs.params, weights.params), state: named(modelState(this.spec.programs), weights.state) });
    this.currentStandardizer = weights.standardizer;
  }

  // Frees the backend; a WebGPU device the model opened is destroyed (Node's event loop stays alive
  // while Dawn holds one), a device given in the options is left to its owner.
  dispose(): void {
    void this.run?.steps.return(undefined as never);
    this.run = null;
    this.backendInUse.dispose();
    this.release();
  }

  // The run in progress on `data`, or for `fit` one that trainStep ended and whose summary no fit
  // has returned yet; otherwise a new run.
  private async runFor(data: TrainingData, options: RunOptions, forFit: boolean): Promise<Run> {
    const run = this.run;
    if (run && (!run.summary || (forFit && !run.reported && run.data === data))) {
      if (run.data !== data) throw new Error(`${this.name}: a training run on other data is in progress; finish it (fit with the same data) or create another model`);
      if ((options.epochs !== undefined && options.epochs !== run.epochs) || (options.batch !== undefined && options.batch !== run.batch)) {
        throw new Error(`${this.name}: the training run in progress has ${run.epochs} epochs of batch ${run.batch}; a run's settings cannot change while it runs`);
      }
      return run;
    }
    return (this.run = await this.startRun(data, options));
  }

  private async startRun(data: TrainingData, options: RunOptions): Promise<Run> {
    const { config, io, programs } = this.spec;
    const splits = prepareSplits(io, this.name, data, config.standardize);
    if (this.runs++ > 0) {
      // A fresh optimizer, and no training metrics left over from a run that stopped mid-epoch.
      await this.backendInUse.writeState({ slots: freshSlots(programs) });
      await this.backendInUse.takeMetrics();
    }
    this.currentStandardizer = splits.standardizer;
    this.progress = { epoch: 0, step: 0 };
    const loopConfig = { ...config, seed: this.seed, epochs: options.epochs ?? config.epochs, batch: options.batch ?? config.batch, checkpoint: null };
    const hooks = {
      onStep: (progress: StepProgress) => this.hooks.onStep?.(progress),
      onEpoch: (report: EpochReport) => {
        this.progress.epoch = report.epoch;
        this.hooks.onEpoch?.(report);
      },
    };
    const steps = trainingSteps({ config: loopConfig, programs, backend: this.tapped, data: splits }, { savePath: null, gradNorms: false, resume: null }, hooks);
    // As runtime/data/batches.ts cuts an epoch (the last batch may be smaller); L-BFGS takes one
    // step per epoch on the whole split.
    const n = splits.train.n;
    const batchesPerEpoch = config.optimizer.kind === "lbfgs" ? 1 : Math.ceil(n / (loopConfig.batch === "full" ? n : Math.min(loopConfig.batch, n)));
    return { data, steps, epochs: loopConfig.epochs, batch: loopConfig.batch, batchesPerEpoch, taken: 0, summary: null, reported: false };
  }

  // Takes the run's next step; false when the run has ended instead (its summary then set). A
  // failure (a loss that became NaN, a lost device) ends the run and is thrown.
  private async pull(run: Run): Promise<boolean> {
    if (run.summary) return false;
    this.issued = null;
    let next: IteratorResult<void, RunSummary>;
    try {
      next = await run.steps.next();
    } catch (error) {
      if (this.run === run) this.run = null;
      throw error;
    }
    if (next.done) {
      run.summary = next.value;
      return false;
    }
    run.taken++;
    this.progress.step = run.taken;
    return true;
  }
}

// Opens the model: on the given device, on WebGPU, or on the CPU runtime, by the rule `nnc run`
// follows (runtime/session.ts) with the programs the module holds.
export function createModel<Output extends string = string>(spec: ModelSpec, options: CreateModelOptions = {}): Promise<Model<Output>> {
  return Model.create<Output>(spec, options);
}

// The optimizer's slots at their starting values, for a new run.
function freshSlots(programs: ModelPrograms): Record<string, Float32Array> {
  const state = programs.step.graph.state;
  return Object.fromEntries(
    programs.step.slots.map(({ state: name }) => {
      const info = state.find((s) => s.name === name)!;
      return [name, new Float32Array(info.shape.reduce((a, b) => a * b, 1)).fill(info.init)];
    }),
  );
}

function inputWidth(spec: ModelSpec): number {
  return spec.io.input.shape.reduce((a, b) => a * b, 1);
}
