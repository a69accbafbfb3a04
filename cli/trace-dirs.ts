// The two directions of a trace or a landscape plane, as the command line names them:
// `pca`, or two parameter elements separated by a comma, each a parameter's name with one index
// per dimension (`w[0],w[1]`, `h1.weight[3,2],h1.bias[0]`; a one-element parameter needs none:
// `x,y`). Indices are row-major in the parameter's own (PyTorch's) layout, counted from 0, as the
// checkpoint stores them.

import { closest } from "../compiler/diagnostics/registry.ts";
import type { TraceDirections, TraceElement } from "../runtime/train/trace.ts";
import { UserError } from "./user-error.ts";

export interface NamedParam {
  name: string;
  shape: number[];
}

// The default: a model of exactly two numbers traces them; any other model its PCA plane.
export function defaultTraceDirections(params: readonly NamedParam[]): TraceDirections {
  const elements = allElements(params);
  return elements.length === 2 ? { kind: "elements", elements: [elements[0]!, elements[1]!] } : { kind: "pca" };
}

// `option`: the option's name in messages (`--trace-dirs`, `--plane`).
export function parseTraceDirections(command: string, option: string, text: string, params: readonly NamedParam[]): TraceDirections {
  if (text.trim() === "pca") return { kind: "pca" };
  const parts = splitOutsideBrackets(text);
  if (parts.length !== 2 || parts.some((p) => p.trim() === "")) {
    throw new UserError(`nnc ${command}: ${option} needs two parameter elements separated by a comma (\`w[0],w[1]\`) or \`pca\`, but got \`${text}\``);
  }
  const [a, b] = parts.map((part) => parseElement(command, option, part.trim(), params)) as [TraceElement, TraceElement];
  if (a.index === b.index) throw new UserError(`nnc ${command}: ${option} names the element ${a.label} twice; a plane needs two different elements`);
  return { kind: "elements", elements: [a, b] };
}

function parseElement(command: string, option: string, text: string, params: readonly NamedParam[]): TraceElement {
  const match = /^([A-Za-z_][\w.]*)\s*(?:\[([^\]]*)\])?$/.exec(text);
  if (!match) throw new UserError(`nnc ${command}: ${option}: \`${text}\` is not a parameter element; write it as NAME[i] or NAME[i,j] (\`w[0]\`, \`h1.weight[3,2]\`)`);
  const name = match[1]!;
  let offset = 0;
  const param = params.find((p) => {
    if (p.name === name) return true;
    offset += size(p.shape);
    return false;
  });
  if (!param) {
    const suggestion = closest(name, params.map((p) => p.name));
    const known = params.length <= 8 ? `; its parameters are ${params.map((p) => p.name).join(", ")}` : "";
    throw new UserError(`nnc ${command}: ${option}: the model has no parameter \`${name}\`${suggestion ? ` (did you mean \`${suggestion}\`?)` : ""}${known}`);
  }
  const shape = `[${param.shape.join(", ")}]`;
  if (match[2] === undefined) {
    if (size(param.shape) !== 1) throw new UserError(`nnc ${command}: ${option}: \`${name}\` has ${size(param.shape)} elements (shape ${shape}); name one, e.g. \`${name}[${param.shape.map(() => 0).join(",")}]\``);
    return { label: name, index: offset };
  }
  const indices = match[2].split(",").map((s) => s.trim());
  if (indices.length !== param.shape.length) {
    throw new UserError(`nnc ${command}: ${option}: \`${text}\` gives ${indices.length} ind${indices.length === 1 ? "ex" : "ices"}, but \`${name}\` has shape ${shape} (${param.shape.length} ind${param.shape.length === 1 ? "ex" : "ices"})`);
  }
  let flat = 0;
  indices.forEach((index, axis) => {
    const value = /^\d+$/.test(index) ? Number(index) : NaN;
    const extent = param.shape[axis]!;
    if (!(value < extent)) throw new UserError(`nnc ${command}: ${option}: index \`${index}\` of \`${text}\` is not in 0 to ${extent - 1} (\`${name}\` has shape ${shape})`);
    flat = flat * extent + value;
  });
  return { label: `${name}[${indices.map(Number).join(",")}]`, index: offset + flat };
}

// The elements of a model of two numbers, labelled as --trace-dirs would name them (none for
// any other model).
function allElements(params: readonly NamedParam[]): TraceElement[] {
  if (params.reduce((n, p) => n + size(p.shape), 0) !== 2) return [];
  const elements: TraceElement[] = [];
  let offset = 0;
  for (const p of params) {
    const n = size(p.shape);
    for (let i = 0; i < n; i++) elements.push({ label: n === 1 && p.shape.every((d) => d === 1) ? p.name : `${p.name}[${unravel(i, p.shape).join(",")}]`, index: offset + i });
    offset += n;
  }
  return elements;
}

function unravel(index: number, shape: readonly number[]): number[] {
  const indices: number[] = [];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    indices.unshift(index % shape[axis]!);
    index = Math.floor(index / shape[axis]!);
  }
  return indices;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function splitOutsideBrackets(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "[") depth++;
    else if (text[i] === "]") depth--;
    else if (text[i] === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
