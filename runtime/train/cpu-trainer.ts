// The CPU runtime's side of training: the training graph differentiated once (loss → parameter
// gradients), compiled into one CpuProgram that returns the losses, the prediction, the gradients
// and the new batch-norm statistics, and the evaluation graph compiled into another. The training
// loop (loop.ts) talks to it through the `Trainer` interface, which a WebGPU backend implements too.

import { gradients } from "../../compiler/autodiff/autodiff.ts";
import type { Graph, GraphInput } from "../../compiler/ir/graph.ts";
import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import { CpuProgram } from "../cpu/executor.ts";
import type { Feeds } from "../cpu/types.ts";
import type { Dataset } from "../data/dataset.ts";
import { MetricAccumulator, type LossKind, type PassMetrics } from "./metrics.ts";

export interface StepLosses {
  loss: number;
  data_loss: number;
  reg_loss: number;
}

// One forward and backward pass on a batch.
export interface ForwardBackward extends StepLosses {
  prediction: Float32Array;
  grads: Float32Array[]; // one per parameter, in graph.params order; valid until the next call
}

export interface Trainer {
  readonly backend: "cpu" | "webgpu";
  readonly params: Float32Array[]; // the live parameters, in graph.params order
  readonly state: Float32Array[]; // the live state buffers, in graph.state order
  // Loss and gradients on a batch; `seed` draws this step's dropout masks. Updates the batch-norm
  // running statistics when `updateState` is set (a training step, not a line-search probe).
  forwardBackward(features: Float32Array, targets: Float32Array, size: number, seed: number, updateState: boolean): ForwardBackward;
  // Metrics of the evaluation graph (dropout off, batch norm on running statistics) over a data set.
  evaluate(dataset: Dataset, batchSize: number): PassMetrics;
  // The prediction of the evaluation graph for `n` rows of features.
  predict(features: Float32Array, n: number, output: string): Float32Array;
}

export interface TrainerModel {
  trainGraph: Graph;
  evalGraph: Graph;
  loss: LossKind;
  reduction: "mean" | "sum";
}

function role(graph: Graph, which: "input" | "target"): GraphInput {
  const found = graph.inputs.filter((i) => i.role === which);
  if (found.length !== 1) throw new InternalError(`the training loop needs exactly one ${which}, the graph has ${found.length}`);
  return found[0]!;
}

export class CpuTrainer implements Trainer {
  readonly backend = "cpu" as const;
  private readonly trainProgram: CpuProgram;
  private readonly evalProgram: CpuProgram;
  private readonly predictPrograms = new Map<string, CpuProgram>();
  private readonly inputName: string;
  private readonly targetName: string;
  private readonly batchDim: string; // the input's symbolic batch dimension, usually "B"
  private readonly feeds: Feeds;
  private readonly evalFeeds: Feeds;
  // Reused every step so a step allocates nothing of its own.
  private readonly grads: Float32Array[] = [];
  private readonly stateIndex: number[]; // for each state update, its buffer's index in `state`

  constructor(
    private readonly model: TrainerModel,
    readonly params: Float32Array[],
    readonly state: Float32Array[],
  ) {
    const { trainGraph, evalGraph } = model;
    const gradientNodes = gradients(trainGraph, trainGraph.outputs.loss!, trainGraph.params.map((p) => p.node));
    const outputs = [
      trainGraph.outputs.loss!,
      trainGraph.outputs.data_loss!,
      trainGraph.outputs.reg_loss!,
      trainGraph.outputs.prediction!,
      ...gradientNodes,
      ...trainGraph.stateUpdates.map((u) => u.node),
    ];
    this.trainProgram = new CpuProgram(trainGraph, outputs);
    this.evalProgram = new CpuProgram(evalGraph, [evalGraph.outputs.loss!, evalGraph.outputs.data_loss!, evalGraph.outputs.reg_loss!, evalGraph.outputs.prediction!]);
    const input = role(trainGraph, "input");
    this.inputName = input.name;
    this.batchDim = typeof input.shape[0] === "string" ? input.shape[0] : "B";
    this.targetName = role(trainGraph, "target").name;
    const paramFeeds = Object.fromEntries(trainGraph.params.map((p, i) => [p.name, params[i]!]));
    const stateFeeds = Object.fromEntries(trainGraph.state.map((s, i) => [s.name, state[i]!]));
    this.feeds = { inputs: {}, params: paramFeeds, state: stateFeeds };
    this.evalFeeds = { inputs: {}, params: paramFeeds, state: stateFeeds };
    this.stateIndex = trainGraph.stateUpdates.map((u) => trainGraph.state.findIndex((s) => s.name === u.name));
  }

  forwardBackward(features: Float32Array, targets: Float32Array, size: number, seed: number, updateState: boolean): ForwardBackward {
    this.feeds.inputs[this.inputName] = features;
    this.feeds.inputs[this.targetName] = targets;
    const results = this.trainProgram.run(this.feeds, { [this.batchDim]: size }, seed) as Float32Array[];
    const paramCount = this.params.length;
    if (updateState) {
      // The running statistics are copied in after the step, so every node of this step saw the
      // old values, as in PyTorch.
      this.stateIndex.forEach((index, i) => this.state[index]!.set(results[4 + paramCount + i]!));
    }
    return {
      loss: results[0]![0]!,
      data_loss: results[1]![0]!,
      reg_loss: results[2]![0]!,
      prediction: results[3]!,
      grads: this.gradientsOf(results, paramCount),
    };
  }

  private gradientsOf(results: Float32Array[], paramCount: number): Float32Array[] {
    for (let i = 0; i < paramCount; i++) this.grads[i] = results[4 + i]!;
    return this.grads;
  }

  evaluate(dataset: Dataset, batchSize: number): PassMetrics {
    const metrics = new MetricAccumulator(this.model.loss, this.model.reduction);
    const size = Math.max(1, Math.min(batchSize, dataset.n));
    for (let start = 0; start < dataset.n; start += size) {
      const n = Math.min(size, dataset.n - start);
      const features = dataset.features.subarray(start * dataset.featureSize, (start + n) * dataset.featureSize);
      const targets = dataset.targets.subarray(start * dataset.targetSize, (start + n) * dataset.targetSize);
      this.evalFeeds.inputs[this.inputName] = features;
      this.evalFeeds.inputs[this.targetName] = targets;
      const [loss, dataLoss, regLoss, prediction] = this.evalProgram.run(this.evalFeeds, { [this.batchDim]: n }) as Float32Array[];
      metrics.add(n, { loss: loss![0]!, data_loss: dataLoss![0]!, reg_loss: regLoss![0]! }, prediction!, targets, dataset.targetSize);
    }
    return metrics.result();
  }

  predict(features: Float32Array, n: number, output: string): Float32Array {
    const graph = this.model.evalGraph;
    const node = graph.outputs[output];
    if (node === undefined) throw new InternalError(`the model has no output ${output}`);
    let program = this.predictPrograms.get(output);
    if (!program) {
      program = new CpuProgram(graph, [node]);
      this.predictPrograms.set(output, program);
    }
    const feeds: Feeds = { inputs: { [this.inputName]: features }, params: this.evalFeeds.params, state: this.evalFeeds.state };
    return Float32Array.from(program.run(feeds, { [this.batchDim]: n })[0]!);
  }
}
