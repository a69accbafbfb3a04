// WebGPU as a training backend: the model's parameters, batch-norm statistics, optimizer slots
// and metric accumulators live in GPU buffers for the whole run, packed into a few arenas
// (compiler/codegen/wgsl/layout.ts) so that one binding reaches all of them, and the compiled programs
// (compiler/step/programs.ts) run on them. A training step is one command buffer and one submit;
// the only thing read back per step is a few bytes (the loss and the running accuracy), mapped
// asynchronously so the next step is already queued when the loop awaits it.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import { metricsFromAccumulators, metricStateName, METRIC_STATE, type MetricSlot } from "../../compiler/step/metrics.ts";
import { batchFeeds, graphIo, stepOutputs, type GraphIo, type ModelPrograms } from "../../compiler/step/programs.ts";
import { targetFeed, type Dataset } from "../data/dataset.ts";
import { concatFlat, type StepResult, type TensorState, type TrainingBackend, type TrainingBatch } from "../train/backend.ts";
import type { PassMetrics } from "../train/metrics.ts";
import type { CompiledProgram } from "../../compiler/codegen/wgsl/dispatches.ts";
import type { TuningReport } from "./autotune.ts";
import { adapterName, checkBindingSize, GpuLimitError, GpuLostError, type GpuContext } from "./device.ts";
import { GpuProgram } from "./program.ts";
import { EVAL, programRequest, residentLayout, type ProgramRequest, type ResidentLayout, type ResidentTensor } from "./resident.ts";

export type { ProgramKey, ProgramRequest } from "./resident.ts";

// Where the backend's programs come from: compiled on this device from the model's graphs
// (compile.ts, `compilingSource`) or compiled ahead of time (a generated module, which ignores
// the graph and looks the program up by its key). The requests, and the arenas the programs
// address, come from resident.ts, which `nnc compile` uses too.
export interface ProgramSource {
  program(request: ProgramRequest): Promise<{ program: CompiledProgram; tuning?: TuningReport }>;
  // The largest resident arena the programs were planned for, in elements (default: what the
  // device allows): programs compiled ahead of time address the arenas at fixed offsets, so the
  // backend must pack the model's tensors as the compiler did.
  maxArenaElements?: number;
  // Time the kernel variants the programs did not have timings for, for the next run.
  tunePending?(budgetSeconds: number): Promise<string | null>;
}

export class WebGpuBackend implements TrainingBackend {
  readonly kind = "webgpu" as const;
  readonly description: string;
  private gradientProgram: GpuProgram | null = null;
  private readonly predictPrograms = new Map<string, GpuProgram>();
  private lastGradNorms: Record<string, number> = {};
  private lost: string | null = null; // why the device was lost, once it was
  private warmSeconds: number | null = null; // the warm-up's time, when there was one
  private disposed = false;
  private readonly io: { step: GraphIo; evaluation: GraphIo; inference: GraphIo };
  // The inputs of every step, built once: the batch's arrays and one array per scalar input.
  private readonly stepInputs: Record<string, Float32Array | Int32Array> = {};

  private constructor(
    private readonly gpu: GpuContext,
    private readonly source: ProgramSource,
    private readonly programs: ModelPrograms,
    private readonly arenas: GPUBuffer[],
    private readonly layout: ResidentLayout, // params, state, slots, metrics (EVAL's too)
    private readonly stepProgram: GpuProgram,
    private readonly stepReads: string[], // names of what a step reads back, in stepProgram's order
    private readonly evalProgram: GpuProgram,
  ) {
    this.description = `WebGPU on ${adapterName(gpu.adapter)}`;
    this.io = { step: graphIo(programs.step.graph), evaluation: graphIo(programs.evaluation), inference: graphIo(programs.inference) };
    for (const name of programs.step.scalars) this.stepInputs[name] = new Float32Array(1);
    void gpu.device.lost.then((info) => {
      if (!this.disposed) this.lost = info.message || String(info.reason ?? "no reason given");
    });
  }

  // Creates the arenas, uploads the starting weights and compiles every pipeline. `warmBatch`:
  // dispatch every kernel once at this batch size before returning (GpuProgram.warm), so the
  // first step does not pay for compiling shaders (lavapipe compiles at the first dispatch).
  static async create(
    gpu: GpuContext,
    source: ProgramSource,
    programs: ModelPrograms,
    initial: { params: Float32Array[]; state: Float32Array[] },
    options: { warmBatch?: number } = {},
  ): Promise<WebGpuBackend> {
    const { device } = gpu;
    const deviceLimit = Math.floor(device.limits.maxStorageBufferBindingSize / 4);
    if ((source.maxArenaElements ?? 0) > deviceLimit) throw new GpuLimitError(`the model was compiled for storage bindings of ${source.maxArenaElements! * 4} bytes, and this device allows ${deviceLimit * 4}`);
    const layout = residentLayout(programs, source.maxArenaElements ?? deviceLimit);
    for (const t of layout.tensors.values()) checkBindingSize(device, t.size * 4, `\`${t.name}\` [${t.shape.join(", ")}]`);
    const arenas = layout.arenas.map((elements, k) =>
      device.createBuffer({ label: `resident arena ${k}`, size: Math.max(4, elements * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST }),
    );
    for (const t of layout.tensors.values()) {
      const values = "param" in t.start ? initial.params[t.start.param]! : "state" in t.start ? initial.state[t.start.state]! : new Float32Array(t.size).fill(t.start.fill);
      if (t.size) device.queue.writeBuffer(arenas[t.arena]!, t.offset * 4, values);
    }

    const load = async (request: ProgramRequest) => {
      const { program, tuning } = await source.program(request);
      return GpuProgram.load(gpu, program, { resident: arenas, tuning });
    };
    const stepProgram = await load(programRequest(programs, layout, "step"));
    const evalProgram = await load(programRequest(programs, layout, "evaluation"));
    const reads = stepOutputs(programs.step.graph).read.map((r) => r.name);
    const backend = new WebGpuBackend(gpu, source, programs, arenas, layout, stepProgram, reads, evalProgram);
    if (options.warmBatch) {
      backend.warmSeconds =
        (await stepProgram.warm({ [backend.io.step.batchDim]: options.warmBatch })) + (await evalProgram.warm({ [backend.io.evaluation.batchDim]: options.warmBatch }));
    }
    return backend;
  }

  step(batch: TrainingBatch, scalars: Record<string, number>, seed: number): Promise<StepResult> {
    // Everything up to the submit runs now, before the returned promise is awaited: the loop
    // reuses the batch's arrays for the next batch.
    return this.guard(async () => {
      const inputs = this.stepInputs;
      if (this.io.step.input !== null) inputs[this.io.step.input] = batch.features;
      if (this.io.step.target !== null) inputs[this.io.step.target] = batch.targets;
      for (const name in scalars) (inputs[name] ??= new Float32Array(1))[0] = scalars[name]!;
      const encoder = this.gpu.device.createCommandEncoder();
      const read = this.stepProgram.encode(encoder, { inputs }, { [this.io.step.batchDim]: batch.size }, seed);
      this.gpu.device.queue.submit([encoder.finish()]);
      const values = new Map((await read()).map((v, i) => [this.stepReads[i]!, v[0]!]));
      this.lastGradNorms = {};
      for (const [name, value] of values) if (name.startsWith("grad_norm:")) this.lastGradNorms[name.slice("grad_norm:".length)] = value;
      const correct = values.get(metricStateName("correct"));
      const examples = values.get(metricStateName("examples")) ?? 0;
      return { loss: values.get("loss")!, accuracy: correct === undefined ? null : correct / Math.max(examples, 1) };
    });
  }

  takeMetrics(): Promise<PassMetrics> {
    return this.guard(() => this.drainMetrics(""));
  }

  async gradNorms(): Promise<Record<string, number>> {
    return { ...this.lastGradNorms };
  }

  lossAndGradient(batch: TrainingBatch, seed: number): Promise<{ loss: number; gradient: Float32Array }> {
    return this.guard(async () => {
      this.gradientProgram ??= await this.load(programRequest(this.programs, this.layout, "gradient"));
      const inputs = batchFeeds<Float32Array | Int32Array>(this.io.step, batch.features, batch.targets);
      const [loss, ...grads] = await this.gradientProgram.run({ inputs, params: {}, state: {} }, { [this.io.step.batchDim]: batch.size }, seed);
      return { loss: loss![0]!, gradient: concatFlat(grads) };
    });
  }

  readFlatParams(): Promise<Float32Array> {
    return this.guard(async () => concatFlat(await this.download(this.programs.params.map((p) => p.name))));
  }

  writeFlatParams(values: Float32Array): Promise<void> {
    return this.guard(async () => {
      let offset = 0;
      for (const p of this.programs.params) {
        const tensor = this.layout.tensors.get(p.name) ?? missing(p.name);
        this.write(tensor, values.subarray(offset, offset + tensor.size));
        offset += tensor.size;
      }
    });
  }

  evaluate(dataset: Dataset, batchSize: number): Promise<PassMetrics> {
    return this.guard(async () => {
      const io = this.io.evaluation;
      for (const slot of METRIC_STATE) this.zero(EVAL + metricStateName(slot));
      const size = Math.max(1, Math.min(batchSize, dataset.n));
      const targets = targetFeed(dataset); // class labels as the i32 target takes them
      for (let start = 0; start < dataset.n; start += size) {
        const n = Math.min(size, dataset.n - start);
        const inputs = batchFeeds<Float32Array | Int32Array>(
          io,
          dataset.features.subarray(start * dataset.featureSize, (start + n) * dataset.featureSize),
          targets.subarray(start * dataset.targetSize, (start + n) * dataset.targetSize),
        );
        const encoder = this.gpu.device.createCommandEncoder();
        this.evalProgram.encode(encoder, { inputs }, { [io.batchDim]: n });
        this.gpu.device.queue.submit([encoder.finish()]);
      }
      return this.drainMetrics(EVAL);
    });
  }

  predict(features: Float32Array, n: number, output: string): Promise<Float32Array> {
    return this.guard(async () => {
      let program = this.predictPrograms.get(output);
      if (!program) {
        program = await this.load(programRequest(this.programs, this.layout, `predict:${output}`));
        this.predictPrograms.set(output, program);
      }
      const io = this.io.inference;
      const [result] = await program.run({ inputs: batchFeeds<Float32Array>(io, features), params: {}, state: {} }, { [io.batchDim]: n });
      return result!;
    });
  }

  readState(): Promise<TensorState> {
    return this.guard(async () => {
      const names = {
        params: this.programs.params.map((p) => p.name),
        state: this.programs.modelState,
        slots: this.programs.step.slots.map((s) => s.state),
      };
      const values = await this.download([...names.params, ...names.state, ...names.slots]);
      const take = (list: string[], offset: number) => Object.fromEntries(list.map((name, i) => [name, values[offset + i]!]));
      return { params: take(names.params, 0), state: take(names.state, names.params.length), slots: take(names.slots, names.params.length + names.state.length) };
    });
  }

  writeState(values: Partial<TensorState>): Promise<void> {
    return this.guard(async () => {
      for (const group of [values.params, values.state, values.slots]) {
        for (const [name, value] of Object.entries(group ?? {})) {
          const tensor = this.layout.tensors.get(name);
          if (!tensor || tensor.size !== value.length) throw new InternalError(`cannot write ${name} (${value.length} values)`);
          this.write(tensor, value);
        }
      }
    });
  }

  stats(batch: number): Record<string, number | string> {
    return {
      plannedBytes: this.stepProgram.plannedBytes({ [this.io.step.batchDim]: batch }),
      dispatches: this.stepProgram.dispatchCount,
      submits: 1,
      kernels: this.stepProgram.kernelCount,
      pipelines: this.stepProgram.dispatchCount + this.evalProgram.dispatchCount,
      warmSeconds: this.warmSeconds ?? -1,
      adapter: adapterName(this.gpu.adapter),
      // How the matmul variants were chosen when the programs were created, and which.
      tuningSeconds: (this.stepProgram.tuning?.seconds ?? 0) + (this.evalProgram.tuning?.seconds ?? 0),
      tuning: tuningSummary([this.stepProgram.tuning, this.evalProgram.tuning]),
      matmulVariants: (this.stepProgram.tuning?.matmuls ?? []).map((m) => `${m.shape}: ${m.variant}`).join("; "),
    };
  }

  // Times the matmul shapes that ran in the default variant because they were never timed on
  // this adapter, within `budgetSeconds`, so that the next run finds them in the autotune cache.
  // Returns a line for the user, or null when there was nothing to time.
  tunePending(budgetSeconds: number): Promise<string | null> {
    return this.guard(async () => (this.source.tunePending ? this.source.tunePending(budgetSeconds) : null));
  }

  dispose(): void {
    this.disposed = true;
    this.stepProgram.destroy();
    this.evalProgram.destroy();
    this.gradientProgram?.destroy();
    for (const p of this.predictPrograms.values()) p.destroy();
    for (const arena of this.arenas) arena.destroy();
  }

  // Runs `work`, turning any failure after the device was lost into a GpuLostError: a lost device
  // rejects mappings and validation, and what the user needs to know is that the device is gone.
  // `work` runs at once, up to its first await.
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

  private async load(request: ProgramRequest): Promise<GpuProgram> {
    const { program, tuning } = await this.source.program(request);
    return GpuProgram.load(this.gpu, program, { resident: this.arenas, tuning });
  }

  private write(tensor: ResidentTensor, values: Float32Array): void {
    if (tensor.size) this.gpu.device.queue.writeBuffer(this.arenas[tensor.arena]!, tensor.offset * 4, values);
  }

  private zero(name: string): void {
    const tensor = this.layout.tensors.get(name);
    if (tensor) this.write(tensor, new Float32Array(tensor.size));
  }

  // Copies of named resident tensors, read back with one submit.
  private async download(names: string[]): Promise<Float32Array[]> {
    const { device } = this.gpu;
    const tensors = names.map((name) => this.layout.tensors.get(name) ?? missing(name));
    const offsets: number[] = [];
    let total = 0;
    for (const tensor of tensors) {
      offsets.push(total);
      total += tensor.size;
    }
    const staging = device.createBuffer({ size: Math.max(4, total * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    tensors.forEach((tensor, i) => {
      if (tensor.size) encoder.copyBufferToBuffer(this.arenas[tensor.arena]!, tensor.offset * 4, staging, offsets[i]! * 4, tensor.size * 4);
    });
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(staging.getMappedRange().slice(0));
    staging.destroy();
    return tensors.map((tensor, i) => all.slice(offsets[i]!, offsets[i]! + tensor.size));
  }

  // The metrics accumulated under `prefix` (training's: "", the evaluation's: EVAL), then zeroed.
  private async drainMetrics(prefix: string): Promise<PassMetrics> {
    const slots = METRIC_STATE.filter((slot) => this.layout.tensors.has(prefix + metricStateName(slot)));
    const read = await this.download(slots.map((slot) => prefix + metricStateName(slot)));
    for (const slot of slots) this.zero(prefix + metricStateName(slot));
    const values = Object.fromEntries(slots.map((slot, i) => [slot, read[i]![0]!])) as Partial<Record<MetricSlot, number>>;
    return metricsFromAccumulators(values, this.programs.metrics);
  }
}

// "2.9 s timing matmul variants", "matmul variants from the autotune cache", "matmul variants forced".
function tuningSummary(given: (TuningReport | null)[]): string {
  const reports = given.filter((r): r is TuningReport => r !== null);
  if (reports.length === 0) return "matmul variants compiled ahead of time";
  const choices = reports.flatMap((r) => r.matmuls);
  const seconds = reports.reduce((total, r) => total + r.seconds, 0);
  if (choices.length === 0) return "no matmuls";
  if (choices.some((c) => c.source === "forced")) return `matmul variant forced (${[...new Set(choices.map((c) => c.variant))].join(", ")})`;
  if (seconds > 0) return `${seconds.toFixed(1)} s timing matmul variants`;
  if (choices.every((c) => c.source === "cache")) return "matmul variants from the autotune cache";
  const pending = new Set(choices.filter((c) => c.source === "pending").map((c) => c.shape)).size;
  return pending ? `default matmul variants for ${pending} shape${pending === 1 ? "" : "s"} not timed on this adapter yet (timed after training)` : "default matmul variants";
}

function missing(name: string): never {
  throw new InternalError(`no tensor named ${name}`);
}
