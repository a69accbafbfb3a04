// Training a compiled model from a program: the session (runtime/session.ts), the training loop and
// the checkpoints of `nnc run`, with the run's progress handed to callbacks instead of printed. The
// same model, seed and backend give the same numbers as `nnc run`.

import { createSession, type BackendRequest, type Session } from "../runtime/session.ts";
import type { Dataset } from "../runtime/data/dataset.ts";
import { standardizeInto, type Standardizer } from "../runtime/data/standardize.ts";
import { checkCompatible, loadCheckpoint, saveCheckpoint } from "../runtime/train/checkpoint.ts";
import { checkStandardizer } from "../runtime/train/checkpoint-metadata.ts";
import { initializeParams, initializeState } from "../runtime/train/init.ts";
import { runTraining, type LoopHooks, type RunSummary } from "../runtime/train/loop.ts";
import type { PassMetrics } from "../runtime/train/metrics.ts";
import type { PreparedData } from "../runtime/train/prepare.ts";
import { CheckpointError } from "../runtime/train/safetensors.ts";
import type { NncModel } from "./model.ts";

export interface TrainerOptions {
  // Where to train: "auto" (the default) is WebGPU on a hardware GPU and the CPU runtime otherwise;
  // "webgpu" takes any adapter, software ones too; "cpu" is nnc's CPU runtime.
  backend?: BackendRequest;
  device?: GPUDevice; // train on this WebGPU device (the caller keeps owning it)
  seed?: number; // instead of the train block's: initial weights, batch order, dropout
  // Start from these weights (a checkpoint, or any safetensors file with the model's names, as
  // `nnc run --init`) instead of fresh ones; their standardization, if any, comes with them.
  weights?: string;
}

export interface FitOptions extends LoopHooks {
  epochs?: number; // instead of the train block's
  // Write a checkpoint here after every epoch (as `nnc run --save`): `nnc eval`, `nnc predict` and
  // `createTrainer(model, { weights })` read it.
  save?: string;
}

export class Trainer {
  private trained = false;

  private constructor(
    readonly model: NncModel,
    private readonly session: Session,
    private readonly seed: number,
    private standardizer: Standardizer | null,
  ) {}

  static async create(model: NncModel, options: TrainerOptions = {}): Promise<Trainer> {
    const seed = options.seed ?? model.config.seed;
    const start = startingWeights(model, seed, options.weights ?? null);
    const compiled = { model: model.checked, trainGraph: model.trainGraph, evalGraph: model.evalGraph };
    const session = await createSession(compiled, { ...model.config, seed }, start, { backend: options.backend, device: options.device });
    return new Trainer(model, session, seed, start.standardizer);
  }

  get backend(): "cpu" | "webgpu" {
    return this.session.backend.kind;
  }

  // Which backend, on what, and why: "the CPU runtime (as asked)".
  get description(): string {
    return `${this.session.backend.description} (${this.session.reason})`;
  }

  // Trains as the train block says, from the trainer's weights: epochs of mini-batches with the
  // block's optimizer, schedule, early stopping and checkpoints, then evaluates on the test split.
  // A trainer trains once: a second run would restart the optimizer's step count and schedule on
  // weights and optimizer state that have moved on, which is no run `nnc run` could make.
  async fit(data: PreparedData, options: FitOptions = {}): Promise<RunSummary> {
    if (this.trained) throw new Error("nnc: this trainer has already trained; create another one (with `weights` to start from a checkpoint)");
    this.trained = true;
    const config = { ...this.model.config, seed: this.seed, epochs: options.epochs ?? this.model.config.epochs };
    this.standardizer = data.standardizer;
    const { session } = this;
    return runTraining({ config, programs: session.programs, backend: session.backend, data }, { savePath: options.save ?? null, writeCheckpoint: saveCheckpoint, gradNorms: false, resume: null }, options);
  }

  // The loss and metrics of the evaluation graph (dropout off) over a data set as `loadData` gives
  // it (already standardized).
  evaluate(dataset: Dataset, batchSize = 1024): Promise<PassMetrics> {
    return this.session.backend.evaluate(dataset, batchSize);
  }

  // One of the model's `output`s, or "prediction" (the loss's input), computed by the evaluation
  // graph for rows of features as the model takes them (standardized, as in `loadData`'s splits;
  // see `standardize` for raw rows): n × the output's size values. The default is the model's
  // first `output`, else the prediction.
  async predict(features: Float32Array, options: { output?: string } = {}): Promise<Float32Array> {
    const size = this.model.inputShape.reduce((a, b) => a * b, 1);
    if (features.length === 0 || features.length % size !== 0) {
      throw new RangeError(`nnc: predict takes rows of ${size} features (the input [B, ${this.model.inputShape.join(", ")}]), but got ${features.length} values`);
    }
    const outputs = [...this.model.checked.outputs.map((o) => o.name), "prediction"];
    const output = options.output ?? outputs[0]!;
    if (!outputs.includes(output)) {
      throw new RangeError(`nnc: the model has no output \`${output}\`; it has ${outputs.map((o) => `\`${o}\``).join(", ")}`);
    }
    return this.session.backend.predict(features, features.length / size, output);
  }

  // Raw rows of features standardized as the training data was (a copy; the rows themselves when
  // the train block does not standardize).
  standardize(raw: Float32Array): Float32Array {
    if (!this.standardizer) return raw;
    const out = new Float32Array(raw.length);
    standardizeInto(this.standardizer, raw, out);
    return out;
  }

  // Frees the backend (a WebGPU device the trainer opened is destroyed).
  dispose(): void {
    this.session.dispose();
  }
}

// Opens a trainer for the model on a backend (see TrainerOptions).
export function createTrainer(model: NncModel, options: TrainerOptions = {}): Promise<Trainer> {
  return Trainer.create(model, options);
}

// Fresh weights from the seed, or the weights of a file, as `nnc run --init` takes them.
function startingWeights(model: NncModel, seed: number, path: string | null) {
  const { params, state } = model.trainGraph;
  const start = { params: initializeParams(params, seed), state: initializeState(state), standardizer: null as Standardizer | null };
  if (path === null) return start;
  const content = loadCheckpoint(path);
  const problems = checkCompatible(content, params, state);
  if (problems.length) throw new CheckpointError(path, `it does not fit the model: ${problems.join("; ")}`);
  params.forEach((p, i) => start.params[i]!.set(content.params[p.name]!));
  state.forEach((s, i) => {
    const saved = content.state[s.name];
    if (saved) start.state[i]!.set(saved);
  });
  if (content.standardizer) checkStandardizer(path, content.standardizer, model.inputShape.reduce((a, b) => a * b, 1));
  return { ...start, standardizer: content.standardizer };
}
