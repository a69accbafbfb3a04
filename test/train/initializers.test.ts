// Initial weights against torch.nn.init's formulas, checked by their statistics over large tensors:
// uniform kinds stay inside ±bound and fill it (variance bound²/3); normal kinds have the right
// mean and std within a few percent. Every bound and std is written out from PyTorch's formula here.

import { describe, expect, it } from "vitest";
import type { Initializer, ParamInfo, ParamRole, StateInfo } from "../../compiler/ir/graph.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";

function param(name: string, shape: number[], init: Initializer, fanIn: number, fanOut: number, role: ParamRole = "weight"): ParamInfo {
  return { name, shape, role, init, fanIn, fanOut, regularizers: [], node: 0, layer: name.split(".")[0]!, span: null };
}

function stats(values: Float32Array): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length), min, max };
}

// One large tensor of `init`, drawn with the given fans.
function draw(init: Initializer, fanIn: number, fanOut: number, shape = [400, 500], seed = 7): Float32Array {
  return initializeParams([param("layer.weight", shape, init, fanIn, fanOut)], seed)[0]!;
}

function expectUniform(values: Float32Array, low: number, high: number): void {
  const { mean, std, min, max } = stats(values);
  const width = high - low;
  expect(min).toBeGreaterThanOrEqual(low);
  expect(max).toBeLessThanOrEqual(high);
  // 200,000 draws come within 0.1% of both ends.
  expect(min).toBeLessThan(low + 0.001 * width);
  expect(max).toBeGreaterThan(high - 0.001 * width);
  expect(Math.abs(mean - (low + high) / 2)).toBeLessThan(0.01 * width);
  expect(Math.abs(std / (width / Math.sqrt(12)) - 1)).toBeLessThan(0.02);
}

function expectNormal(values: Float32Array, mean: number, std: number): void {
  const s = stats(values);
  expect(Math.abs(s.mean - mean)).toBeLessThan(0.02 * std);
  expect(Math.abs(s.std / std - 1)).toBeLessThan(0.02);
  // A normal's tails: about 0.27% of draws lie beyond 3 std, and practically none beyond 6.
  let beyond3 = 0;
  for (const v of values) if (Math.abs(v - mean) > 3 * std) beyond3++;
  expect(beyond3 / values.length).toBeGreaterThan(0.0015);
  expect(beyond3 / values.length).toBeLessThan(0.004);
  expect(Math.max(Math.abs(s.min - mean), Math.abs(s.max - mean))).toBeLessThan(6 * std);
}

describe("initializers (torch.nn.init formulas)", () => {
  it("zeros, ones and constant fill every value", () => {
    const [z, o, c] = initializeParams(
      [
        param("a.weight", [3, 4], { kind: "zeros" }, 4, 3),
        param("a.bias", [3], { kind: "ones" }, 4, 3, "bias"),
        param("b.weight", [2, 2, 2], { kind: "constant", value: 0.25 }, 4, 2),
      ],
      1,
    );
    expect(Array.from(z!)).toEqual(new Array(12).fill(0));
    expect(Array.from(o!)).toEqual([1, 1, 1]);
    expect(Array.from(c!)).toEqual(new Array(8).fill(0.25));
  });

  it("returns one Float32Array per parameter with the shape's number of values", () => {
    const out = initializeParams(
      [param("a.weight", [5, 7], { kind: "zeros" }, 7, 5), param("conv.weight", [4, 3, 2, 2], { kind: "zeros" }, 12, 16), param("s.scale", [], { kind: "ones" }, 1, 1)],
      0,
    );
    expect(out.map((a) => a instanceof Float32Array)).toEqual([true, true, true]);
    expect(out.map((a) => a.length)).toEqual([35, 48, 1]);
  });

  it("uniform(low, high) draws from U(low, high)", () => {
    expectUniform(draw({ kind: "uniform", low: 2, high: 5 }, 500, 400), 2, 5);
  });

  it("normal(mean, std) draws from N(mean, std²)", () => {
    expectNormal(draw({ kind: "normal", mean: 1, std: 0.5 }, 500, 400), 1, 0.5);
  });

  it("glorot_uniform: U(±gain·√(6/(fan_in + fan_out)))", () => {
    const bound = 1 * Math.sqrt(6 / (300 + 100));
    expectUniform(draw({ kind: "glorot_uniform", gain: 1 }, 300, 100), -bound, bound);
    const bound2 = 2 * Math.sqrt(6 / (50 + 150));
    expectUniform(draw({ kind: "glorot_uniform", gain: 2 }, 50, 150), -bound2, bound2);
  });

  it("glorot_normal: N(0, (gain·√(2/(fan_in + fan_out)))²)", () => {
    expectNormal(draw({ kind: "glorot_normal", gain: 1 }, 300, 100), 0, Math.sqrt(2 / 400));
    expectNormal(draw({ kind: "glorot_normal", gain: 2 }, 300, 100), 0, 2 * Math.sqrt(2 / 400));
  });

  it("he_uniform: U(±gain·√(3/fan_in)), which for relu's gain √2 is √(6/fan_in)", () => {
    const bound = Math.SQRT2 * Math.sqrt(3 / 256);
    expect(bound).toBeCloseTo(Math.sqrt(6 / 256), 15);
    expectUniform(draw({ kind: "he_uniform", gain: Math.SQRT2 }, 256, 64), -bound, bound);
  });

  it("he_normal: N(0, (gain/√fan_in)²), which for relu's gain √2 and fan_in 512 is std 1/16", () => {
    expectNormal(draw({ kind: "he_normal", gain: Math.SQRT2 }, 512, 10), 0, 1 / 16);
    // fan_out does not matter (mode fan_in).
    const a = draw({ kind: "he_normal", gain: 1 }, 100, 10);
    const b = draw({ kind: "he_normal", gain: 1 }, 100, 1000);
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
  });

  it("uses the layer's fan_in, not the tensor's last dimension (a conv weight [out, in, kh, kw])", () => {
    // conv2d(8 → 64, 3×3): fan_in = 8·3·3 = 72, fan_out = 64·3·3 = 576.
    const values = draw({ kind: "glorot_uniform", gain: 1 }, 72, 576, [64, 8, 3, 3]);
    const bound = Math.sqrt(6 / (72 + 576));
    const { min, max } = stats(values);
    expect(min).toBeGreaterThanOrEqual(-bound);
    expect(max).toBeLessThanOrEqual(bound);
    expect(max).toBeGreaterThan(0.99 * bound);
  });

  it("torch_default: weights and biases both U(±1/√fan_in), with the weight's fan_in", () => {
    // nn.Linear(400, 500): kaiming_uniform_(a=√5) gives gain √(2/6) and bound gain·√(3/400) = 1/20.
    expect(Math.sqrt(2 / (1 + 5)) * Math.sqrt(3 / 400)).toBeCloseTo(1 / 20, 15);
    const [weight, bias] = initializeParams(
      [param("fc.weight", [500, 400], { kind: "torch_default" }, 400, 500), param("fc.bias", [500], { kind: "torch_default" }, 400, 500, "bias")],
      3,
    );
    expectUniform(weight!, -0.05, 0.05);
    const b = stats(bias!);
    expect(b.min).toBeGreaterThanOrEqual(-0.05);
    expect(b.max).toBeLessThanOrEqual(0.05);
    // 500 draws still reach past 95% of the bound on both sides.
    expect(b.min).toBeLessThan(-0.0475);
    expect(b.max).toBeGreaterThan(0.0475);
  });

  it("the same seed gives bit-for-bit the same values", () => {
    const params = [param("h1.weight", [64, 32], { kind: "glorot_normal", gain: 1 }, 32, 64), param("h1.bias", [64], { kind: "torch_default" }, 32, 64, "bias")];
    const a = initializeParams(params, 42);
    const b = initializeParams(params, 42);
    expect(Buffer.from(a[0]!.buffer).equals(Buffer.from(b[0]!.buffer))).toBe(true);
    expect(Buffer.from(a[1]!.buffer).equals(Buffer.from(b[1]!.buffer))).toBe(true);
    const c = initializeParams(params, 43);
    expect(c[0]).not.toEqual(a[0]);
  });

  it("each parameter draws from its own stream: different names give different values, and adding a layer changes no other", () => {
    const init: Initializer = { kind: "uniform", low: -1, high: 1 };
    const [h1, h2] = initializeParams([param("h1.weight", [16, 16], init, 16, 16), param("h2.weight", [16, 16], init, 16, 16)], 5);
    expect(h1).not.toEqual(h2);
    const withExtra = initializeParams([param("h0.weight", [8, 8], init, 8, 8), param("h2.weight", [16, 16], init, 16, 16), param("h1.weight", [16, 16], init, 16, 16)], 5);
    expect(withExtra[2]).toEqual(h1);
    expect(withExtra[1]).toEqual(h2);
  });

  it("initializeState fills each state tensor with its initial value", () => {
    const state: StateInfo[] = [
      { name: "bn.running_mean", shape: [4], init: 0, node: 0 },
      { name: "bn.running_var", shape: [4], init: 1, node: 1 },
      { name: "conv_bn.running_var", shape: [2, 3], init: 0.5, node: 2 },
    ];
    const [mean, variance, other] = initializeState(state);
    expect(Array.from(mean!)).toEqual([0, 0, 0, 0]);
    expect(Array.from(variance!)).toEqual([1, 1, 1, 1]);
    expect(Array.from(other!)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(variance).toBeInstanceOf(Float32Array);
    expect(initializeState([])).toEqual([]);
  });
});
