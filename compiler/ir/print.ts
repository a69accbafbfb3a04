// A readable dump of an IR graph, one node per line:
//   %12 = matmul(%3, %7) {transposeB} : f32[B, 256]   # line 8
// followed by the inputs, parameters, state (and its updates) and named outputs. `nnc check
// --dump-ir` prints it; later passes print it after each step (`--dump-ir=after:PASS`).

import type { Graph, IRNode, Initializer } from "./graph.ts";

export interface PrintOptions {
  // The .nn file's text, to print line numbers instead of offsets.
  source?: string;
}

function lineOf(source: string | undefined, offset: number): string {
  if (source === undefined) return `@${offset}`;
  let line = 1;
  for (let i = 0; i < offset && i < source.length; i++) if (source[i] === "\n") line++;
  return `line ${line}`;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  return String(value);
}

// Flags print as their name when set and not at all when clear; other attributes as key=value.
function formatAttrs(attrs: object): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(attrs)) {
    if (value === true) parts.push(key);
    else if (value !== false) parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.length ? ` {${parts.join(", ")}}` : "";
}

export function formatNode(node: IRNode, options: PrintOptions = {}): string {
  const inputs = node.inputs.map((i) => `%${i}`).join(", ");
  const text = `%${node.id} = ${node.op}(${inputs})${formatAttrs(node.attrs)} : ${node.dtype}[${node.shape.join(", ")}]`;
  return node.span ? `${text.padEnd(60)}   # ${lineOf(options.source, node.span.start)}` : text;
}

export function formatInitializer(init: Initializer): string {
  const { kind, ...rest } = init;
  const args = Object.entries(rest).map(([k, v]) => `${k}: ${typeof v === "number" ? Number(v.toPrecision(6)) : v}`);
  return args.length ? `${kind}(${args.join(", ")})` : kind;
}

export function printGraph(graph: Graph, options: PrintOptions = {}): string {
  const out: string[] = [`graph ${graph.file} (${graph.mode})`];
  out.push("inputs:");
  for (const i of graph.inputs) {
    out.push(`  %${i.node} ${i.name}: ${i.role} ${i.dtype}[${i.shape.join(", ")}]${i.classes !== null ? ` of ${i.classes}` : ""}`);
  }
  out.push("nodes:");
  for (const node of graph.nodes) out.push(`  ${formatNode(node, options)}`);
  out.push("params:");
  for (const p of graph.params) {
    const regs = p.regularizers.map((r) => ` ${r.kind}(${r.lambda})`).join("");
    out.push(`  %${p.node} ${p.name}: f32[${p.shape.join(", ")}] ${p.role} init=${formatInitializer(p.init)} fan_in=${p.fanIn} fan_out=${p.fanOut}${regs}`);
  }
  if (graph.state.length) {
    out.push("state:");
    for (const s of graph.state) out.push(`  %${s.node} ${s.name}: f32[${s.shape.join(", ")}] init=${s.init}`);
  }
  if (graph.stateUpdates.length) {
    out.push("state updates:");
    for (const u of graph.stateUpdates) out.push(`  ${u.name} <- %${u.node}`);
  }
  if (graph.paramUpdates.length) {
    out.push("parameter updates:");
    for (const u of graph.paramUpdates) out.push(`  ${u.name} <- %${u.node}`);
  }
  out.push("outputs:");
  for (const [name, id] of Object.entries(graph.outputs)) out.push(`  ${name} = %${id}`);
  return `${out.join("\n")}\n`;
}
