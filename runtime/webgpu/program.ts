// Runs an IR graph on a WebGPU device: the graph's program (compiler/codegen/wgsl/dispatches.ts)
// compiled into pipelines once, and for each set of symbolic-dim bindings the buffers, bind groups
// and workgroup counts, made on first use and reused, so a steady loop allocates nothing. A run
// uploads the fed inputs, encodes every dispatch into one compute pass, copies the updates that
// were not written in place into their resident tensors and the requested outputs into one
// mappable buffer, and submits once. It is the GPU counterpart of runtime/cpu/executor.ts,
// against which it is tested.
//
// Parameters and state may be resident: packed into arenas that outlive the program and are
// shared by the programs of one model (runtime/webgpu/backend.ts). A program reads them in place
// and writes its updates into them, in place where the plan allows, else after its last dispatch.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import { planProgram, type ProgramPlan, type ResidentPlace } from "../../compiler/codegen/wgsl/dispatches.ts";
import { workgroupGrid, workgroups, type Kernel } from "../../compiler/codegen/wgsl/kernels.ts";
import type { BufferRef, Place } from "../../compiler/codegen/wgsl/layout.ts";
import { concreteShape, type Graph, type IRNode } from "../../compiler/ir/graph.ts";
import type { Feeds } from "../cpu/types.ts";
import { checkBindingSize, type GpuContext } from "./device.ts";
import { chooseMatmulVariants, type TuneOptions, type TuningReport } from "./autotune.ts";
import { pipelineFor } from "./pipelines.ts";

export interface ProgramSpec {
  read: number[]; // nodes whose values come back from a run
  // Node values written into resident tensors (parameter and state updates).
  updates?: { node: number; target: ResidentPlace }[];
  // The resident arenas, and where a param or state source lives in them (null: feed it every run).
  resident?: { arenas: GPUBuffer[]; place: (source: IRNode) => ResidentPlace | null };
  // How matmuls are computed (runtime/webgpu/autotune.ts): "tune" (the default, unless the
  // NNC_MATMUL environment variable says otherwise), "default", or a variant's name.
  matmul?: string;
  tuneBindings?: Record<string, number>; // the symbolic dims to tune at (default 128 each)
}

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
  readonly kernels: Kernel[];
  private readonly plans = new Map<string, BufferPlan>();
  private readonly residentArenas: GPUBuffer[];

  private constructor(
    private readonly gpu: GpuContext,
    private readonly spec: { read: number[]; updates: { node: number; target: ResidentPlace }[] },
    readonly plan: ProgramPlan,
    private readonly pipelines: GPUComputePipeline[],
    private readonly arenas: GPUBuffer[], // the program's own arenas
    residentArenas: GPUBuffer[],
    readonly tuning: TuningReport, // which variant each matmul got, and why
    private readonly tuneWith: { graph: Graph; outputs: number[]; options: TuneOptions },
  ) {
    this.kernels = plan.kernels;
    this.residentArenas = residentArenas;
  }

  static async create(gpu: GpuContext, graph: Graph, spec: ProgramSpec | number[]): Promise<GpuProgram> {
    const options: ProgramSpec = Array.isArray(spec) ? { read: spec } : spec;
    const updates = options.updates ?? [];
    const outputs = [...options.read, ...updates.map((u) => u.node)];
    for (const id of outputs) if (!graph.nodes[id]) throw new InternalError(`no IR node ${id} to compute`);
    const { device } = gpu;
    const maxStorageBuffers = device.limits.maxStorageBuffersPerShaderStage;
    const tuneOptions: TuneOptions = { matmul: options.matmul, bindings: options.tuneBindings, maxStorageBuffers };
    const { variantOf, report } = await chooseMatmulVariants(gpu, graph, outputs, tuneOptions);
    const plan = planProgram(
      graph,
      { read: options.read, updates, resident: options.resident?.place ?? (() => null), maxBindingElements: Math.floor(device.limits.maxStorageBufferBindingSize / 4) },
      { maxStorageBuffers, matmulVariant: variantOf },
    );
    const pipelines = await Promise.all(plan.dispatches.map((d) => pipelineFor(device, d.code, d.name)));
    const arenas = plan.arenas.map((elements) => device.createBuffer({ size: Math.max(4, elements * 4), usage: STORAGE() }));
    return new GpuProgram(gpu, { read: options.read, updates }, plan, pipelines, arenas, options.resident?.arenas ?? [], report, { graph, outputs, options: tuneOptions });
  }

  // Times the matmul shapes this program took the default variant for (autotune.ts, "auto"), for
  // the programs of later runs, which find the choices in the cache; this one keeps its kernels.
  // Returns the report, or null when nothing was pending.
  async tunePending(budgetSeconds: number): Promise<TuningReport | null> {
    if (!this.tuning.matmuls.some((m) => m.source === "pending")) return null;
    const { graph, outputs, options } = this.tuneWith;
    return (await chooseMatmulVariants(this.gpu, graph, outputs, { ...options, matmul: "tune", budgetSeconds })).report;
  }

  get dispatchCount(): number {
    return this.plan.dispatches.length;
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
    const written = new Set(this.plan.dispatches.flatMap((d) => d.bindings.filter((b) => b.kind === "resident").map((b) => b.index)));
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

  // Encodes one run into `encoder` (the caller submits) and returns a function that, after the
  // submit, maps the read outputs and returns them.
  encode(encoder: GPUCommandEncoder, feeds: Pick<Feeds, "inputs"> & Partial<Feeds>, bindings: Record<string, number>, seed = 0): () => Promise<Float32Array[]> {
    const { device } = this.gpu;
    const plan = this.planFor(bindings);
    const { symbols, scalars } = this.plan.uniform;
    plan.dimValues[symbols.length] = seed >>> 0;
    scalars.forEach((name, k) => {
      const value = feeds.inputs[name];
      if (!value || value.length !== 1) throw new InternalError(`no value fed for the scalar ${name}`);
      plan.scalarValues[k] = value[0]!;
    });
    device.queue.writeBuffer(plan.dims, 0, plan.dimValues);
    for (const node of this.plan.fed) {
      const name = (node.attrs as { name: string }).name;
      const group = node.op === "input" ? feeds.inputs : node.op === "param" ? feeds.params : feeds.state;
      const value = group?.[name];
      if (!value) throw new InternalError(`no value fed for ${node.op} "${name}"`);
      if (value.length !== plan.sizes.get(node.id)) throw new InternalError(`${node.op} "${name}" has ${value.length} values, expected ${plan.sizes.get(node.id)}`);
      // An i32 input is uploaded as its bits (kernels convert it where they read it, emit.ts).
      if (!(value instanceof (node.dtype === "i32" ? Int32Array : Float32Array))) throw new InternalError(`the ${node.dtype} ${node.op} "${name}" was fed a ${value.constructor.name}`);
      const place = this.plan.places.get(node.id)!;
      if (value.length) device.queue.writeBuffer(this.buffer(plan, place.buffer), place.offset * 4, value);
    }
    encodeDispatches(encoder, plan.dispatches);
    for (const update of this.spec.updates) {
      if (this.plan.inPlace.has(update.node)) continue;
      const bytes = plan.sizes.get(update.node)! * 4;
      const from = this.placeOf(update.node);
      if (bytes) encoder.copyBufferToBuffer(this.buffer(plan, from.buffer), from.offset * 4, this.residentArenas[update.target.arena]!, update.target.offset * 4, bytes);
    }
    if (this.spec.read.length === 0) return async () => [];
    const staging = plan.staging.pop() ?? device.createBuffer({ size: Math.max(4, plan.readElements * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.spec.read.forEach((id, k) => {
      const bytes = plan.sizes.get(id)! * 4;
      const from = this.placeOf(id);
      if (bytes) encoder.copyBufferToBuffer(this.buffer(plan, from.buffer), from.offset * 4, staging, plan.readOffsets[k]! * 4, bytes);
    });
    return async () => {
      await staging.mapAsync(GPUMapMode.READ, 0, Math.max(4, plan.readElements * 4));
      const all = new Float32Array(staging.getMappedRange(0, Math.max(4, plan.readElements * 4)).slice(0));
      staging.unmap();
      plan.staging.push(staging);
      return this.spec.read.map((id, k) => all.slice(plan.readOffsets[k]!, plan.readOffsets[k]! + plan.sizes.get(id)!));
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

  private placeOf(id: number): Place {
    return this.plan.places.get(id) ?? missingPlace(id);
  }

  private buffer(plan: BufferPlan, ref: BufferRef): GPUBuffer {
    const buffers = ref.kind === "resident" ? this.residentArenas : ref.kind === "arena" ? this.arenas : plan.slots;
    return buffers[ref.index] ?? missingPlace(ref.index);
  }

  private planFor(bindings: Record<string, number>): BufferPlan {
    const key = this.plan.uniform.symbols.map((s) => bindings[s]).join(",");
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
    const { symbols, scalars } = this.plan.uniform;
    for (const s of symbols) if (bindings[s] === undefined) throw new InternalError(`symbolic dim ${s} is not bound`);
    const elements = (shape: IRNode["shape"]) => concreteShape(shape, bindings).reduce((a, b) => a * b, 1);
    const sizes = new Map<number, number>();
    for (const node of this.plan.order) {
      sizes.set(node.id, elements(node.shape));
      if (this.plan.materialized.has(node.id)) {
        checkBindingSize(device, Math.max(4, sizes.get(node.id)! * 4), `a tensor of the model, [${concreteShape(node.shape, bindings).join(", ")}] (${node.op}),`);
      }
    }
    let bytes = 0;
    const slots = this.plan.slots.map((shape) => {
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
    const dispatches = this.plan.dispatches.map((d, k) => {
      const entries: GPUBindGroupEntry[] = [];
      if (d.usesDims) entries.push({ binding: 0, resource: { buffer: dims } });
      for (const ref of d.bindings) entries.push({ binding: entries.length, resource: { buffer: this.buffer(partial, ref) } });
      const pipeline = this.pipelines[k]!;
      const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
      const total = d.kernels.reduce((sum, j) => sum + workgroups(this.kernels[j]!, concreteShape(this.kernels[j]!.count, bindings)), 0);
      return { pipeline, bindGroup, grid: workgroupGrid(total), total };
    });
    const readOffsets: number[] = [];
    let readElements = 0;
    for (const id of this.spec.read) {
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
