// One kernel's WGSL from a planned group of nodes (kernels.ts): the bindings, a function
// `vID(i: u32) -> f32` for every value the kernel reads or computes inline, and an entry point
// whose shape follows the root's mode (roots.ts). When the group computes a matmul in a blocked
// variant (matmul.ts), that matmul is the kernel's root and the group's outputs become its
// epilogue: the block hands each element to a private `tile_value`, which the matmul's own
// function returns, and every output of the group is written at that element's index. The chain
// from a fused matmul to its consumer reads it element for element (kernels.ts only fuses such
// chains), so the epilogue never needs the matmul at any other index.

import { InternalError } from "../../diagnostics/diagnostic.ts";
import type { Graph, IRNode } from "../../ir/graph.ts";
import { dim, dimField } from "./dims.ts";
import { isExpression, PRELUDE, readsInputs, renderExpression } from "./expressions.ts";
import { NAIVE, variantName, type MatmulVariant } from "./matmul.ts";
import { GROUP, isElementRoot, rootTemplate, type RootKernel } from "./roots.ts";
import type { Kernel, UniformLayout } from "./kernels.ts";

export const WORKGROUP = 64;

export interface EmitContext {
  graph: Graph;
  materialized: Set<number>;
  scalarIds: Set<number>;
  uniform: UniformLayout;
  matmulVariant: (node: IRNode<"matmul">) => MatmulVariant;
}

export function emitKernel(ctx: EmitContext, group: number[]): Kernel {
  const { graph, materialized, scalarIds, uniform } = ctx;
  const members = new Set(group);
  const reads: number[] = [];
  const functions = new Map<number, string>();
  const declarations: string[] = [];
  const nodes: number[] = [];
  const fn = (id: number) => `v${id}`;
  const first = graph.nodes[group[0]!]!;
  // Only an elementwise group (or a matmul's own) can hand its outputs to a blocked matmul.
  const tileRoot = isExpression(first.op) || first.op === "matmul" ? findTileRoot(ctx, group) : null;
  const variantOf = (node: IRNode) => (node.id === tileRoot?.node.id ? tileRoot.variant : NAIVE);
  const outputName = (k: number) => (k === 0 ? "out" : `out${k}`);
  const store = (index: string, value: string) =>
    [`tile_value = ${value};`, ...group.map((id, k) => `${outputName(k)}[${index}] = ${fn(id)}(${index});`)].join("\n");

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
      let binding = reads.indexOf(id);
      if (binding < 0) binding = reads.push(id) - 1;
      functions.set(id, `fn ${fn(id)}(i: u32) -> f32 { return t${binding}[i]; }`);
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
      const root = loopRoot(graph, node, define, fn, variantOf(node), store);
      if (root.mode !== "element") throw new InternalError(`${node.op} cannot be inlined`);
      declarations.push(...(root.declarations ?? []));
      body = `  ${root.body}`;
    }
    functions.delete(id);
    functions.set(id, `fn ${fn(id)}(i: u32) -> f32 {\n${body}\n}`);
  };

  let kernel: RootKernel;
  if (tileRoot) {
    nodes.push(tileRoot.node.id);
    kernel = loopRoot(graph, tileRoot.node, define, fn, tileRoot.variant, store);
    declarations.push(...(kernel.declarations ?? []), "var<private> tile_value: f32;");
    for (const id of group) define(id);
  } else if (isExpression(first.op) || isElementRoot(first, graph.nodes[first.inputs[0]!]?.shape ?? [])) {
    for (const id of group) define(id);
    kernel = { mode: "element", count: first.shape, body: group.map((id, k) => `${outputName(k)}[i] = ${fn(id)}(i);`).join("\n  ") };
  } else {
    if (group.length !== 1) throw new InternalError(`${first.op} kernels have one output`);
    nodes.push(first.id);
    kernel = loopRoot(graph, first, define, fn, NAIVE, store);
    declarations.push(...(kernel.declarations ?? []));
  }

  const functionText = [...functions.values()].join("\n");
  const text = `${functionText}\n${kernel.body}\n${declarations.join("\n")}\n${countExpr(kernel)}`;
  const usesDims = text.includes("dims.");
  const preludes = Object.entries(PRELUDE).filter(([name]) => text.includes(`${name}(`)).map(([, code]) => code);
  const header: string[] = (kernel.enables ?? []).map((e) => `enable ${e};`);
  let binding = 0;
  if (usesDims) {
    const fields = [...uniform.symbols.map((s) => `${dimField(s)}: u32`), "seed: u32", ...uniform.scalars.map((_, k) => `x_${k}: f32`)];
    header.push(`struct Dims { ${fields.join(", ")} }`, `@group(0) @binding(${binding++}) var<uniform> dims: Dims;`);
  }
  reads.forEach((_, k) => header.push(`@group(0) @binding(${binding++}) var<storage, read> t${k}: array<f32>;`));
  group.forEach((_, k) => header.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${outputName(k)}: array<f32>;`));
  const code = [...header, ...preludes, ...declarations, functionText, entryPoint(kernel)].join("\n\n");
  const name = [...new Set(nodes.map((id) => graph.nodes[id]!.op).filter((op) => op !== "const"))].join("+");
  return {
    name,
    code,
    outputs: group,
    reads,
    usesDims,
    mode: kernel.mode,
    count: kernel.count,
    tile: kernel.tile,
    matmul: tileRoot ? { node: tileRoot.node.id, variant: variantName(tileRoot.variant) } : undefined,
    nodes,
  };
}

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
    matmul,
  });
}

function entryPoint(kernel: RootKernel): string {
  if (kernel.mode === "group") {
    return `@compute @workgroup_size(${GROUP})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3u) {
  let o = wid.x + wid.y * groups.x;
  if (o >= ${countExpr(kernel)}) { return; }
  ${kernel.body}
}`;
  }
  if (kernel.mode === "tile") {
    const { lanes } = kernel.tile!;
    const lane = kernel.enables?.includes("subgroups") ? ", @builtin(subgroup_invocation_id) subgroup_lane: u32" : "";
    return `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u${lane}) {
  let t = (gid.x + gid.y * groups.x * ${WORKGROUP}u)${lanes > 1 ? ` / ${lanes}u` : ""};
  ${kernel.body}
}`;
  }
  return `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  if (i >= ${countExpr(kernel)}) { return; }
  ${kernel.body}
}`;
}

function countExpr(kernel: RootKernel): string {
  const parts = kernel.count.map((d) => (typeof d === "number" ? `${d}u` : dim(d)));
  return parts.length ? parts.join(" * ") : "1u";
}

// The workgroups a kernel dispatches for its concrete `count`: a 2-D grid, since one dimension
// holds at most 65,535 workgroups. A tile kernel covers a 2-D count in blocks.
export function workgroupGrid(kernel: Pick<Kernel, "mode" | "tile">, count: readonly number[]): [number, number] {
  const elements = count.reduce((a, b) => a * b, 1);
  let groups: number;
  if (kernel.mode === "group") groups = elements;
  else if (kernel.mode === "tile") {
    const { rows, cols, lanes } = kernel.tile!;
    const [m, n] = count as [number, number];
    groups = elements === 0 ? 0 : Math.ceil((Math.ceil(m / rows) * Math.ceil(n / cols) * lanes) / WORKGROUP);
  } else groups = Math.ceil(elements / WORKGROUP);
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}
