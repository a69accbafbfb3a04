// Runs an IR graph on a WebGPU device: the graph's kernels (compiler/codegen/wgsl) compiled into
// pipelines once, and for each set of symbolic-dim bindings a plan of buffers, bind groups and
// workgroup counts, built on first use and reused, so a steady loop allocates nothing. A run
// uploads the fed inputs, encodes every dispatch into one compute pass, copies updated tensors
// into their resident buffers and the requested outputs into one mappable buffer, and submits
// once. It is the GPU counterpart of runtime/cpu/executor.ts, against which it is tested.
//
// Parameters and state may be resident: buffers that outlive the program and are shared by the
// programs of one model (runtime/webgpu/backend.ts). A program then reads them in place and
// writes its updates back to them after all its kernels ran, so every kernel saw the old values.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import { planKernels, workgroupGrid, type Kernel, type KernelPlan } from "../../compiler/codegen/wgsl/kernels.ts";
import { concreteShape, type Graph, type IRNode } from "../../compiler/ir/graph.ts";
import type { Feeds } from "../cpu/types.ts";
import { checkBindingSize, type GpuContext } from "./device.ts";
import { shareBuffers } from "../../compiler/codegen/wgsl/buffers.ts";
import { chooseMatmulVariants, type TuningReport } from "./autotune.ts";
import { pipelineFor } from "./pipelines.ts";

export interface ProgramSpec {
  read: number[]; // nodes whose values come back from a run
  // Node values copied into resident buffers after the kernels (parameter and state updates).
  updates?: { node: number; target: GPUBuffer }[];
  // The resident buffer of a param or state source, or null to feed it every run.
  resident?: (source: IRNode) => GPUBuffer | null;
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
  buffers: Map<number, GPUBuffer>; // materialized node → its buffer
  owned: GPUBuffer[]; // the buffers this plan created (not the resident ones)
  sizes: Map<number, number>; // node → element count
  dispatches: Dispatch[];
  readOffsets: number[]; // where each read output starts in a staging buffer, in elements
  readElements: number;
  staging: GPUBuffer[]; // mappable buffers not in use
  dims: GPUBuffer;
  dimValues: Uint32Array; // the `dims` uniform: symbols, seed, then the scalars' f32 bits
  scalarValues: Float32Array; // a view of the scalars' part of dimValues
  bytes: number; // bytes of the buffers this plan allocated
}

const SOURCE_OPS = new Set(["input", "param", "state"]);
const MAX_PLANS = 4;
const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

type FullSpec = Required<Omit<ProgramSpec, "matmul" | "tuneBindings">>;

export class GpuProgram {
  readonly kernels: Kernel[];
  private readonly plans = new Map<string, BufferPlan>();
  private readonly fedSources: IRNode[];

  private constructor(
    private readonly gpu: GpuContext,
    private readonly spec: FullSpec,
    readonly plan: KernelPlan,
    private readonly pipelines: GPUComputePipeline[],
    readonly tuning: TuningReport, // which variant each matmul got, and why
  ) {
    this.kernels = plan.kernels;
    this.fedSources = plan.order.filter((n) => SOURCE_OPS.has(n.op) && plan.materialized.has(n.id) && !spec.resident(n));
  }

  static async create(gpu: GpuContext, graph: Graph, spec: ProgramSpec | number[]): Promise<GpuProgram> {
    const full: FullSpec = Array.isArray(spec)
      ? { read: spec, updates: [], resident: () => null }
      : { read: spec.read, updates: spec.updates ?? [], resident: spec.resident ?? (() => null) };
    const outputs = [...full.read, ...full.updates.map((u) => u.node)];
    for (const id of outputs) if (!graph.nodes[id]) throw new InternalError(`no IR node ${id} to compute`);
    const maxStorageBuffers = gpu.device.limits.maxStorageBuffersPerShaderStage;
    const options: ProgramSpec = Array.isArray(spec) ? { read: spec } : spec;
    const { variantOf, report } = await chooseMatmulVariants(gpu, graph, outputs, { matmul: options.matmul, bindings: options.tuneBindings, maxStorageBuffers });
    const plan = planKernels(graph, outputs, { maxStorageBuffers, matmulVariant: variantOf });
    const pipelines = await Promise.all(plan.kernels.map((k) => pipelineFor(gpu.device, k.code, k.name)));
    return new GpuProgram(gpu, full, plan, pipelines, report);
  }

  // Dispatches every kernel once for these bindings, on whatever the buffers hold, and waits: a
  // software adapter (lavapipe) compiles a shader at its first dispatch, not when the pipeline is
  // made, so this moves that cost before the first step. Nothing is copied back or into resident
  // tensors (kernels only write the program's own buffers), so the model is unchanged. Returns the
  // seconds it took.
  async warm(bindings: Record<string, number>): Promise<number> {
    const started = performance.now();
    const { device } = this.gpu;
    const plan = this.planFor(bindings);
    device.queue.writeBuffer(plan.dims, 0, plan.dimValues);
    const encoder = device.createCommandEncoder();
    encodeDispatches(encoder, plan.dispatches);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
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
    for (const node of this.fedSources) {
      const name = (node.attrs as { name: string }).name;
      const group = node.op === "input" ? feeds.inputs : node.op === "param" ? feeds.params : feeds.state;
      const value = group?.[name];
      if (!value) throw new InternalError(`no value fed for ${node.op} "${name}"`);
      if (value.length !== plan.sizes.get(node.id)) throw new InternalError(`${node.op} "${name}" has ${value.length} values, expected ${plan.sizes.get(node.id)}`);
      if (value.length) device.queue.writeBuffer(plan.buffers.get(node.id)!, 0, value instanceof Float32Array ? value : Float32Array.from(value));
    }
    encodeDispatches(encoder, plan.dispatches);
    for (const update of this.spec.updates) {
      const bytes = plan.sizes.get(update.node)! * 4;
      const source = plan.buffers.get(update.node)!;
      if (bytes && source !== update.target) encoder.copyBufferToBuffer(source, 0, update.target, 0, bytes);
    }
    if (this.spec.read.length === 0) return async () => [];
    const staging = plan.staging.pop() ?? device.createBuffer({ size: Math.max(4, plan.readElements * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.spec.read.forEach((id, k) => {
      const bytes = plan.sizes.get(id)! * 4;
      if (bytes) encoder.copyBufferToBuffer(plan.buffers.get(id)!, 0, staging, plan.readOffsets[k]! * 4, bytes);
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

  // The bytes of the buffers planned for these bindings (for `nnc compile --stats`).
  plannedBytes(bindings: Record<string, number>): number {
    return this.planFor(bindings).bytes;
  }

  destroy(): void {
    for (const plan of this.plans.values()) destroyPlan(plan);
    this.plans.clear();
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
    const sizes = new Map<number, number>();
    const buffers = new Map<number, GPUBuffer>();
    const owned: GPUBuffer[] = [];
    let bytes = 0;
    const size = (node: IRNode) => concreteShape(node.shape, bindings).reduce((a, b) => a * b, 1);
    const allocate = (byteLength: number) => {
      bytes += byteLength;
      const buffer = device.createBuffer({ size: byteLength, usage: STORAGE() });
      owned.push(buffer);
      return buffer;
    };
    for (const node of this.plan.order) {
      sizes.set(node.id, size(node));
      if (!this.plan.materialized.has(node.id)) continue;
      checkBindingSize(device, Math.max(4, sizes.get(node.id)! * 4), `a tensor of the model, [${concreteShape(node.shape, bindings).join(", ")}] (${node.op}),`);
      if (!SOURCE_OPS.has(node.op)) continue;
      buffers.set(node.id, this.spec.resident(node) ?? allocate(Math.max(4, sizes.get(node.id)! * 4)));
    }
    // Kernel outputs share buffers by liveness; what is read back or copied after the pass keeps its own.
    const keep = new Set([...this.spec.read, ...this.spec.updates.map((u) => u.node)]);
    const sharing = shareBuffers(this.plan, keep, (id) => Math.max(4, sizes.get(id)! * 4));
    const slots = sharing.slotBytes.map((byteLength) => allocate(byteLength));
    for (const [id, slot] of sharing.slotOf) buffers.set(id, slots[slot]!);
    // The Dims struct: symbols, the seed, the scalars; padded to 16 bytes.
    const dimValues = new Uint32Array(Math.ceil((symbols.length + 1 + scalars.length) / 4) * 4 || 4);
    symbols.forEach((s, i) => (dimValues[i] = bindings[s]!));
    const scalarValues = new Float32Array(dimValues.buffer, (symbols.length + 1) * 4, scalars.length);
    const dims = device.createBuffer({ size: dimValues.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const dispatches = this.plan.kernels.map((kernel, k) => {
      const entries: GPUBindGroupEntry[] = [];
      if (kernel.usesDims) entries.push({ binding: 0, resource: { buffer: dims } });
      for (const id of [...kernel.reads, ...kernel.outputs]) entries.push({ binding: entries.length, resource: { buffer: buffers.get(id)! } });
      const pipeline = this.pipelines[k]!;
      const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
      const count = concreteShape(kernel.count, bindings);
      return { pipeline, bindGroup, grid: workgroupGrid(kernel, count), elements: count.reduce((a, b) => a * b, 1) };
    });
    const readOffsets: number[] = [];
    let readElements = 0;
    for (const id of this.spec.read) {
      readOffsets.push(readElements);
      readElements += sizes.get(id)!;
    }
    return { buffers, owned, sizes, dispatches: dispatches.filter((d) => d.elements > 0), readOffsets, readElements, staging: [], dims, dimValues, scalarValues, bytes };
  }
}

// Every kernel of a plan, in order, in one compute pass (WebGPU orders the dispatches of a pass).
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
  for (const buffer of plan.owned) buffer.destroy();
  for (const buffer of plan.staging) buffer.destroy();
  plan.dims.destroy();
}
