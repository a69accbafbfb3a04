// 2-D pooling over NCHW tensors, as PyTorch's MaxPool2d and AvgPool2d (floor mode).
//
// Max pooling pads with −∞ (padding never wins); a window's argmax is its first largest element in
// row-major order, as PyTorch picks it, and the scatter (maxpool2d_grad) and the gather
// (maxpool2d_gather) use that same argmax, so they stay exact adjoints. Average pooling counts the
// padding in the divisor (count_include_pad = true), so every window divides by KH·KW.

import type { FloatArray } from "./types.ts";

export interface Window {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

// The flat index in x of the argmax of window (y, xo) of plane `plane`, or −1 if the window only
// covers padding (impossible in floor mode with padding ≤ kernel/2, as PyTorch requires).
function argmax(x: FloatArray, plane: number, h: number, w: number, y: number, xo: number, win: Window): number {
  const top = y * win.stride[0] - win.padding[0];
  const left = xo * win.stride[1] - win.padding[1];
  let best = -1;
  let bestValue = -Infinity;
  for (let i = Math.max(top, 0); i < Math.min(top + win.kernel[0], h); i++) {
    for (let j = Math.max(left, 0); j < Math.min(left + win.kernel[1], w); j++) {
      const at = plane + i * w + j;
      const v = x[at]!;
      if (best < 0 || v > bestValue || v !== v) {
        best = at;
        bestValue = v;
        if (v !== v) return best; // NaN wins, as in PyTorch
      }
    }
  }
  return best;
}

// One pass over the windows of x [N, C, H, W] and their argmax. The three users differ only in
// what they do with it, chosen by `mode` (a number rather than a callback, to keep the loop free
// of closure calls): 0 forward max, 1 scatter src (pooled) into out (input-shaped), 2 gather src
// (input-shaped) into out (pooled).
function eachArgmax(x: FloatArray, xShape: number[], outShape: number[], win: Window, out: FloatArray, src: FloatArray, mode: number): void {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [, , oh, ow] = outShape as [number, number, number, number];
  let o = 0;
  for (let p = 0; p < n * c; p++) {
    const plane = p * h * w;
    for (let y = 0; y < oh; y++) {
      for (let xo = 0; xo < ow; xo++, o++) {
        const at = argmax(x, plane, h, w, y, xo, win);
        if (mode === 0) out[o] = at < 0 ? -Infinity : x[at]!;
        else if (mode === 1) {
          if (at >= 0) out[at] += src[o]!;
        } else out[o] = at < 0 ? 0 : src[at]!;
      }
    }
  }
}

export function maxpool2d(out: FloatArray, x: FloatArray, xShape: number[], outShape: number[], win: Window): void {
  eachArgmax(x, xShape, outShape, win, out, x, 0);
}

// dx (input-shaped) = scatter of g (pooled shape) to each window's argmax in x.
export function maxpool2dGrad(dx: FloatArray, x: FloatArray, g: FloatArray, xShape: number[], gShape: number[], win: Window): void {
  dx.fill(0);
  eachArgmax(x, xShape, gShape, win, dx, g, 1);
}

// out (pooled shape) = v (input-shaped) read at each window's argmax in x.
export function maxpool2dGather(out: FloatArray, x: FloatArray, v: FloatArray, xShape: number[], outShape: number[], win: Window): void {
  eachArgmax(x, xShape, outShape, win, out, v, 2);
}

// Average pooling (adjoint false) or its adjoint, which spreads each pooled value evenly over its
// window (adjoint true). `big` is the input-shaped tensor, `small` the pooled one.
export function avgpool2d(big: FloatArray, small: FloatArray, bigShape: number[], smallShape: number[], win: Window, adjoint: boolean): void {
  const [n, c, h, w] = bigShape as [number, number, number, number];
  const [, , oh, ow] = smallShape as [number, number, number, number];
  const scale = 1 / (win.kernel[0] * win.kernel[1]);
  if (adjoint) big.fill(0);
  let o = 0;
  for (let p = 0; p < n * c; p++) {
    const plane = p * h * w;
    for (let y = 0; y < oh; y++) {
      const top = y * win.stride[0] - win.padding[0];
      const i0 = Math.max(top, 0);
      const i1 = Math.min(top + win.kernel[0], h);
      for (let xo = 0; xo < ow; xo++, o++) {
        const left = xo * win.stride[1] - win.padding[1];
        const j0 = Math.max(left, 0);
        const j1 = Math.min(left + win.kernel[1], w);
        if (adjoint) {
          const share = small[o]! * scale;
          for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) big[plane + i * w + j] += share;
        } else {
          let total = 0;
          for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) total += big[plane + i * w + j]!;
          small[o] = total * scale;
        }
      }
    }
  }
}
