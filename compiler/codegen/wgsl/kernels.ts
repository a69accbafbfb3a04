// From an IR graph to WGSL kernels. Every node is either materialized (it gets a buffer) or
// inlined as a function of the flat index into the kernels that read it:
//   - sources (inputs, parameters, state) are buffers; scalar inputs (the learning rate, bias
//     corrections) are fields of the `dims` uniform, with the symbolic dims and the dropout seed;
//   - elementwise and movement ops are inlined when they have one user, or when they are cheap
//     enough to recompute for each user; otherwise they get a kernel of their own;
//   - ops that loop per element (matmul, convolution, pooling) are inlined into their one
//     elementwise consumer when it reads them element for element, so a matmul, its bias and
//     its activation are one kernel; reductions and softmax always get a kernel;
//   - elementwise kernels of one shape that read each other element for element are merged into
//     one kernel with several outputs (an optimizer's new parameter and its moments).
// A kernel may read and write at most `maxStorageBuffers` buffers (WebGPU's default limit is 8
// per stage); past that, the largest inlined input of the kernel is materialized instead.
// Each matmul is computed in the variant `matmulVariant` picks (matmul.ts; the runtime times the
// candidates on its adapter, runtime/webgpu/autotune.ts). The plan is the same for every variant:
// a blocked matmul fused into its consumer turns the kernel inside out (the matmul's block is the
// root and the consumer chain its epilogue, emit.ts), but computes the same nodes into the same
// buffers. emit.ts writes the kernels' WGSL.

import { InternalError } from "../../diagnostics/diagnostic.ts";
import { ELEMENTWISE_OPS } from "../../ir/ops.ts";
import { sameShape, type Graph, type IRNode } from "../../ir/graph.ts";
import { emitKernel, type EmitContext } from "./emit.ts";
import { isExpression, readsInputs } from "./expressions.ts";
import { NAIVE, type MatmulVariant } from "./matmul.ts";
import { ELEMENT_ROOTS, hasRoot, isElementRoot, type RootKernel, type Tile } from "./roots.ts";

export { WORKGROUP, workgroupGrid, workgroups } from "./workgroups.ts";

export interface Kernel {
  name: string; // the ops it computes, roots first: "matmul+add+relu"
  code: string;
  outputs: number[]; // the nodes whose buffers it writes (bindings `out`, `out1`, …)
  reads: number[]; // the nodes whose buffers it reads, in binding order after `dims`
  usesDims: boolean; // binding 0 is the `dims` uniform
  mode: RootKernel["mode"];
  count: IRNode["shape"]; // the elements (or rows, or workgroups, or a tile kernel's 2-D output) it covers
  tile?: Tile; // mode "tile": the block of outputs that tile.lanes invocations compute
  elements?: number; // mode "element": elements per invocation (workgroups.ts)
  matmul?: { node: number; variant: string }; // the matmul computed in a blocked variant, if any
  nodes: number[]; // every IR node it computes
}

// The `dims` uniform: u32 symbolic dims, the u32 dropout seed, then f32 scalar inputs.
export interface UniformLayout {
  symbols: string[];
  scalars: string[];
}

export interface KernelPlan {
  order: IRNode[]; // the nodes the outputs need, in topological order
  materialized: Set<number>; // nodes with a buffer
  kernels: Kernel[];
  uniform: UniformLayout;
  context: EmitContext; // what emitting the kernels again needs (dispatches.ts)
}

export interface KernelOptions {
  maxStorageBuffers?: number; // default 8, WebGPU's default limit
  matmulVariant?: (node: IRNode<"matmul">) => MatmulVariant; // default: naive everywhere
}

const BUFFER_OPS = new Set(["input", "param", "state"]);
const REDUCING_OPS = new Set(["sum", "mean", "max"]);
const CHEAP_OPS = new Set(["const", "dim_size", "reshape", "broadcast", "transpose", "slice"]);
// Loop ops that read each element of an operand many times (a matmul reads A's row once per
// column of B): an inlined operand would be recomputed each time, so one that does arithmetic gets
// a buffer instead (and a matmul before it can then fuse into it as its epilogue).
const REREADING_OPS = new Set(["matmul", "conv2d", "conv2d_grad_input", "conv2d_grad_weight", "maxpool2d", "maxpool2d_grad", "maxpool2d_gather", "avgpool2d", "avgpool2d_grad", "softmax", "log_softmax"]);

function isScalarInput(graph: Graph, node: IRNode): boolean {
  return node.op === "input" && graph.inputs.some((i) => i.node === node.id && i.role === "scalar");
}

export function planKernels(graph: Graph, outputs: number[], options: KernelOptions = {}): KernelPlan {
  const maxBuffers = options.maxStorageBuffers ?? 8;
  const needed = new Uint8Array(graph.nodes.length);
  for (const id of outputs) needed[id] = 1;
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    if (needed[id] && readsInputs(graph.nodes[id]!.op)) for (const input of graph.nodes[id]!.inputs) needed[input] = 1;
  }
  const order = graph.nodes.filter((n) => needed[n.id]);
  const users = new Map<number, number[]>();
  for (const node of order) {
    if (!readsInputs(node.op)) continue;
    for (const input of new Set(node.inputs)) users.set(input, [...(users.get(input) ?? []), node.id]);
  }
  const scalars = order.filter((n) => isScalarInput(graph, n));
  const scalarIds = new Set(scalars.map((n) => n.id));

  const materialized = new Set<number>(outputs.filter((id) => !scalarIds.has(id)));
  for (const node of order) {
    if (scalarIds.has(node.id)) continue;
    if (BUFFER_OPS.has(node.op)) materialized.add(node.id);
    else if (!isExpression(node.op)) {
      if (!hasRoot(node.op)) throw new InternalError(`the WebGPU backend has no kernel for ${node.op}`);
      materialized.add(node.id);
    } else if (!CHEAP_OPS.has(node.op)) {
      const readers = users.get(node.id) ?? [];
      if (readers.length > 1 || readers.some((id) => REREADING_OPS.has(graph.nodes[id]!.op))) materialized.add(node.id);
    }
  }
  for (const node of order) {
    if (!isElementRoot(node, graph.nodes[node.inputs[0]!]?.shape ?? []) || outputs.includes(node.id)) continue;
    if (fusesIntoConsumer(graph, node, users, materialized)) materialized.delete(node.id);
  }

  const groups = mergeSiblings(graph, order, materialized, scalarIds, maxBuffers);
  enforceBufferLimit(graph, groups, materialized, scalarIds, maxBuffers);

  const shapes = order.flatMap((n) => [n.shape, ...n.inputs.map((i) => graph.nodes[i]!.shape)]);
  const symbols = [...new Set(shapes.flatMap((s) => s.filter((d): d is string => typeof d === "string")))].sort();
  const uniform = { symbols, scalars: scalars.map((n) => (n.attrs as { name: string }).name) };
  const context = { graph, materialized, scalarIds, uniform, matmulVariant: options.matmulVariant ?? (() => NAIVE) };
  const kernels = groups.map((group) => emitKernel(context, group));
  return { order, materialized, kernels, uniform, context };
}

// A loop op may be computed inside the kernel of the elementwise chain that consumes it when
// every link of the chain has one user and reads the previous link element for element (same
// shape), up to a node with a kernel of its own that is itself elementwise: then each element of
// the loop op is computed exactly once, in that kernel. A short loop op (a row of logits summed
// or soft-maxed) is cheap enough to compute in the chain of each of its users.
function fusesIntoConsumer(graph: Graph, node: IRNode, users: Map<number, number[]>, materialized: Set<number>): boolean {
  const first = users.get(node.id) ?? [];
  const short = node.op !== "matmul" && !ELEMENT_ROOTS.has(node.op);
  if (first.length > 1 && short) return first.every((user) => chainFuses(graph, node, user, users, materialized));
  return first.length === 1 && chainFuses(graph, node, first[0]!, users, materialized);
}

function chainFuses(graph: Graph, node: IRNode, firstUser: number, users: Map<number, number[]>, materialized: Set<number>): boolean {
  // A short reduction (a row of logits) may also be read broadcast, a few times per element.
  const short = REDUCING_OPS.has(node.op);
  let current = node;
  for (;;) {
    const next = current === node ? [firstUser] : users.get(current.id);
    if (!next || next.length !== 1) return false;
    const user = graph.nodes[next[0]!]!;
    // A reduction reads each element of its operand once, so the chain may end in one too.
    // …but not a softmax, each of whose elements goes over its row: a reduction would go over
    // the row again for every element it sums (and a driver compiles that nest slowly).
    if (REDUCING_OPS.has(user.op)) return materialized.has(user.id) && node.op !== "softmax" && node.op !== "log_softmax";
    if (!(ELEMENTWISE_OPS.has(user.op) || user.op === "reshape")) return false;
    const elementForElement = sameShape(user.shape, current.shape) || user.op === "reshape";
    if (!elementForElement && !(short && current === node && fewRepeats(current.shape, user.shape))) return false;
    if (materialized.has(user.id)) return true;
    current = user;
  }
}

// Whether reading `from` broadcast to `to` repeats each element at most 32 times (the symbolic
// dims alike, the static ones at most 32 times as many).
function fewRepeats(from: IRNode["shape"], to: IRNode["shape"]): boolean {
  const symbols = (s: IRNode["shape"]) => s.filter((d) => typeof d === "string").join(",");
  const size = (s: IRNode["shape"]) => s.reduce<number>((n, d) => n * (typeof d === "number" ? d : 1), 1);
  return symbols(from) === symbols(to) && size(to) <= 32 * size(from);
}

// Groups of materialized elementwise nodes that one kernel computes together, to save dispatches.
// A node joins the first earlier group of the same shape whose members it reads only element for
// element, whose kernel has every other buffer it reads ready, and that stays within the buffer
// limit; groups that read each other or share a buffer come first.
function mergeSiblings(graph: Graph, order: IRNode[], materialized: Set<number>, scalarIds: Set<number>, maxBuffers: number): number[][] {
  const roots = order.filter((n) => materialized.has(n.id) && !BUFFER_OPS.has(n.op));
  const groups: number[][] = [];
  const groupOf = new Map<number, number[]>();
  const elementwise = (n: IRNode) => isExpression(n.op);
  for (const node of roots) {
    let home: number[] | undefined;
    if (elementwise(node)) {
      // The groups this node reads (through its inlined inputs) or shares a buffer with.
      const leavesOfNode = leafBuffers(graph, node.id, materialized, scalarIds);
      const readsFrom = new Set([...leavesOfNode].map((i) => groupOf.get(i)).filter((g): g is number[] => g !== undefined));
      const fits = (group: number[]) => {
        const first = graph.nodes[group[0]!]!;
        if (!elementwise(first) || !sameShape(first.shape, node.shape)) return false;
        // The node may read group members only at its own index (same-shape elementwise reads),
        // and any other buffer it reads must be ready when the group's kernel runs.
        if (!readsMembersElementwise(graph, node, new Set(group), materialized)) return false;
        if (!readyBefore(graph, [...leavesOfNode].filter((b) => !group.includes(b)), Math.min(...group))) return false;
        return groupBuffers(graph, [...group, node.id], materialized, scalarIds) <= maxBuffers;
      };
      const related = (group: number[]) =>
        readsFrom.has(group) || group.some((g) => [...leafBuffers(graph, g, materialized, scalarIds)].some((b) => leavesOfNode.has(b)));
      home = groups.find((group) => related(group) && fits(group)) ?? groups.find(fits);
    }
    if (home) home.push(node.id);
    else groups.push((home = [node.id]));
    groupOf.set(node.id, home);
  }
  return groups;
}

// Whether `node` reaches members of `group` only through same-shape elementwise links.
function readsMembersElementwise(graph: Graph, node: IRNode, group: Set<number>, materialized: Set<number>): boolean {
  const visit = (n: IRNode): boolean =>
    n.inputs.every((input) => {
      if (group.has(input)) return ELEMENTWISE_OPS.has(n.op) && sameShape(graph.nodes[input]!.shape, n.shape) && sameShape(n.shape, node.shape);
      if (materialized.has(input)) return true;
      const child = graph.nodes[input]!;
      return !readsInputs(child.op) || visit(child);
    });
  return visit(node);
}

// The buffers a kernel computing `id` reads: materialized nodes reached through inlined ones.
function leafBuffers(graph: Graph, id: number, materialized: Set<number>, scalarIds: Set<number>, seen = new Set<number>()): Set<number> {
  const node = graph.nodes[id]!;
  if (!readsInputs(node.op)) return seen;
  for (const input of node.inputs) {
    if (scalarIds.has(input)) continue;
    if (materialized.has(input)) seen.add(input);
    else leafBuffers(graph, input, materialized, scalarIds, seen);
  }
  return seen;
}

// Storage bindings of a kernel computing `group`: the buffers it reads plus the ones it writes.
function groupBuffers(graph: Graph, group: number[], materialized: Set<number>, scalarIds: Set<number>): number {
  const members = new Set(group);
  const reads = new Set<number>();
  for (const id of group) for (const b of leafBuffers(graph, id, materialized, scalarIds)) if (!members.has(b)) reads.add(b);
  return reads.size + group.length;
}

// Materializes the largest inlined input of any kernel over the limit, until none is. A node
// materialized here becomes a kernel of its own, checked in turn.
function enforceBufferLimit(graph: Graph, groups: number[][], materialized: Set<number>, scalarIds: Set<number>, maxBuffers: number): void {
  for (let k = 0; k < groups.length; k++) {
    const group = groups[k]!;
    while (groupBuffers(graph, group, materialized, scalarIds) > maxBuffers) {
      const inlined = group.flatMap((id) => inlinedInputs(graph, id, materialized, scalarIds));
      if (inlined.length === 0) {
        if (group.length > 1) {
          groups.push([group.pop()!]); // split the group first
          continue;
        }
        throw new InternalError(`${graph.nodes[group[0]!]!.op} reads more than ${maxBuffers - 1} buffers`);
      }
      const size = (id: number) => leafBuffers(graph, id, materialized, scalarIds).size;
      const largest = inlined.reduce((a, b) => (size(b) > size(a) ? b : a));
      materialized.add(largest);
      groups.push([largest]);
    }
  }
  // Kernels run in the order of their first node. A member that reads a buffer written later than
  // that (one materialized above) leaves for a kernel of its own, so every buffer is written
  // before it is read.
  for (let k = 0; k < groups.length; k++) {
    const group = groups[k]!;
    for (const id of [...group]) {
      if (group.length === 1) break;
      const external = [...leafBuffers(graph, id, materialized, scalarIds)].filter((b) => !group.includes(b));
      if (!readyBefore(graph, external, Math.min(...group))) {
        group.splice(group.indexOf(id), 1);
        groups.push([id]);
      }
    }
  }
  groups.sort((a, b) => Math.min(...a) - Math.min(...b));
}

// Whether the buffers exist before node `first` is computed: sources always do, others when
// their node comes earlier.
function readyBefore(graph: Graph, buffers: number[], first: number): boolean {
  return buffers.every((b) => BUFFER_OPS.has(graph.nodes[b]!.op) || b < first);
}

function inlinedInputs(graph: Graph, id: number, materialized: Set<number>, scalarIds: Set<number>): number[] {
  const found: number[] = [];
  const visit = (n: number) => {
    for (const input of graph.nodes[n]!.inputs) {
      if (materialized.has(input) || scalarIds.has(input)) continue;
      if (!readsInputs(graph.nodes[input]!.op)) continue;
      found.push(input);
      visit(input);
    }
  };
  if (readsInputs(graph.nodes[id]!.op)) visit(id);
  return found;
}
