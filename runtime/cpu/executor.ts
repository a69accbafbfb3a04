// Runs an IR graph on the CPU. A CpuProgram is compiled once from a graph and the node ids it
// must produce: it keeps only the nodes those outputs need, in topological order. Each run binds
// the symbolic dims (from the given bindings, and from the sizes of the fed inputs), takes the
// buffer plan for those bindings (built on first use and cached, so a steady training loop
// allocates no tensors), and replays its steps: one reference kernel per node, or one generated
// loop per group of fused elementwise nodes.
//
// Fed arrays must match their node's dtype: an i32 input (class labels) takes an Int32Array, an
// f32 input, parameter or state a Float32Array or Float64Array. Anything else is an InternalError:
// the data pipeline and the backends build these arrays, never the user.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import type { DType, Graph, IRNode } from "../../compiler/ir/graph.ts";
import { cpuKernel } from "./kernels.ts";
import { buildPlan, type Plan } from "./plan.ts";
import type { Feeds, RunEnv, TensorArray } from "./types.ts";

export interface CpuProgramOptions {
  // "f32" for training and inference; "f64" for gradient checks (f32 feeds and results are then
  // Float64Array; Float32Array feeds are converted). i32 nodes are Int32Array in both.
  precision?: "f32" | "f64";
  // Whether chains of elementwise nodes run as one generated loop (runtime/cpu/fuse.ts); the
  // results are the same bits either way. Off, every node runs its reference kernel.
  fuse?: boolean;
}

// Plans for this many different bindings are kept (a full batch and a last partial batch, an
// evaluation batch, …); the least recently used one is dropped beyond that.
const MAX_PLANS = 4;

export class CpuProgram {
  readonly precision: "f32" | "f64";
  readonly fuse: boolean;
  private readonly order: IRNode[];
  private readonly outputs: number[];
  private readonly symbols: string[];
  private readonly plans = new Map<string, Plan>();
  private readonly env: RunEnv;

  constructor(graph: Graph, outputs: number[], options: CpuProgramOptions = {}) {
    this.precision = options.precision ?? "f32";
    this.fuse = options.fuse ?? true;
    this.outputs = [...outputs];
    const needed = new Uint8Array(graph.nodes.length);
    for (const id of outputs) {
      if (!graph.nodes[id]) throw new InternalError(`no IR node ${id} to compute`);
      needed[id] = 1;
    }
    for (let id = graph.nodes.length - 1; id >= 0; id--) {
      if (needed[id]) for (const input of graph.nodes[id]!.inputs) needed[input] = 1;
    }
    this.order = graph.nodes.filter((node) => needed[node.id]);
    const symbols = new Set<string>();
    for (const node of this.order) for (const d of node.shape) if (typeof d === "string") symbols.add(d);
    this.symbols = [...symbols].sort();
    this.env = { feeds: { inputs: {}, params: {}, state: {} }, seed: 0 };
  }

  // Computes the requested outputs, one array per output in the order given to the constructor.
  // The arrays belong to the program: they are overwritten by the next run with the same
  // bindings, so copy what must be kept. `bindings` may leave out dims that a fed input's size
  // determines (e.g. the batch size B of x: [B, 784]).
  // `seed` draws the dropout masks (the same masks on every backend, runtime/random.ts).
  run(feeds: Feeds, bindings: Record<string, number>, seed = 0): TensorArray[] {
    const plan = this.planFor(this.bind(feeds, bindings));
    this.env.feeds = feeds;
    this.env.seed = seed >>> 0;
    const results = plan.results.slice();
    // Sources read the fed array in place when its type is their buffer's, else a converted copy.
    for (const source of plan.sources) {
      const { call } = source;
      const attrs = call.node.attrs as { name: string };
      const group: Record<string, TensorArray> = call.node.op === "input" ? feeds.inputs : call.node.op === "param" ? feeds.params : feeds.state;
      const fed = group[attrs.name];
      if (fed) checkFed(call.node, attrs.name, fed);
      let value: TensorArray = call.out;
      if (fed && fed.constructor === call.out.constructor && fed.length === call.out.length) value = fed;
      else cpuKernel(call.node.op)(call);
      for (const slot of source.slots) slot.step.inputs[slot.index] = value;
      for (const k of source.output) results[k] = value;
    }
    for (const step of plan.steps) step.run();
    return results;
  }

  // The total bytes of the buffers planned for these bindings (for `--stats` and tests).
  plannedBytes(bindings: Record<string, number>): number {
    return this.planFor(bindings).bytes;
  }

  private planFor(bindings: Record<string, number>): Plan {
    const key = this.symbols.map((s) => bindings[s]).join(",");
    let plan = this.plans.get(key);
    if (plan) {
      // Re-insert to mark it as most recently used.
      this.plans.delete(key);
    } else {
      plan = buildPlan(this.order, this.outputs, bindings, { precision: this.precision, env: this.env, fuse: this.fuse });
      if (this.plans.size >= MAX_PLANS) this.plans.delete(this.plans.keys().next().value!);
    }
    this.plans.set(key, plan);
    return plan;
  }

  // The value of every symbolic dim: given ones first, then each input with exactly one unbound
  // dim determines it from its length.
  private bind(feeds: Feeds, given: Record<string, number>): Record<string, number> {
    const bound: Record<string, number> = {};
    for (const s of this.symbols) if (given[s] !== undefined) bound[s] = given[s]!;
    if (this.symbols.every((s) => bound[s] !== undefined)) return bound;
    for (const node of this.order) {
      if (node.op !== "input") continue;
      const fed = feeds.inputs[(node.attrs as { name: string }).name];
      if (!fed) continue;
      let known = 1;
      let unbound: string | null = null;
      let count = 0;
      for (const d of node.shape) {
        if (typeof d === "number") known *= d;
        else if (bound[d] !== undefined) known *= bound[d]!;
        else if (d !== unbound) {
          unbound = d;
          count++;
        } else count = 2; // the same unbound symbol twice: its value is a root, not a quotient
      }
      if (unbound === null || count !== 1) continue;
      const value = known === 0 ? 0 : fed.length / known;
      if (!Number.isInteger(value)) {
        throw new InternalError(`input ${(node.attrs as { name: string }).name} has ${fed.length} values, not a multiple of ${known}`);
      }
      bound[unbound] = value;
    }
    for (const s of this.symbols) if (bound[s] === undefined) throw new InternalError(`symbolic dim ${s} is not bound`);
    return bound;
  }
}

// Whether a fed array's type fits its source node's dtype (see the header).
function checkFed(node: IRNode, name: string, fed: TensorArray): void {
  const fits: Record<DType, boolean> = {
    i32: fed instanceof Int32Array,
    f32: fed instanceof Float32Array || fed instanceof Float64Array,
  };
  if (!fits[node.dtype]) {
    const wanted = node.dtype === "i32" ? "an Int32Array" : "a Float32Array or Float64Array";
    throw new InternalError(`the ${node.dtype} ${node.op} "${name}" was fed a ${fed.constructor.name}, not ${wanted}`);
  }
}
