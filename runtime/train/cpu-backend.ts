// The CPU runtime as a training backend: the compiled programs (compiler/step/programs.ts) run by
// CpuProgram on Float32Arrays that live in this object. A step runs the whole step graph and then
// writes the new parameters, batch-norm statistics, optimizer slots and metric accumulators back
// in place, so every node of the step saw the old values, as in PyTorch.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import type { Graph } from "../../compiler/ir/graph.ts";
import { batchFeeds, graphIo, type ModelPrograms } from "../../compiler/step/programs.ts";
import { metricsFromAccumulators, metricStateName, METRIC_STATE, type MetricSlot } from "../../compiler/step/metrics.ts";
import { CpuProgram } from "../cpu/executor.ts";
import type { Feeds } from "../cpu/types.ts";
import { targetFeed, type Dataset } from "../data/dataset.ts";
import { concatFlat, type StepResult, type TensorState, type TrainingBackend, type TrainingBatch } from "./backend.ts";
import type { PassMetrics } from "./metrics.ts";

interface Compiled {
  graph: Graph;
  program: CpuProgram;
  outputs: string[]; // names of the outputs read after a run (before the updates)
  updates: { name: string; kind: "param" | "state"; source: boolean }[];
  batchDim: string;
  input: string | null; // null (and target null) for a model without data
  target: string | null;
}

function compileProgram(graph: Graph, outputs: string[]): Compiled {
  // An update that is a source node itself comes back as a fed array (CpuProgram.run), which
  // writing the other updates could change; `source` marks those.
  const isSource = (node: number) => ["input", "param", "state"].includes(graph.nodes[node]!.op);
  const updates = [
    ...graph.paramUpdates.map((u) => ({ name: u.name, kind: "param" as const, node: u.node, source: isSource(u.node) })),
    ...graph.stateUpdates.map((u) => ({ name: u.name, kind: "state" as const, node: u.node, source: isSource(u.node) })),
  ];
  const nodes = [...outputs.map((name) => graph.outputs[name] ?? missing(name)), ...updates.map((u) => u.node)];
  const { input, target, batchDim } = graphIo(graph);
  if (target === null && input !== null) throw new InternalError(`the ${graph.mode} graph has no target`);
  return { graph, program: new CpuProgram(graph, nodes), outputs, updates, batchDim, input, target };
}

function missing(name: string): never {
  throw new InternalError(`the graph has no output ${name}`);
}

export class CpuBackend implements TrainingBackend {
  readonly kind = "cpu" as const;
  readonly description = "the CPU runtime";
  private readonly params = new Map<string, Float32Array>();
  private readonly state = new Map<string, Float32Array>(); // batch norm, optimizer slots, metrics
  private readonly evalMetrics = new Map<string, Float32Array>(); // the evaluation's accumulators
  private readonly step_: Compiled;
  private readonly evaluation: Compiled;
  private readonly predictions = new Map<string, CpuProgram>();
  private lastGradNorms: Record<string, number> = {};
  private gradient: Compiled | null = null;
  // The feeds of every run, built once: the maps above never replace their arrays, they are
  // written in place. `stepInputs` holds the batch and the scalar inputs of the current step.
  private readonly paramFeeds: Feeds["params"];
  private readonly stateFeeds: Feeds["state"];
  private readonly stepInputs: Feeds["inputs"] = {};

  constructor(
    private readonly programs: ModelPrograms,
    initial: { params: Float32Array[]; state: Float32Array[] },
  ) {
    const stepGraph = programs.step.graph;
    stepGraph.params.forEach((p, i) => this.params.set(p.name, Float32Array.from(initial.params[i]!)));
    for (const s of stepGraph.state) this.state.set(s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(s.init));
    programs.modelState.forEach((name, i) => this.state.get(name)?.set(initial.state[i]!));
    for (const s of programs.evaluation.state) if (s.name.startsWith("metric.")) this.evalMetrics.set(s.name, new Float32Array(1));
    const norms = Object.keys(stepGraph.outputs).filter((name) => name.startsWith("grad_norm:"));
    this.step_ = compileProgram(stepGraph, ["loss", ...norms]);
    this.evaluation = compileProgram(programs.evaluation, []);
    this.paramFeeds = Object.fromEntries(this.params);
    this.stateFeeds = Object.fromEntries(this.state);
    for (const name of programs.step.scalars) this.stepInputs[name] = new Float32Array(1);
  }

  async step(batch: TrainingBatch, scalars: Record<string, number>, seed: number): Promise<StepResult> {
    const inputs = this.stepInputs;
    if (this.step_.input !== null) inputs[this.step_.input] = batch.features;
    if (this.step_.target !== null) inputs[this.step_.target] = batch.targets;
    for (const name in scalars) (inputs[name] ??= new Float32Array(1))[0] = scalars[name]!;
    const results = this.run(this.step_, inputs, this.state, this.stateFeeds, batch.size, seed);
    const norms = this.step_.outputs.slice(1);
    this.lastGradNorms = Object.fromEntries(norms.map((name, i) => [name.slice("grad_norm:".length), results[1 + i]![0]!]));
    const correct = this.state.get(metricStateName("correct"));
    const examples = this.state.get(metricStateName("examples"))![0]!;
    return { loss: results[0]![0]!, accuracy: correct ? correct[0]! / Math.max(examples, 1) : null };
  }

  async takeMetrics(): Promise<PassMetrics> {
    return this.drainMetrics(this.state);
  }

  async gradNorms(): Promise<Record<string, number>> {
    return { ...this.lastGradNorms };
  }

  async lossAndGradient(batch: TrainingBatch, seed: number): Promise<{ loss: number; gradient: Float32Array }> {
    // The step graph of L-BFGS names each gradient `grad:<param>` and updates nothing but the
    // batch-norm statistics and the metrics, which a line-search probe must leave alone.
    this.gradient ??= compileProgram(this.programs.step.graph, ["loss", ...this.programs.params.map((p) => `grad:${p.name}`)]);
    const inputs = batchFeeds<Feeds["inputs"][string]>(this.gradient, batch.features, batch.targets);
    const feeds: Feeds = { inputs, params: this.paramFeeds, state: this.stateFeeds };
    const results = this.gradient.program.run(feeds, { [this.gradient.batchDim]: batch.size }, seed);
    const sizes = this.programs.params.map((p) => this.params.get(p.name)!.length);
    const gradient = new Float32Array(sizes.reduce((a, b) => a + b, 0));
    let offset = 0;
    sizes.forEach((size, i) => {
      gradient.set(results[1 + i]!, offset);
      offset += size;
    });
    return { loss: results[0]![0]!, gradient };
  }

  async readFlatParams(): Promise<Float32Array> {
    return concatFlat(this.programs.params.map((p) => this.params.get(p.name)!));
  }

  async writeFlatParams(values: Float32Array): Promise<void> {
    let offset = 0;
    for (const p of this.programs.params) {
      const target = this.params.get(p.name)!;
      target.set(values.subarray(offset, offset + target.length));
      offset += target.length;
    }
  }

  async evaluate(dataset: Dataset, batchSize: number): Promise<PassMetrics> {
    const size = Math.max(1, Math.min(batchSize, dataset.n));
    const state = new Map([...this.state, ...this.evalMetrics]);
    const stateFeeds = Object.fromEntries(state);
    for (const buffer of this.evalMetrics.values()) buffer.fill(0);
    const targets = targetFeed(dataset); // class labels as the i32 target takes them
    for (let start = 0; start < dataset.n; start += size) {
      const n = Math.min(size, dataset.n - start);
      const inputs = batchFeeds<Feeds["inputs"][string]>(
        this.evaluation,
        dataset.features.subarray(start * dataset.featureSize, (start + n) * dataset.featureSize),
        targets.subarray(start * dataset.targetSize, (start + n) * dataset.targetSize),
      );
      this.run(this.evaluation, inputs, state, stateFeeds, n, 0);
    }
    return this.drainMetrics(state);
  }

  async predict(features: Float32Array, n: number, output: string): Promise<Float32Array> {
    const graph = this.programs.inference;
    const node = graph.outputs[output];
    if (node === undefined) throw new InternalError(`the model has no output ${output}`);
    let program = this.predictions.get(output);
    if (!program) this.predictions.set(output, (program = new CpuProgram(graph, [node])));
    const io = graphIo(graph);
    const feeds: Feeds = { inputs: batchFeeds<Feeds["inputs"][string]>(io, features), params: this.paramFeeds, state: this.stateFeeds };
    return Float32Array.from(program.run(feeds, { [io.batchDim]: n })[0]!);
  }

  async readState(): Promise<TensorState> {
    const copy = (names: Iterable<string>, from: Map<string, Float32Array>) => Object.fromEntries([...names].map((n) => [n, from.get(n)!.slice()]));
    return {
      params: copy(this.params.keys(), this.params),
      state: copy(this.programs.modelState, this.state),
      slots: copy(this.programs.step.slots.map((s) => s.state), this.state),
    };
  }

  async writeState(values: Partial<TensorState>): Promise<void> {
    const write = (from: Record<string, Float32Array> | undefined, into: Map<string, Float32Array>) => {
      for (const [name, value] of Object.entries(from ?? {})) {
        const target = into.get(name);
        if (!target || target.length !== value.length) throw new InternalError(`cannot write ${name} (${value.length} values)`);
        target.set(value);
      }
    };
    write(values.params, this.params);
    write(values.state, this.state);
    write(values.slots, this.state);
  }

  stats(batch: number): Record<string, number | string> {
    return { plannedBytes: this.step_.program.plannedBytes({ [this.step_.batchDim]: batch }), nodes: this.programs.step.graph.nodes.length };
  }

  dispose(): void {}

  // Runs a compiled graph and writes its updates back; returns the arrays of the named outputs
  // (first) and the updates, which the program overwrites on its next run. `stateFeeds` is
  // `state` as feeds.
  private run(
    compiled: Compiled,
    inputs: Feeds["inputs"],
    state: Map<string, Float32Array>,
    stateFeeds: Feeds["state"],
    size: number,
    seed: number,
  ): Float32Array[] {
    const feeds: Feeds = { inputs, params: this.paramFeeds, state: stateFeeds };
    const results = compiled.program.run(feeds, { [compiled.batchDim]: size }, seed) as Float32Array[];
    // Every update was computed from the old values; only now are they written back. The
    // program's own buffers are not fed arrays, so only updates that are fed arrays themselves
    // need a copy before the writes begin.
    const first = compiled.outputs.length;
    const fresh = compiled.updates.map((u, i) => (u.source ? results[first + i]!.slice() : results[first + i]!));
    compiled.updates.forEach((u, i) => (u.kind === "param" ? this.params : state).get(u.name)!.set(fresh[i]!));
    return results;
  }

  private drainMetrics(state: Map<string, Float32Array>): PassMetrics {
    const values: Partial<Record<MetricSlot, number>> = {};
    for (const slot of METRIC_STATE) {
      const buffer = state.get(metricStateName(slot));
      if (!buffer) continue;
      values[slot] = buffer[0]!;
      buffer.fill(0);
    }
    return metricsFromAccumulators(values, this.programs.metrics);
  }
}
