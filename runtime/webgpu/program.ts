// Runs a compiled program (compiler/codegen/wgsl/dispatches.ts: plain data, made by compile.ts
// or held by a generated module) on a WebGPU device: its pipelines made once, and for each set of
// symbolic-dim bindings the buffers, bind groups and workgroup counts, made on first use and
// reused, so a steady loop allocates nothing. A run uploads the fed inputs, encodes every
// dispatch into one compute pass, copies the updates that were not written in place into their
// resident tensors and the requested outputs into one mappable buffer, and submits once. It is the
// GPU counterpart of runtime/cpu/executor.ts, against which it is tested. Nothing here needs the
// compiler.
//
// Parameters and state may be resident: packed into arenas that outlive the program and are
// shared by the programs of one model (runtime/webgpu/backend.ts). A program reads them in place
// and writes its updates into them, in place where the plan allows, else after its last dispatch.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import type { CompiledProgram, CompiledValue } from "../../compiler/codegen/wgsl/dispatches.ts";
import type { BufferRef } from "../../compiler/codegen/wgsl/layout.ts";
import { concreteShape, type Shape } from "../../compiler/ir/graph.ts";
import type { Feeds } from "../cpu/types.ts";
import { checkBindingSize, type GpuContext } from "./device.ts";
import type { TuningReport } from "./autotune.ts";
import { pipelineFor } from "./pipelines.ts";
import { workgroupGrid, workgroups } from "../../compiler/codegen/wgsl/workgroups.ts";

interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: [number, number];
}

interface BufferPlan {
  slots: GPUBuffer[];
  sizes: Map<number, number>; // node → element count
  dispatches: Dispatch[];
  readOffsets: number[]; // where each read output starts in a staging buffer, in elements
  readElements: number;
  staging: GPUBuffer[]; // mappable buffers not in use
  dims: GPUBuffer;
  dimValues: Uint32Array; // the `dims` uniform: symbols, seed, then the scalars' f32 bits
  scalarValues: Float32Array; // a view of the scalars' part of dimValues
  bytes: number; // bytes of the slots
}

const MAX_PLANS = 4;
const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class GpuProgram {
  private readonly plans = new Map<string, BufferPlan>();
  private readonly values: Map<number, CompiledValue>;
  private readonly fed: CompiledValue[];

  private constructor(
    private readonly gpu: GpuContext,
    readonly compiled: CompiledProgram,
    private readonly pipelines: GPUComputePipeline[],
    private readonly arenas: GPUBuffer[], // the program's own arenas
    private readonly residentArenas: GPUBuffer[],
    readonly tuning: TuningReport | null, // which variant each matmul got, and why, when compiled here
  ) {
    this.values = new Map(compiled.values.map((v) => [v.node, v]));
    this.fed = compiled.values.filter((v) => v.fed);
  }

  // The program's pipelines and arenas on this device; `resident`: the model's arenas the
  // program's resident places refer to.
  static async load(gpu: GpuContext, compiled: CompiledProgram, options: { resident?: GPUBuffer[]; tuning?: TuningReport } = {}): Promise<GpuProgram> {
    const { device } = gpu;
    const pipelines = await Promise.all(compiled.dispatches.map((d) => pipelineFor(device, d.code, d.name)));
    const arenas = compiled.arenas.map((elements) => device.createBuffer({ size: Math.max(4, elements * 4), usage: STORAGE() }));
    return new GpuProgram(gpu, compiled, pipelines, arenas, options.resident ?? [], options.tuning ?? null);
  }

  get dispatchCount(): number {
    return this.compiled.dispatches.length;
  }

  get kernelCount(): number {
    return this.compiled.kernels.length;
  }

  // Dispatches every kernel once for these bindings, on whatever the buffers hold, and waits: a
  // software adapter (lavapipe) compiles a shader at its first dispatch, not when the pipeline is
  // made, so this moves that cost before the first step. The resident arenas the program writes
  // are copied aside first and back after, so the model is unchanged. Returns the seconds it took.
  async warm(bindings: Record<string, number>): Promise<number> {
    const started = performance.now();
    const { device } = this.gpu;
    const plan = this.planFor(bindings);
    device.queue.writeBuffer(plan.dims, 0, plan.dimValues);
    const written = new Set(this.compiled.dispatches.flatMap((d) => d.bindings.filter((b) => b.kind === "resident").map((b) => b.index)));
    const saved = [...written].map((index) => {
      const arena = this.residentArenas[index]!;
      return { arena, copy: device.createBuffer({ size: arena.size, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST }) };
    });
    const encoder = device.createCommandEncoder();
    for (const { arena, copy } of saved) encoder.copyBufferToBuffer(arena, 0, copy, 0, arena.size);
    encodeDispatches(encoder, plan.dispatches);
    for (const { arena, copy } of saved) encoder.copyBufferToBuffer(copy, 0, arena, 0, arena.size);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    for (const { copy } of saved) copy.destroy();
    return (performance.now() - started) / 1000;
  }

  // Runs dispatch `k` alone at these bindings, on whatever the buffers hold, and waits: the
  // milliseconds it took. On lavapipe the first call is mostly that dispatch's shader compile
  // (bench/compile-times.ts).
  async timeDispatch(k: number, bindings: Record<string, number>): Promise<number> {
    const started = performance.now();
    const { device } = this.gpu;
    const plan = this.planFor(bindings);
    device.queue.writeBuffer(plan.dims, 0, plan.dimValues);
    const encoder = device.createCommandEncoder();
    encodeDispatches(encoder, [plan.dispatches[k]!]);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - started;
  }

  // Encodes one run into `encoder` (the caller submits) and returns a function that, after the
  // submit, maps the read outputs and returns them.
  encode(encoder: GPUCommandEncoder, feeds: Pick<Feeds, "inputs"> & Partial<Feeds>, bindings: Record<string, number>, seed = 0): () => Promise<Float32Array[]> {
    const { device } = this.gpu;
    const plan = this.planFor(bindings);
    const { symbols, scalars } = this.compiled.uniform;
    plan.dimValues[symbols.length] = seed >>> 0;
    scalars.forEach((name, k) => {
      const value = feeds.inputs[name];
      if (!value || value.length !== 1) throw new InternalError(`no value fed for the scalar ${name}`);
      plan.scalarValues[k] = value[0]!;
    });
    device.queue.writeBuffer(plan.dims, 0, plan.dimValues);
    for (const value of this.fed) {
      const name = value.name!;
      const group = value.op === "input" ? feeds.inputs : value.op === "param" ? feeds.params : feeds.state;
      const data = group?.[name];
      if (!data) throw new InternalError(`no value fed for ${value.op} "${name}"`);
      if (data.length !== plan.sizes.get(value.node)) throw new InternalError(`${value.op} "${name}" has ${data.length} values, expected ${plan.sizes.get(value.node)}`);
      // An i32 input is uploaded as its bits (kernels convert it where they read it, emit.ts).
      if (!(data instanceof (value.dtype === "i32" ? Int32Array : Float32Array))) throw new InternalError(`the ${value.dtype} ${value.op} "${name}" was fed a ${data.constructor.name}`);
      if (data.length) device.queue.writeBuffer(this.buffer(plan, value.place.buffer), value.place.offset * 4, data);
    }
    encodeDispatches(encoder, plan.dispatches);
    for (const update of this.compiled.updates) {
      if (update.inPlace) continue;
      const bytes = plan.sizes.get(update.node)! * 4;
      const from = this.placeOf(update.node);
      if (bytes) encoder.copyBufferToBuffer(this.buffer(plan, from.buffer), from.offset * 4, this.residentArenas[update.target.arena]!, update.target.offset * 4, bytes);
    }
    const { read } = this.compiled;
    if (read.length === 0) return async () => [];
    const staging = plan.staging.pop() ?? device.createBuffer({ size: Math.max(4, plan.readElements * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    read.forEach((id, k) => {
      const bytes = plan.sizes.get(id)! * 4;
      const from = this.placeOf(id);
      if (bytes) encoder.copyBufferToBuffer(this.buffer(plan, from.buffer), from.offset * 4, staging, plan.readOffsets[k]! * 4, bytes);
    });
    return async () => {
      await staging.mapAsync(GPUMapMode.READ, 0, Math.max(4, plan.readElements * 4));
      const all = new Float32Array(staging.getMappedRange(0, Math.max(4, plan.readElements * 4)).slice(0));
      staging.unmap();
      plan.staging.push(staging);
      return read.map((id, k) => all.slice(plan.readOffsets[k]!, plan.readOffsets[k]! + plan.sizes.get(id)!));
    };
  }

  // One run on its own: encode, submit, read.
  async run(feeds: Feeds, bindings: Record<string, number>, seed = 0): Promise<Float32Array[]> {
    const encoder = this.gpu.device.createCommandEncoder();
    const read = this.encode(encoder, feeds, bindings, seed);
    this.gpu.device.queue.submit([encoder.finish()]);
    return read();
  }

  // The bytes of the buffers the program owns at these bindings (for stats).
  plannedBytes(bindings: Record<string, number>): number {
    return this.planFor(bindings).bytes + this.arenas.reduce((total, a) => total + a.size, 0);
  }

  destroy(): void {
    for (const plan of this.plans.values()) destroyPlan(plan);
    this.plans.clear();
    for (const arena of this.arenas) arena.destroy();
  }

  private placeOf(id: number): CompiledValue["place"] {
    return this.values.get(id)?.place ?? missingPlace(id);
  }

  private buffer(plan: BufferPlan, ref: BufferRef): GPUBuffer {
    const buffers = ref.kind === "resident" ? this.residentArenas : ref.kind === "arena" ? this.arenas : plan.slots;
    return buffers[ref.index] ?? missingPlace(ref.index);
  }

  private planFor(bindings: Record<string, number>): BufferPlan {
    const key = this.compiled.uniform.symbols.map((s) => bindings[s]).join(",");
    let plan = this.plans.get(key);
    if (plan) this.plans.delete(key);
    else {
      plan = this.buildPlan(bindings);
      if (this.plans.size >= MAX_PLANS) {
        const oldest = this.plans.keys().next().value!;
        destroyPlan(this.plans.get(oldest)!);
        this.plans.delete(oldest);
      }
    }
    this.plans.set(key, plan);
    return plan;
  }

  private buildPlan(bindings: Record<string, number>): BufferPlan {
    const { device } = this.gpu;
    const { symbols, scalars } = this.compiled.uniform;
    for (const s of symbols) if (bindings[s] === undefined) throw new InternalError(`symbolic dim ${s} is not bound`);
    const elements = (shape: Shape) => concreteShape(shape, bindings).reduce((a, b) => a * b, 1);
    const sizes = new Map<number, number>();
    for (const value of this.compiled.values) {
      sizes.set(value.node, elements(value.shape));
      checkBindingSize(device, Math.max(4, sizes.get(value.node)! * 4), `a tensor of the model, [${concreteShape(value.shape, bindings).join(", ")}] (${value.op}),`);
    }
    let bytes = 0;
    const slots = this.compiled.slots.map((shape) => {
      const size = Math.max(4, elements(shape) * 4);
      bytes += size;
      return device.createBuffer({ size, usage: STORAGE() });
    });
    // The Dims struct: symbols, the seed, the scalars; padded to 16 bytes.
    const dimValues = new Uint32Array(Math.ceil((symbols.length + 1 + scalars.length) / 4) * 4 || 4);
    symbols.forEach((s, i) => (dimValues[i] = bindings[s]!));
    const scalarValues = new Float32Array(dimValues.buffer, (symbols.length + 1) * 4, scalars.length);
    const dims = device.createBuffer({ size: dimValues.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const partial = { slots } as BufferPlan;
    const dispatches = this.compiled.dispatches.map((d, k) => {
      const entries: GPUBindGroupEntry[] = [];
      if (d.usesDims) entries.push({ binding: 0, resource: { buffer: dims } });
      for (const ref of d.bindings) entries.push({ binding: entries.length, resource: { buffer: this.buffer(partial, ref) } });
      const pipeline = this.pipelines[k]!;
      const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
      const total = d.kernels.reduce((sum, kernel) => sum + workgroups(kernel, concreteShape(kernel.count, bindings)), 0);
      return { pipeline, bindGroup, grid: workgroupGrid(total), total };
    });
    const readOffsets: number[] = [];
    let readElements = 0;
    for (const id of this.compiled.read) {
      readOffsets.push(readElements);
      readElements += sizes.get(id)!;
    }
    return { slots, sizes, dispatches: dispatches.filter((d) => d.total > 0), readOffsets, readElements, staging: [], dims, dimValues, scalarValues, bytes };
  }
}

// Every dispatch of a plan, in order, in one compute pass (WebGPU orders the dispatches of a pass).
function encodeDispatches(encoder: GPUCommandEncoder, dispatches: Dispatch[]): void {
  if (dispatches.length === 0) return;
  const pass = encoder.beginComputePass();
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.grid[0], d.grid[1]);
  }
  pass.end();
}

function destroyPlan(plan: BufferPlan): void {
  for (const buffer of plan.slots) buffer.destroy();
  for (const buffer of plan.staging) buffer.destroy();
  plan.dims.destroy();
}

function missingPlace(id: number): never {
  throw new InternalError(`value ${id} has no buffer`);
}
