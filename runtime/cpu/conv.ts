// conv2d and its two gradients, by im2col and the blocked matmul, one image at a time.
//
// For image n, im2col lays the input out as cols[C·KH·KW, OH·OW] (each column is one receptive
// field, zeros where it reads padding). Then
//   conv2d:             y[n]  = W[O, C·KH·KW] · cols                  (PyTorch's cross-correlation)
//   conv2d_grad_weight: dW   += g[n][O, OH·OW] · colsᵀ
//   conv2d_grad_input:  dx[n] = col2im(Wᵀ · g[n])                       (scatter-add of the columns)
// The column buffer is scratch memory that grows to the largest layer and is then reused.

import { matmul } from "./matmul.ts";
import type { FloatArray } from "./types.ts";

export interface ConvGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  stride: [number, number];
  padding: [number, number];
}

// x [N, C, H, W] and weight [O, C, KH, KW]; the output's spatial size comes from its shape.
export function geometry(xShape: number[], wShape: number[], yShape: number[], stride: [number, number], padding: [number, number]): ConvGeometry {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [o, , kh, kw] = wShape as [number, number, number, number];
  return { n, c, h, w, o, kh, kw, oh: yShape[2]!, ow: yShape[3]!, stride, padding };
}

let scratch32 = new Float32Array(0);
let scratch64 = new Float64Array(0);

function columns(like: FloatArray, size: number): FloatArray {
  if (like instanceof Float64Array) {
    if (scratch64.length < size) scratch64 = new Float64Array(size);
    return scratch64;
  }
  if (scratch32.length < size) scratch32 = new Float32Array(size);
  return scratch32;
}

function im2col(cols: FloatArray, x: FloatArray, xOffset: number, g: ConvGeometry): void {
  const { c, h, w, kh, kw, oh, ow } = g;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.padding;
  let at = 0;
  for (let ci = 0; ci < c; ci++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        for (let y = 0; y < oh; y++) {
          const iy = y * sh + ki - ph;
          if (iy < 0 || iy >= h) {
            for (let xo = 0; xo < ow; xo++) cols[at++] = 0;
            continue;
          }
          const row = xOffset + (ci * h + iy) * w;
          for (let xo = 0; xo < ow; xo++) {
            const ix = xo * sw + kj - pw;
            cols[at++] = ix >= 0 && ix < w ? x[row + ix]! : 0;
          }
        }
      }
    }
  }
}

// The adjoint of im2col: adds each column entry back to the input position it was read from.
function col2im(dx: FloatArray, xOffset: number, cols: FloatArray, g: ConvGeometry): void {
  const { c, h, w, kh, kw, oh, ow } = g;
  const [sh, sw] = g.stride;
  const [ph, pw] = g.padding;
  let at = 0;
  for (let ci = 0; ci < c; ci++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        for (let y = 0; y < oh; y++) {
          const iy = y * sh + ki - ph;
          if (iy < 0 || iy >= h) {
            at += ow;
            continue;
          }
          const row = xOffset + (ci * h + iy) * w;
          for (let xo = 0; xo < ow; xo++, at++) {
            const ix = xo * sw + kj - pw;
            if (ix >= 0 && ix < w) dx[row + ix] += cols[at]!;
          }
        }
      }
    }
  }
}

export function conv2d(y: FloatArray, x: FloatArray, weight: FloatArray, g: ConvGeometry): void {
  const patch = g.c * g.kh * g.kw;
  const pixels = g.oh * g.ow;
  const cols = columns(y, patch * pixels);
  for (let n = 0; n < g.n; n++) {
    im2col(cols, x, n * g.c * g.h * g.w, g);
    matmul(weight, 0, cols, 0, y, n * g.o * pixels, g.o, pixels, patch, false, false, false);
  }
}

export function conv2dGradWeight(dw: FloatArray, x: FloatArray, grad: FloatArray, g: ConvGeometry): void {
  const patch = g.c * g.kh * g.kw;
  const pixels = g.oh * g.ow;
  const cols = columns(dw, patch * pixels);
  if (g.n === 0) dw.fill(0);
  for (let n = 0; n < g.n; n++) {
    im2col(cols, x, n * g.c * g.h * g.w, g);
    matmul(grad, n * g.o * pixels, cols, 0, dw, 0, g.o, patch, pixels, false, true, n > 0);
  }
}

export function conv2dGradInput(dx: FloatArray, grad: FloatArray, weight: FloatArray, g: ConvGeometry): void {
  const patch = g.c * g.kh * g.kw;
  const pixels = g.oh * g.ow;
  const cols = columns(dx, patch * pixels);
  dx.fill(0);
  for (let n = 0; n < g.n; n++) {
    matmul(weight, 0, grad, n * g.o * pixels, cols, 0, patch, pixels, g.o, true, false, false);
    col2im(dx, n * g.c * g.h * g.w, cols, g);
  }
}
