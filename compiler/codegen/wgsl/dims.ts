// Index arithmetic as WGSL text. Shapes may hold symbolic dims (the batch B): a kernel reads them
// from the `dims` uniform, so one compiled kernel serves every batch size, while static dims are
// folded into literals. Every index is a u32; the size budget of the checker keeps tensors below
// 2^32 elements.

import type { Dim, Shape } from "../../ir/graph.ts";

// The WGSL field name of a symbolic dim in the `dims` uniform.
export function dimField(symbol: string): string {
  return `s_${symbol.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

export function dim(d: Dim): string {
  return typeof d === "number" ? `${d}u` : `dims.${dimField(d)}`;
}

// The product of some dims, constants folded: "1u", "784u", "dims.s_B * 784u".
export function product(dims: readonly Dim[]): string {
  let constant = 1;
  const symbols: string[] = [];
  for (const d of dims) {
    if (typeof d === "number") constant *= d;
    else symbols.push(dim(d));
  }
  if (constant === 0) return "0u";
  const parts = constant === 1 && symbols.length ? symbols : [`${constant}u`, ...symbols];
  return parts.join(" * ");
}

// Row-major strides of a shape, as WGSL expressions.
export function strides(shape: Shape): string[] {
  return shape.map((_, i) => product(shape.slice(i + 1)));
}

// The coordinate along `axis` of flat index `index` (a WGSL expression) in `shape`.
export function coordinate(index: string, shape: Shape, axis: number): string {
  const stride = product(shape.slice(axis + 1));
  const divided = stride === "1u" ? index : `(${index} / (${stride}))`;
  return axis === 0 ? divided : `(${divided} % ${dim(shape[axis]!)})`;
}

// Σ coordinate_k(index in `from`) · strides[k]: re-addresses an element of a `from`-shaped walk
// into a tensor whose layout has the given strides (0 for a repeated axis). Terms with a zero
// stride vanish; a walk that is the identity comes back as `index` itself.
export function reindex(index: string, from: Shape, targetStrides: readonly string[]): string {
  const natural = strides(from);
  if (natural.length === targetStrides.length && natural.every((s, i) => s === targetStrides[i] || from[i] === 1)) return index;
  const terms: string[] = [];
  from.forEach((d, axis) => {
    const stride = targetStrides[axis]!;
    if (stride === "0u" || d === 1) return;
    const c = coordinate(index, from, axis);
    terms.push(stride === "1u" ? c : `${c} * ${stride}`);
  });
  return terms.length ? terms.join(" + ") : "0u";
}

// The strides of an operand of shape `shape` read along an output of shape `out` with numpy
// broadcasting: 0 along the axes it is repeated on (and the leading axes it lacks).
export function broadcastStrides(shape: Shape, out: Shape): string[] {
  const own = strides(shape);
  return out.map((d, o) => {
    const i = o - (out.length - shape.length);
    if (i < 0) return "0u";
    return shape[i] === 1 && d !== 1 ? "0u" : own[i]!;
  });
}

// The symbols a shape uses.
export function symbolsOf(shape: Shape): string[] {
  return shape.filter((d): d is string => typeof d === "string");
}
