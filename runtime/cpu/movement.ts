// Movement kernels: they only copy elements to new places (reshape copies the buffer as is), so
// they run on f32 and i32 buffers alike (the shape rules give out and x one dtype).

import { broadcastStrides, collapse } from "./elementwise.ts";
import { stridesOf, type TensorArray } from "./types.ts";

// Copies x into out, where out[index] = x[Σ index[i]·strides[i]] over the output's dims. Used by
// transpose (permuted strides) and broadcast (0 strides along repeated axes).
function gather(out: TensorArray, x: TensorArray, outShape: number[], xStrides: number[]): void {
  if (out.length === 0) return;
  const { dims, strides } = collapse(outShape, [stridesOf(outShape), xStrides]);
  const sx = strides[1]!;
  const inner = dims.length - 1;
  const n = dims[inner]!;
  const step = sx[inner]!;
  const index = new Array<number>(dims.length).fill(0);
  let xi = 0;
  for (let o = 0; o < out.length; o += n) {
    for (let j = 0; j < n; j++) out[o + j] = x[xi + j * step]!;
    for (let axis = inner - 1; axis >= 0; axis--) {
      index[axis]!++;
      xi += sx[axis]!;
      if (index[axis]! < dims[axis]!) break;
      xi -= sx[axis]! * dims[axis]!;
      index[axis] = 0;
    }
  }
}

export function transpose(out: TensorArray, x: TensorArray, xShape: number[], perm: number[]): void {
  const strides = stridesOf(xShape);
  gather(out, x, perm.map((p) => xShape[p]!), perm.map((p) => strides[p]!));
}

export function broadcast(out: TensorArray, outShape: number[], x: TensorArray, xShape: number[]): void {
  gather(out, x, outShape, broadcastStrides(xShape, outShape));
}

// Each input is a block of `rows` rows of (its size along the axis × inner) values; the output
// interleaves those blocks row by row.
export function concat(out: TensorArray, inputs: TensorArray[], shapes: number[][], axis: number): void {
  const rank = shapes[0]!.length;
  const a = axis < 0 ? axis + rank : axis;
  let inner = 1;
  for (let i = a + 1; i < rank; i++) inner *= shapes[0]![i]!;
  let outRow = 0;
  for (const s of shapes) outRow += s[a]! * inner;
  const rows = outRow === 0 ? 0 : out.length / outRow;
  let offset = 0;
  inputs.forEach((x, k) => {
    const width = shapes[k]![a]! * inner;
    for (let r = 0; r < rows; r++) {
      const from = r * width;
      const to = r * outRow + offset;
      for (let j = 0; j < width; j++) out[to + j] = x[from + j]!;
    }
    offset += width;
  });
}

export function slice(out: TensorArray, x: TensorArray, xShape: number[], axis: number, start: number, end: number): void {
  const rank = xShape.length;
  const a = axis < 0 ? axis + rank : axis;
  let inner = 1;
  for (let i = a + 1; i < rank; i++) inner *= xShape[i]!;
  const inRow = xShape[a]! * inner;
  const width = (end - start) * inner;
  const rows = inRow === 0 ? 0 : x.length / inRow;
  for (let r = 0; r < rows; r++) {
    const from = r * inRow + start * inner;
    const to = r * width;
    for (let j = 0; j < width; j++) out[to + j] = x[from + j]!;
  }
}
