// The WGSL of planned kernels (kernels.ts). A kernel is a function `kN` of its workgroup's index
// within the kernel, over functions `kN_vID(i: u32) -> f32` for every value it reads or computes
// inline; its root's mode (roots.ts) decides what one workgroup covers. A dispatch
// (dispatches.ts) is a WGSL module holding one or more kernels that do not depend on each other:
// its entry point hands each range of workgroups to one kernel, so independent kernels cost one
// dispatch. Kernels reach their buffers through a `Storage`: a standalone kernel (the autotuner
// times one on its own) binds each buffer it uses; in a dispatch, values live at fixed offsets of
// shared buffers (dispatches.ts).
//
// When a kernel computes a matmul in a blocked variant (matmul.ts), that matmul is the kernel's
// root and the kernel's outputs become its epilogue: the block hands each element to a private
// `tile_value`, which the matmul's own function returns, and every output of the kernel is
// written at that element's index. The chain from a fused matmul to its consumer reads it element
// for element (kernels.ts only fuses such chains), so the epilogue never needs the matmul at any
// other index.

import { InternalError } from "../../diagnostics/diagnostic.ts";
import type { Graph, IRNode } from "../../ir/graph.ts";
import { dim, dimField } from "./dims.ts";
import { isExpression, PRELUDE, readsInputs, renderExpression } from "./expressions.ts";
import { NAIVE, variantName, type MatmulVariant } from "./matmul.ts";
import { GROUP, isElementRoot, rootTemplate, type RootKernel } from "./roots.ts";
import type { Kernel, UniformLayout } from "./kernels.ts";
import { ELEMENTS_PER_INVOCATION, perInvocation, WORKGROUP, workgroupsWgsl } from "./workgroups.ts";

// A softmax of its own goes over each row once (mode "row"), even one short enough to inline.
const SOFTMAX = new Set(["softmax", "log_softmax"]);

if (GROUP !== WORKGROUP) throw new InternalError("every kernel of a dispatch needs one workgroup size");

export interface EmitContext {
  graph: Graph;
  materialized: Set<number>;
  scalarIds: Set<number>;
  uniform: UniformLayout;
  matmulVariant: (node: IRNode<"matmul">) => MatmulVariant;
}

// Where a kernel's buffers are: WGSL text for reading a materialized value and for the reference
// to an element of an output.
export interface Storage {
  load(node: number, index: string): string;
  ref(node: number, index: string): string;
}

// A kernel's WGSL before it is placed in a module.
interface KernelText {
  root: RootKernel;
  functions: string[];
  declarations: string[];
  reads: number[]; // materialized values it reads, in order of first use
  nodes: number[]; // every node it computes
  name: string;
  matmul?: { node: number; variant: string };
}

function emitText(ctx: EmitContext, group: number[], prefix: string, storage: Storage): KernelText {
  const { graph, materialized, scalarIds, uniform } = ctx;
  const members = new Set(group);
  const reads: number[] = [];
  const functions = new Map<number, string>();
  const declarations: string[] = [];
  const nodes: number[] = [];
  const fn = (id: number) => `${prefix}v${id}`;
  const first = graph.nodes[group[0]!]!;
  // Only an elementwise group (or a matmul's own) can hand its outputs to a blocked matmul.
  const tileRoot = isExpression(first.op) || first.op === "matmul" ? findTileRoot(ctx, group) : null;
  const variantOf = (node: IRNode) => (node.id === tileRoot?.node.id ? tileRoot.variant : NAIVE);
  // Every value of an element is computed before any is stored, so an output may overwrite the
  // value it was computed from (an optimizer updating a parameter in place).
  const storeAll = (index: string) => [...group.map((id, k) => `let r${k} = ${fn(id)}(${index});`), ...group.map((id, k) => `${storage.ref(id, index)} = r${k};`)];
  const store = (index: string, value: string) => `{\n  tile_value = ${value};\n  ${storeAll(index).join("\n  ")}\n}`;

  // Each value the kernel needs is a function of a flat index: a buffer load for a materialized
  // node, a uniform field for a scalar input, the rendered expression or loop for the rest (and
  // for the group's own members, which other members read at their own index).
  const define = (id: number): void => {
    if (functions.has(id)) return;
    const node = graph.nodes[id]!;
    if (scalarIds.has(id)) {
      const field = `x_${uniform.scalars.indexOf((node.attrs as { name: string }).name)}`;
      functions.set(id, `fn ${fn(id)}(i: u32) -> f32 { return dims.${field}; }`);
      return;
    }
    if (materialized.has(id) && !members.has(id)) {
      if (!reads.includes(id)) reads.push(id);
      // Every buffer holds f32 values, but for fed i32 inputs (class labels), which hold their
      // own bits: the kernel converts them where it reads them.
      const value = node.op === "input" && node.dtype === "i32" ? `f32(bitcast<i32>(${storage.load(id, "i")}))` : storage.load(id, "i");
      functions.set(id, `fn ${fn(id)}(i: u32) -> f32 { return ${value}; }`);
      return;
    }
    if (id === tileRoot?.node.id) {
      functions.set(id, `fn ${fn(id)}(i: u32) -> f32 { return tile_value; }`);
      return;
    }
    functions.set(id, ""); // reserve the place so functions come out callee first
    nodes.push(id);
    let body: string;
    if (isExpression(node.op)) body = expressionBody(graph, node, define, fn);
    else {
      const root = loopRoot(graph, node, define, fn, variantOf(node), store, storage, prefix, true);
      if (root.mode !== "element") throw new InternalError(`${node.op} cannot be inlined`);
      declarations.push(...(root.declarations ?? []));
      body = `  ${root.body}`;
    }
    functions.delete(id);
    functions.set(id, `fn ${fn(id)}(i: u32) -> f32 {\n${body}\n}`);
  };

  let root: RootKernel;
  if (tileRoot) {
    nodes.push(tileRoot.node.id);
    root = loopRoot(graph, tileRoot.node, define, fn, tileRoot.variant, store, storage, prefix, false);
    declarations.push(...(root.declarations ?? []), "var<private> tile_value: f32;");
    for (const id of group) define(id);
  } else if (isExpression(first.op) || (isElementRoot(first, graph.nodes[first.inputs[0]!]?.shape ?? []) && !SOFTMAX.has(first.op))) {
    for (const id of group) define(id);
    root = { mode: "element", count: first.shape, elements: ELEMENTS_PER_INVOCATION, body: storeAll("i").join("\n    ") };
  } else {
    if (group.length !== 1) throw new InternalError(`${first.op} kernels have one output`);
    nodes.push(first.id);
    root = loopRoot(graph, first, define, fn, NAIVE, store, storage, prefix, false);
    declarations.push(...(root.declarations ?? []));
  }
  const name = [...new Set(nodes.map((id) => graph.nodes[id]!.op).filter((op) => op !== "const"))].join("+");
  const matmul = tileRoot ? { node: tileRoot.node.id, variant: variantName(tileRoot.variant) } : undefined;
  return { root, functions: [...functions.values()], declarations, reads, nodes, name, matmul };
}

// A planned kernel on its own: its WGSL module binds `dims`, then each buffer it reads (`t0`, …),
// then each it writes (`out`, `out1`, …).
export function emitKernel(ctx: EmitContext, group: number[]): Kernel {
  const reads: number[] = [];
  const storage: Storage = {
    load(node, index) {
      let k = reads.indexOf(node);
      if (k < 0) k = reads.push(node) - 1;
      return `t${k}[${index}]`;
    },
    ref: (node, index) => `${outputName(group.indexOf(node))}[${index}]`,
  };
  const text = emitText(ctx, group, "", storage);
  const bindings = [...reads.map((_, k) => ({ name: `t${k}`, writable: false })), ...group.map((_, k) => ({ name: outputName(k), writable: true }))];
  const code = assemble(ctx.uniform, [{ text }], bindings);
  const { root } = text;
  return { name: text.name, code, outputs: group, reads, usesDims: code.includes("dims."), mode: root.mode, count: root.count, tile: root.tile, elements: root.elements, matmul: text.matmul, nodes: text.nodes };
}

// Kernels that run as one dispatch, reaching their values through `storage`, whose buffers are
// bound in the order of `bindings` (after `dims`, when a kernel reads it).
export function emitDispatch(ctx: EmitContext, kernels: Kernel[], storage: Storage, bindings: { name: string; writable: boolean }[]): string {
  const texts = kernels.map((kernel, n) => ({ text: emitText(ctx, kernel.outputs, kernels.length > 1 ? `k${n}_` : "", storage) }));
  return assemble(ctx.uniform, texts, bindings);
}

function assemble(uniform: UniformLayout, kernels: { text: KernelText }[], bindings: { name: string; writable: boolean }[]): string {
  const functions = kernels.flatMap(({ text }, n) => [...text.functions, kernelFunction(text.root, `k${n}`)]);
  const declarations = [...new Set(kernels.flatMap(({ text }) => text.declarations))];
  const body = [...declarations, ...functions].join("\n");
  const entry = entryPoint(kernels.map(({ text }) => text.root));
  const usesDims = body.includes("dims.") || entry.includes("dims.");
  const enables = [...new Set(kernels.flatMap(({ text }) => text.root.enables ?? []))];
  const header: string[] = enables.map((e) => `enable ${e};`);
  let binding = 0;
  if (usesDims) {
    const fields = [...uniform.symbols.map((s) => `${dimField(s)}: u32`), "seed: u32", ...uniform.scalars.map((_, k) => `x_${k}: f32`)];
    header.push(`struct Dims { ${fields.join(", ")} }`, `@group(0) @binding(${binding++}) var<uniform> dims: Dims;`);
  }
  for (const b of bindings) header.push(`@group(0) @binding(${binding++}) var<storage, ${b.writable ? "read_write" : "read"}> ${b.name}: array<f32>;`);
  const preludes = Object.entries(PRELUDE).filter(([name]) => body.includes(`${name}(`)).map(([, code]) => code);
  return [...header, ...preludes, ...declarations, ...functions, entry].join("\n\n");
}

const outputName = (k: number) => (k === 0 ? "out" : `out${k}`);

// The matmul a group computes in a blocked variant, if any: one of its members, or one inlined
// into it (a fused matmul, read by its consumer element for element). Of several, the first;
// the others stay naive, inlined as functions.
function findTileRoot(ctx: EmitContext, group: number[]): { node: IRNode<"matmul">; variant: MatmulVariant } | null {
  const { graph, materialized, scalarIds } = ctx;
  const members = new Set(group);
  const seen = new Set<number>();
  const found: IRNode<"matmul">[] = [];
  const visit = (id: number, top: boolean) => {
    if (seen.has(id) || scalarIds.has(id) || (!top && materialized.has(id) && !members.has(id))) return;
    seen.add(id);
    const node = graph.nodes[id]!;
    if (node.op === "matmul") found.push(node as IRNode<"matmul">);
    if (readsInputs(node.op)) for (const input of node.inputs) visit(input, false);
  };
  for (const id of group) visit(id, true);
  found.sort((a, b) => a.id - b.id);
  for (const node of found) {
    const variant = ctx.matmulVariant(node);
    if (variant.kind !== "naive") return { node, variant };
  }
  return null;
}

function expressionBody(graph: Graph, node: IRNode, define: (id: number) => void, fn: (id: number) => string): string {
  const lets = new Map<string, string>();
  const body = renderExpression({
    node,
    shapeOf: (k) => graph.nodes[node.inputs[k]!]!.shape,
    read(k, index, direct) {
      const input = node.inputs[k]!;
      define(input);
      const call = `${fn(input)}(${index})`;
      if (direct) return call;
      let name = lets.get(call);
      if (!name) lets.set(call, (name = `a${lets.size}`));
      return name;
    },
  });
  return [...[...lets].map(([call, name]) => `  let ${name} = ${call};`), `  ${body}`].join("\n");
}

function loopRoot(
  graph: Graph,
  node: IRNode,
  define: (id: number) => void,
  fn: (id: number) => string,
  matmul: MatmulVariant,
  store: (index: string, value: string) => string,
  storage: Storage,
  prefix: string,
  inline: boolean,
): RootKernel {
  return rootTemplate(node.op)({
    node,
    shapeOf: (k) => graph.nodes[node.inputs[k]!]!.shape,
    operand(k) {
      const input = node.inputs[k]!;
      define(input);
      return (index) => `${fn(input)}(${index})`;
    },
    store,
    output: (index) => storage.ref(node.id, index),
    unique: (name) => `${prefix}${name}`,
    inline,
    matmul,
  });
}

// Kernel `name` as a function of its own workgroup index `w` (or, for mode "group", the element
// `o` the workgroup computes) and the invocation's index in its workgroup.
function kernelFunction(root: RootKernel, name: string): string {
  const count = countExpr(root);
  if (root.mode === "group") return `fn ${name}(o: u32, lid: u32) {\n  if (o >= ${count}) { return; }\n  ${root.body}\n}`;
  if (root.mode === "tile") {
    const lanes = root.tile!.lanes;
    const lane = usesSubgroups(root) ? ", subgroup_lane: u32" : "";
    return `fn ${name}(w: u32, lid: u32${lane}) {\n  let t = (w * ${WORKGROUP}u + lid)${lanes > 1 ? ` / ${lanes}u` : ""};\n  ${root.body}\n}`;
  }
  const elements = perInvocation(root);
  if (elements === 1) return `fn ${name}(w: u32, lid: u32) {\n  let i = w * ${WORKGROUP}u + lid;\n  if (i >= ${count}) { return; }\n  ${root.body}\n}`;
  const span = `${WORKGROUP * elements}u`;
  return `fn ${name}(w: u32, lid: u32) {\n  let end = min(w * ${span} + ${span}, ${count});\n  for (var i = w * ${span} + lid; i < end; i += ${WORKGROUP}u) {\n    ${root.body}\n  }\n}`;
}

// The entry point: workgroups [0, g0) run kernel k0, [g0, g0 + g1) kernel k1, and so on. The
// branches depend on the workgroup only, so barriers inside a kernel stay in uniform control flow.
function entryPoint(roots: RootKernel[]): string {
  const subgroups = roots.some(usesSubgroups);
  const lane = subgroups ? ", @builtin(subgroup_invocation_id) subgroup_lane: u32" : "";
  // The workgroup is one-dimensional, so the invocation's index is `local.x`; lavapipe runs loads
  // addressed from it about 1.5× faster than from `local_invocation_index` (mnist_mlp's Adam
  // update over 200,704 weights: 0.9–1.1 ms against 1.4–1.6 ms).
  const lines = [`let w = wid.x + wid.y * groups.x;`, `let lid = local.x;`];
  const call = (n: number, w: string) => `k${n}(${w}, lid${usesSubgroups(roots[n]!) ? ", subgroup_lane" : ""});`;
  // A kernel alone needs no branch: it checks its own range (and a branch that a driver cannot
  // prove uniform, as lavapipe cannot, puts the whole kernel under an execution mask).
  if (roots.length === 1) lines.push(call(0, "w"));
  else {
    roots.forEach((root, n) => lines.push(`let end${n} = ${n === 0 ? "" : `end${n - 1} + `}${workgroupsWgsl(root)};`));
    const branches = roots.map((_, n) => `if (w < end${n}) { ${call(n, n === 0 ? "w" : `w - end${n - 1}`)} }`);
    lines.push(branches.join(" else "));
  }
  return `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) local: vec3u, @builtin(num_workgroups) groups: vec3u${lane}) {
  ${lines.join("\n  ")}
}`;
}

function usesSubgroups(root: RootKernel): boolean {
  return root.enables?.includes("subgroups") ?? false;
}

function countExpr(root: Pick<RootKernel, "count">): string {
  const parts = root.count.map((d) => (typeof d === "number" ? `${d}u` : dim(d)));
  return parts.length ? parts.join(" * ") : "1u";
}
