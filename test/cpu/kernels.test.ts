// Forward values of the CPU kernels that are easy to get subtly wrong, against naive loops and
// hand-computed numbers.

import { describe, expect, it } from "vitest";
import { matmul } from "../../runtime/cpu/matmul.ts";
import { randomValues, range, runOp } from "./run-op.ts";

function naiveMatmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number, ta: boolean, tb: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ta ? p * m + i : i * k + p]! * b[tb ? j * k + p : p * n + j]!;
      c[i * n + j] = s;
    }
  }
  return c;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  }
  expect(worst).toBeLessThan(tolerance);
}

describe("matmul", () => {
  for (const [m, k, n] of [[7, 13, 5], [1, 1, 1], [5, 130, 9], [128, 784, 256], [70, 300, 261]] as const) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`${m}×${k}×${n} transposeA=${ta} transposeB=${tb}`, () => {
          const a = Float32Array.from(randomValues(m * k, 1));
          const b = Float32Array.from(randomValues(k * n, 2));
          const expected = naiveMatmul(a, b, m, n, k, ta, tb);
          const c = new Float32Array(m * n);
          matmul(a, 0, b, 0, c, 0, m, n, k, ta, tb, false);
          expectClose(c, expected, 1e-5);
          // Accumulating adds to what is there.
          matmul(a, 0, b, 0, c, 0, m, n, k, ta, tb, true);
          expectClose(c, expected.map((v) => 2 * v), 1e-5);
        });
      }
    }
  }

  it("as an IR op with a symbolic batch", () => {
    const x = randomValues(3 * 4, 3);
    const w = randomValues(2 * 4, 4);
    const { values } = runOp([{ shape: ["B", 4], values: x }, { shape: [2, 4], values: w }], (b, [a, c]) => b.matmul(a!, c!, false, true));
    expectClose(values, naiveMatmul(x, w, 3, 2, 4, false, true), 1e-12);
  });
});

describe("conv2d", () => {
  function naiveConv(x: ArrayLike<number>, w: ArrayLike<number>, [n, c, h, wd]: number[], [o, , kh, kw]: number[], [sh, sw]: number[], [ph, pw]: number[]) {
    const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
    const ow = Math.floor((wd + 2 * pw - kw) / sw) + 1;
    const y = new Float64Array(n * o * oh * ow);
    for (let b = 0; b < n; b++)
      for (let q = 0; q < o; q++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++) {
            let s = 0;
            for (let ci = 0; ci < c; ci++)
              for (let u = 0; u < kh; u++)
                for (let v = 0; v < kw; v++) {
                  const yy = i * sh + u - ph;
                  const xx = j * sw + v - pw;
                  if (yy >= 0 && yy < h && xx >= 0 && xx < wd) s += x[((b * c + ci) * h + yy) * wd + xx]! * w[((q * c + ci) * kh + u) * kw + v]!;
                }
            y[((b * o + q) * oh + i) * ow + j] = s;
          }
    return { y, shape: [n, o, oh, ow] };
  }

  for (const v of [
    { x: [2, 3, 7, 6], w: [4, 3, 3, 2], stride: [2, 2], padding: [1, 1] },
    { x: [1, 2, 5, 9], w: [3, 2, 2, 3], stride: [1, 2], padding: [0, 1] },
    { x: [3, 1, 4, 4], w: [2, 1, 1, 1], stride: [1, 1], padding: [0, 0] },
  ]) {
    it(`x ${v.x} w ${v.w} stride ${v.stride} padding ${v.padding}`, () => {
      const x = randomValues(v.x.reduce((p, d) => p * d), 5);
      const w = randomValues(v.w.reduce((p, d) => p * d), 6);
      const expected = naiveConv(x, w, v.x, v.w, v.stride, v.padding);
      const { values, shape } = runOp([{ shape: v.x, values: x }, { shape: v.w, values: w }], (b, [a, c]) =>
        b.add("conv2d", [a!, c!], { stride: v.stride as [number, number], padding: v.padding as [number, number] }),
      );
      expect(shape).toEqual(expected.shape);
      expectClose(values, expected.y, 1e-12);
    });
  }
});

describe("pooling", () => {
  const x = range(9, 1); // [[1,2,3],[4,5,6],[7,8,9]]
  const window = { kernel: [2, 2] as [number, number], stride: [2, 2] as [number, number], padding: [1, 1] as [number, number] };

  it("maxpool2d with padding never picks the padding", () => {
    expect(runOp([{ shape: [1, 1, 3, 3], values: x }], (b, [a]) => b.add("maxpool2d", [a!], window)).values).toEqual([1, 3, 7, 9]);
    const negative = x.map((v) => -v);
    expect(runOp([{ shape: [1, 1, 3, 3], values: negative }], (b, [a]) => b.add("maxpool2d", [a!], window)).values).toEqual([-1, -2, -4, -5]);
  });

  it("avgpool2d counts the padding in the divisor (count_include_pad)", () => {
    expect(runOp([{ shape: [1, 1, 3, 3], values: x }], (b, [a]) => b.add("avgpool2d", [a!], window)).values).toEqual([0.25, 1.25, 2.75, 7]);
    const overlapping = { kernel: [3, 3] as [number, number], stride: [1, 1] as [number, number], padding: [1, 1] as [number, number] };
    const { values } = runOp([{ shape: [1, 1, 3, 3], values: x }], (b, [a]) => b.add("avgpool2d", [a!], overlapping));
    expectClose(values, [12 / 9, 21 / 9, 16 / 9, 27 / 9, 45 / 9, 33 / 9, 24 / 9, 39 / 9, 28 / 9], 1e-12);
  });

  it("maxpool2d_grad scatters to the first maximum; maxpool2d_gather reads it back", () => {
    const tied = [1, 1, 0, 1]; // the first 1 of the window wins, as in PyTorch
    const w = { kernel: [2, 2] as [number, number], stride: [2, 2] as [number, number], padding: [0, 0] as [number, number] };
    const grad = runOp([{ shape: [1, 1, 2, 2], values: tied }, { shape: [1, 1, 1, 1], values: [5] }], (b, [a, g]) => b.add("maxpool2d_grad", [a!, g!], w));
    expect(grad.values).toEqual([5, 0, 0, 0]);
    const gathered = runOp([{ shape: [1, 1, 2, 2], values: tied }, { shape: [1, 1, 2, 2], values: [7, 8, 9, 10] }], (b, [a, v]) =>
      b.add("maxpool2d_gather", [a!, v!], w),
    );
    expect(gathered.values).toEqual([7]);
  });
});

describe("stable activations", () => {
  it("softmax and log_softmax at ±1000 (float32)", () => {
    const values = [1000, 1000, -1000, -1000, -1000, -999];
    const soft = runOp([{ shape: [2, 3], values }], (b, [a]) => b.add("softmax", [a!], { axis: 1 }), { precision: "f32" }).values;
    expectClose(soft, [0.5, 0.5, 0, 1 / (2 + Math.E), 1 / (2 + Math.E), Math.E / (2 + Math.E)], 1e-6);
    const logSoft = runOp([{ shape: [2, 3], values }], (b, [a]) => b.add("log_softmax", [a!], { axis: -1 }), { precision: "f32" }).values;
    const lse = Math.log(2 + Math.E);
    expectClose(logSoft, [-Math.LN2, -Math.LN2, -2000 - Math.LN2, -lse, -lse, 1 - lse], 1e-5);
  });

  it("softmax along a middle axis", () => {
    const { values } = runOp([{ shape: [1, 2, 2], values: [0, 1, 0, 3] }], (b, [a]) => b.add("softmax", [a!], { axis: 1 }));
    const e2 = Math.exp(2);
    expectClose(values, [0.5, 1 / (1 + e2), 0.5, e2 / (1 + e2)], 1e-12);
  });

  it("softplus and sigmoid at large magnitudes", () => {
    const values = [1000, -1000, 0, 1e-8, -30];
    const sp = runOp([{ shape: [5], values }], (b, [a]) => b.unary("softplus", a!)).values;
    expectClose(sp, [1000, 0, Math.LN2, Math.log1p(Math.exp(1e-8)), Math.exp(-30)], 1e-14);
    const sg = runOp([{ shape: [5], values }], (b, [a]) => b.unary("sigmoid", a!)).values;
    expectClose(sg, [1, 0, 0.5, 0.5 + 2.5e-9, Math.exp(-30) / (1 + Math.exp(-30))], 1e-14);
  });
});

describe("reductions and movement", () => {
  const x = range(24); // [2, 3, 4]: x[i, j, k] = 12i + 4j + k

  it("sum over axes 0 and 2 with keepdims", () => {
    const r = runOp([{ shape: [2, 3, 4], values: x }], (b, [a]) => b.sum(a!, [0, 2], true));
    expect(r.shape).toEqual([1, 3, 1]);
    expect(r.values).toEqual([60, 92, 124]);
  });
  it("max over a middle axis and mean over all axes", () => {
    expect(runOp([{ shape: [2, 3, 4], values: x }], (b, [a]) => b.add("max", [a!], { axes: [1], keepdims: false })).values).toEqual([
      8, 9, 10, 11, 20, 21, 22, 23,
    ]);
    expect(runOp([{ shape: [2, 3, 4], values: x }], (b, [a]) => b.mean(a!, [0, 1, 2])).values).toEqual([11.5]);
    expect(runOp([{ shape: [2, 3, 4], values: x }], (b, [a]) => b.mean(a!, [-1], true)).values).toEqual([1.5, 5.5, 9.5, 13.5, 17.5, 21.5]);
  });
  it("transpose, broadcast, concat, slice", () => {
    expect(runOp([{ shape: [2, 3], values: range(6) }], (b, [a]) => b.add("transpose", [a!], { perm: [1, 0] })).values).toEqual([0, 3, 1, 4, 2, 5]);
    expect(runOp([{ shape: [2, 1], values: [1, 2] }], (b, [a]) => b.broadcastTo(a!, [2, 2, 3])).values).toEqual([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
    expect(
      runOp([{ shape: [2, 1], values: [1, 2] }, { shape: [2, 2], values: [3, 4, 5, 6] }], (b, [p, q]) => b.add("concat", [p!, q!], { axis: 1 })).values,
    ).toEqual([1, 3, 4, 2, 5, 6]);
    expect(runOp([{ shape: [2, 3], values: range(6) }], (b, [a]) => b.add("slice", [a!], { axis: 1, start: 1, end: 3 })).values).toEqual([1, 2, 4, 5]);
  });
  it("binary ops broadcast both ways", () => {
    const r = runOp([{ shape: [2, 1, 3], values: range(6) }, { shape: [4, 1], values: [0, 10, 20, 30] }], (b, [p, q]) => b.binary("add", p!, q!));
    expect(r.shape).toEqual([2, 4, 3]);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) expected.push(3 * i + k + 10 * j);
    expect(r.values).toEqual(expected);
  });
  it("one_hot reads i32 labels; dim_size resolves symbolic dims", () => {
    expect(runOp([{ shape: ["B"], values: [2, 0], dtype: "i32" }], (b, [a]) => b.add("one_hot", [a!], { classes: 3 })).values).toEqual([0, 0, 1, 1, 0, 0]);
    expect(runOp([{ shape: ["B", 3, 2], values: range(30) }], (b, [a]) => b.add("dim_size", [a!], { axes: [0, 2] })).values).toEqual([10]);
  });
  it("dropout_mask keeps about 1 − p of the elements, scaled by 1/(1 − p)", () => {
    const { values } = runOp([{ shape: [10000], values: new Float64Array(10000) }], (b, [a]) => b.add("dropout_mask", [a!], { p: 0.25, key: 1 }));
    const kept = values.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([1 / 0.75]));
    expect(Math.abs(kept.length / 10000 - 0.75)).toBeLessThan(0.02);
  });
});
