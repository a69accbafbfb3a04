// WebGPU as a training backend: the model's parameters, batch-norm statistics, optimizer slots
// and metric accumulators live in GPU buffers for the whole run, and the compiled programs
// (compiler/step/programs.ts) run on them. A training step is one command buffer and one submit;
// the only thing read back per step is a few bytes (the loss and the running accuracy), mapped
// asynchronously so the next step is already queued when the loop awaits it.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import type { Graph, GraphInput, IRNode } from "../../compiler/ir/graph.ts";
import { metricsFromAccumulators, metricStateName, METRIC_STATE, type MetricSlot } from "../../compiler/step/metrics.ts";
import type { ModelPrograms } from "../../compiler/step/programs.ts";
import type { Dataset } from "../data/dataset.ts";
import { concatFlat, type StepResult, type TensorState, type TrainingBackend, type TrainingBatch } from "../train/backend.ts";
import type { PassMetrics } from "../train/metrics.ts";
import type { TuningReport } from "./autotune.ts";
import { adapterName, checkBindingSize, GpuLostError, type GpuContext } from "./device.ts";
import { GpuProgram } from "./program.ts";

function role(graph: Graph, which: GraphInput["role"]): GraphInput {
  const found = graph.inputs.find((i) => i.role === which);
  if (!found) throw new InternalError(`the graph has no ${which}`);
  return found;
}

const batchDimOf = (input: GraphInput) => (typeof input.shape[0] === "string" ? input.shape[0] : "B");
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export class WebGpuBackend implements TrainingBackend {
  readonly kind = "webgpu" as const;
  readonly description: string;
  private readonly tensors = new Map<string, GPUBuffer>(); // params, state, slots, step metrics
  private readonly evalMetrics = new Map<string, GPUBuffer>();
  private readonly sizes = new Map<string, number>();
  private gradientProgram: GpuProgram | null = null;
  private readonly predictPrograms = new Map<string, GpuProgram>();
  private lastGradNorms: Record<string, number> = {};
  private lost: string | null = null; // why the device was lost, once it was
  private warmSeconds: number | null = null; // the warm-up's time, when there was one
  private disposed = false;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly programs: ModelPrograms,
    private readonly stepProgram: GpuProgram,
    private readonly stepReads: string[],
    private readonly evalProgram: GpuProgram,
    tensors: Map<string, GPUBuffer>,
    evalMetrics: Map<string, GPUBuffer>,
    sizes: Map<string, number>,
  ) {
    this.description = `WebGPU on ${adapterName(gpu.adapter)}`;
    void gpu.device.lost.then((info) => {
      if (!this.disposed) this.lost = info.message || String(info.reason ?? "no reason given");
    });
    this.tensors = tensors;
    this.evalMetrics = evalMetrics;
    this.sizes = sizes;
  }

  // Creates the buffers, uploads the starting weights and compiles every pipeline (which also
  // warms them: on lavapipe a shader is compiled at its first dispatch).
  // `warmBatch`: dispatch every kernel once at this batch size before returning (see
  // GpuProgram.warm), so the first step does not pay for compiling shaders.
  static async create(gpu: GpuContext, programs: ModelPrograms, initial: { params: Float32Array[]; state: Float32Array[] }, options: { warmBatch?: number } = {}): Promise<WebGpuBackend> {
    const { device } = gpu;
    const step = programs.step.graph;
    const tensors = new Map<string, GPUBuffer>();
    const sizes = new Map<string, number>();
    const create = (name: string, shape: number[], into: Map<string, GPUBuffer>, values?: Float32Array | number) => {
      const size = sizeOf(shape);
      checkBindingSize(device, size * 4, `\`${name}\` [${shape.join(", ")}]`);
      const buffer = device.createBuffer({ label: name, size: Math.max(4, size * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      const data = typeof values === "number" || values === undefined ? new Float32Array(size).fill(values ?? 0) : values;
      if (size) device.queue.writeBuffer(buffer, 0, data);
      into.set(name, buffer);
      sizes.set(name, size);
    };
    step.params.forEach((p, i) => create(p.name, p.shape, tensors, initial.params[i]!));
    for (const s of step.state) {
      const k = programs.modelState.indexOf(s.name);
      create(s.name, s.shape, tensors, k >= 0 ? initial.state[k]! : s.init);
    }
    const evalMetrics = new Map<string, GPUBuffer>();
    for (const s of programs.evaluation.state) if (s.name.startsWith("metric.")) create(`eval.${s.name}`, s.shape, evalMetrics, 0);

    const residentIn = (graph: Graph, metrics: Map<string, GPUBuffer> | null) => (node: IRNode) => {
      if (node.op !== "param" && node.op !== "state") return null;
      const name = (node.attrs as { name: string }).name;
      return (metrics && name.startsWith("metric.") ? metrics.get(`eval.${name}`) : tensors.get(name)) ?? null;
    };
    const updatesOf = (graph: Graph, metrics: Map<string, GPUBuffer> | null) =>
      [...graph.paramUpdates, ...graph.stateUpdates].map((u) => ({
        node: u.node,
        target: (metrics && u.name.startsWith("metric.") ? metrics.get(`eval.${u.name}`) : tensors.get(u.name)) ?? missing(u.name),
      }));
    const norms = Object.keys(step.outputs).filter((name) => name.startsWith("grad_norm:"));
    const correct = step.stateUpdates.find((u) => u.name === metricStateName("correct"));
    const examples = step.stateUpdates.find((u) => u.name === metricStateName("examples"))!;
    const stepReads = ["loss", ...norms];
    const stepProgram = await GpuProgram.create(gpu, step, {
      read: [...stepReads.map((name) => step.outputs[name]!), examples.node, ...(correct ? [correct.node] : [])],
      updates: updatesOf(step, null),
      resident: residentIn(step, null),
    });
    const evaluation = programs.evaluation;
    const evalProgram = await GpuProgram.create(gpu, evaluation, { read: [], updates: updatesOf(evaluation, evalMetrics), resident: residentIn(evaluation, evalMetrics) });
    const backend = new WebGpuBackend(gpu, programs, stepProgram, stepReads, evalProgram, tensors, evalMetrics, sizes);
    if (options.warmBatch) {
      const bindings = { [batchDimOf(role(step, "input"))]: options.warmBatch };
      backend.warmSeconds = (await stepProgram.warm(bindings)) + (await evalProgram.warm({ [batchDimOf(role(evaluation, "input"))]: options.warmBatch }));
    }
    return backend;
  }

  async step(batch: TrainingBatch, scalars: Record<string, number>, seed: number): Promise<StepResult> {
    return this.guard(() => this.stepUnguarded(batch, scalars, seed));
  }

  private async stepUnguarded(batch: TrainingBatch, scalars: Record<string, number>, seed: number): Promise<StepResult> {
    const graph = this.programs.step.graph;
    const inputs: Record<string, Float32Array> = { [role(graph, "input").name]: batch.features, [role(graph, "target").name]: batch.targets };
    for (const [name, value] of Object.entries(scalars)) inputs[name] = Float32Array.of(value);
    const encoder = this.gpu.device.createCommandEncoder();
    const read = this.stepProgram.encode(encoder, { inputs }, { [batchDimOf(role(graph, "input"))]: batch.size }, seed);
    this.gpu.device.queue.submit([encoder.finish()]);
    const values = await read();
    const norms = this.stepReads.slice(1);
    this.lastGradNorms = Object.fromEntries(norms.map((name, i) => [name.slice("grad_norm:".length), values[1 + i]![0]!]));
    const examples = values[this.stepReads.length]![0]!;
    const correct = values[this.stepReads.length + 1];
    return { loss: values[0]![0]!, accuracy: correct ? correct[0]! / Math.max(examples, 1) : null };
  }

  async takeMetrics(): Promise<PassMetrics> {
    return this.guard(() => this.takeMetricsUnguarded());
  }

  private async takeMetricsUnguarded(): Promise<PassMetrics> {
    return this.drainMetrics((slot) => this.tensors.get(metricStateName(slot)));
  }

  async gradNorms(): Promise<Record<string, number>> {
    return { ...this.lastGradNorms };
  }

  async lossAndGradient(batch: TrainingBatch, seed: number): Promise<{ loss: number; gradient: Float32Array }> {
    return this.guard(() => this.lossAndGradientUnguarded(batch, seed));
  }

  private async lossAndGradientUnguarded(batch: TrainingBatch, seed: number): Promise<{ loss: number; gradient: Float32Array }> {
    const graph = this.programs.step.graph;
    this.gradientProgram ??= await GpuProgram.create(this.gpu, graph, {
      read: [graph.outputs.loss!, ...this.programs.params.map((p) => graph.outputs[`grad:${p.name}`] ?? missing(`grad:${p.name}`))],
      resident: (node) => (node.op === "param" || node.op === "state" ? (this.tensors.get((node.attrs as { name: string }).name) ?? null) : null),
    });
    const inputs = { [role(graph, "input").name]: batch.features, [role(graph, "target").name]: batch.targets };
    const [loss, ...grads] = await this.gradientProgram.run({ inputs, params: {}, state: {} }, { [batchDimOf(role(graph, "input"))]: batch.size }, seed);
    return { loss: loss![0]!, gradient: concatFlat(grads) };
  }

  async readFlatParams(): Promise<Float32Array> {
    return this.guard(() => this.readFlatParamsUnguarded());
  }

  private async readFlatParamsUnguarded(): Promise<Float32Array> {
    return concatFlat(await this.download(this.programs.params.map((p) => p.name)));
  }

  async writeFlatParams(values: Float32Array): Promise<void> {
    return this.guard(() => this.writeFlatParamsUnguarded(values));
  }

  private async writeFlatParamsUnguarded(values: Float32Array): Promise<void> {
    let offset = 0;
    for (const p of this.programs.params) {
      const size = this.sizes.get(p.name)!;
      this.gpu.device.queue.writeBuffer(this.tensors.get(p.name)!, 0, values.subarray(offset, offset + size));
      offset += size;
    }
  }

  async evaluate(dataset: Dataset, batchSize: number): Promise<PassMetrics> {
    return this.guard(() => this.evaluateUnguarded(dataset, batchSize));
  }

  private async evaluateUnguarded(dataset: Dataset, batchSize: number): Promise<PassMetrics> {
    const graph = this.programs.evaluation;
    const input = role(graph, "input");
    const target = role(graph, "target");
    for (const buffer of this.evalMetrics.values()) this.gpu.device.queue.writeBuffer(buffer, 0, new Float32Array(1));
    const size = Math.max(1, Math.min(batchSize, dataset.n));
    for (let start = 0; start < dataset.n; start += size) {
      const n = Math.min(size, dataset.n - start);
      const inputs = {
        [input.name]: dataset.features.subarray(start * dataset.featureSize, (start + n) * dataset.featureSize),
        [target.name]: dataset.targets.subarray(start * dataset.targetSize, (start + n) * dataset.targetSize),
      };
      const encoder = this.gpu.device.createCommandEncoder();
      this.evalProgram.encode(encoder, { inputs }, { [batchDimOf(input)]: n });
      this.gpu.device.queue.submit([encoder.finish()]);
    }
    return this.drainMetrics((slot) => this.evalMetrics.get(`eval.${metricStateName(slot)}`));
  }

  async predict(features: Float32Array, n: number, output: string): Promise<Float32Array> {
    return this.guard(() => this.predictUnguarded(features, n, output));
  }

  private async predictUnguarded(features: Float32Array, n: number, output: string): Promise<Float32Array> {
    const graph = this.programs.inference;
    const node = graph.outputs[output];
    if (node === undefined) throw new InternalError(`the model has no output ${output}`);
    let program = this.predictPrograms.get(output);
    if (!program) {
      program = await GpuProgram.create(this.gpu, graph, {
        read: [node],
        resident: (source) => (source.op === "param" || source.op === "state" ? (this.tensors.get((source.attrs as { name: string }).name) ?? null) : null),
      });
      this.predictPrograms.set(output, program);
    }
    const input = role(graph, "input");
    const [result] = await program.run({ inputs: { [input.name]: features }, params: {}, state: {} }, { [batchDimOf(input)]: n });
    return result!;
  }

  async readState(): Promise<TensorState> {
    return this.guard(() => this.readStateUnguarded());
  }

  private async readStateUnguarded(): Promise<TensorState> {
    const names = {
      params: this.programs.params.map((p) => p.name),
      state: this.programs.modelState,
      slots: this.programs.step.slots.map((s) => s.state),
    };
    const values = await this.download([...names.params, ...names.state, ...names.slots]);
    const take = (list: string[], offset: number) => Object.fromEntries(list.map((name, i) => [name, values[offset + i]!]));
    return { params: take(names.params, 0), state: take(names.state, names.params.length), slots: take(names.slots, names.params.length + names.state.length) };
  }

  async writeState(values: Partial<TensorState>): Promise<void> {
    return this.guard(() => this.writeStateUnguarded(values));
  }

  private async writeStateUnguarded(values: Partial<TensorState>): Promise<void> {
    for (const group of [values.params, values.state, values.slots]) {
      for (const [name, value] of Object.entries(group ?? {})) {
        const buffer = this.tensors.get(name);
        if (!buffer || this.sizes.get(name) !== value.length) throw new InternalError(`cannot write ${name} (${value.length} values)`);
        if (value.length) this.gpu.device.queue.writeBuffer(buffer, 0, value);
      }
    }
  }

  stats(batch: number): Record<string, number | string> {
    const graph = this.programs.step.graph;
    return {
      plannedBytes: this.stepProgram.plannedBytes({ [batchDimOf(role(graph, "input"))]: batch }),
      dispatches: this.stepProgram.kernels.length,
      submits: 1,
      kernels: this.stepProgram.kernels.length + this.evalProgram.kernels.length,
      warmSeconds: this.warmSeconds ?? -1,
      adapter: adapterName(this.gpu.adapter),
      // How the matmul variants were chosen when the programs were created, and which.
      tuningSeconds: this.stepProgram.tuning.seconds + this.evalProgram.tuning.seconds,
      tuning: tuningSummary([this.stepProgram.tuning, this.evalProgram.tuning]),
      matmulVariants: this.stepProgram.tuning.matmuls.map((m) => `${m.shape}: ${m.variant}`).join("; "),
    };
  }

  // Runs `work`, turning any failure after the device was lost into a GpuLostError: a lost device
  // rejects mappings and validation, and what the user needs to know is that the device is gone.
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.lost !== null) throw new GpuLostError(this.lost);
    try {
      return await work();
    } catch (error) {
      // The `lost` promise settles a moment after the failure it causes.
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (this.lost !== null) throw new GpuLostError(this.lost);
      throw error;
    }
  }

  dispose(): void {
    this.disposed = true;
    this.stepProgram.destroy();
    this.evalProgram.destroy();
    this.gradientProgram?.destroy();
    for (const p of this.predictPrograms.values()) p.destroy();
    for (const buffer of [...this.tensors.values(), ...this.evalMetrics.values()]) buffer.destroy();
  }

  // Copies of named resident buffers, read back with one submit.
  private async download(names: string[]): Promise<Float32Array[]> {
    const { device } = this.gpu;
    const offsets: number[] = [];
    let total = 0;
    for (const name of names) {
      offsets.push(total);
      total += this.sizes.get(name) ?? missing(name);
    }
    const staging = device.createBuffer({ size: Math.max(4, total * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    names.forEach((name, i) => {
      const bytes = this.sizes.get(name)! * 4;
      if (bytes) encoder.copyBufferToBuffer(this.tensors.get(name)!, 0, staging, offsets[i]! * 4, bytes);
    });
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(staging.getMappedRange().slice(0));
    staging.destroy();
    return names.map((name, i) => all.slice(offsets[i]!, offsets[i]! + this.sizes.get(name)!));
  }

  private async drainMetrics(bufferOf: (slot: MetricSlot) => GPUBuffer | undefined): Promise<PassMetrics> {
    const slots = METRIC_STATE.filter((slot) => bufferOf(slot));
    const { device } = this.gpu;
    const staging = device.createBuffer({ size: Math.max(4, slots.length * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    slots.forEach((slot, i) => encoder.copyBufferToBuffer(bufferOf(slot)!, 0, staging, i * 4, 4));
    device.queue.submit([encoder.finish()]);
    for (const slot of slots) device.queue.writeBuffer(bufferOf(slot)!, 0, new Float32Array(1));
    await staging.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(staging.getMappedRange().slice(0));
    staging.destroy();
    const values = Object.fromEntries(slots.map((slot, i) => [slot, all[i]!])) as Partial<Record<MetricSlot, number>>;
    return metricsFromAccumulators(values, this.programs.metrics);
  }
}

// "2.9 s timing matmul variants", "matmul variants from the autotune cache", "matmul variants forced".
function tuningSummary(reports: TuningReport[]): string {
  const choices = reports.flatMap((r) => r.matmuls);
  const seconds = reports.reduce((total, r) => total + r.seconds, 0);
  if (choices.length === 0) return "no matmuls";
  if (choices.some((c) => c.source === "forced")) return `matmul variant forced (${[...new Set(choices.map((c) => c.variant))].join(", ")})`;
  if (seconds > 0) return `${seconds.toFixed(1)} s timing matmul variants`;
  return choices.every((c) => c.source === "cache") ? "matmul variants from the autotune cache" : "default matmul variants";
}

function missing(name: string): never {
  throw new InternalError(`no tensor named ${name}`);
}
