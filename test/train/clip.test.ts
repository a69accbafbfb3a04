// Gradient clipping by global 2-norm, as torch.nn.utils.clip_grad_norm_: one factor
// maxNorm / (norm + 1e-6) for all gradients, applied only when it is below 1.

import { describe, expect, it } from "vitest";
import { clipGradNorm, globalNorm } from "../../runtime/train/clip.ts";

describe("gradient clipping", () => {
  it("computes the norm of all gradients together and of each on its own", () => {
    // ‖(3, 4)‖ = 5, ‖(12)‖ = 12, together √(9 + 16 + 144) = 13.
    const grads = [Float32Array.from([3, 4]), Float32Array.from([12])];
    expect(globalNorm(grads)).toBe(13);
    expect(globalNorm([])).toBe(0);
  });

  it("scales every gradient by maxNorm / (norm + 1e-6) above the threshold and returns the norm before", () => {
    const grads = [Float32Array.from([3, 4]), Float32Array.from([12])];
    const total = clipGradNorm(grads, 6.5);
    expect(total).toBe(13);
    const scale = 6.5 / (13 + 1e-6);
    expect(grads[0]![0]).toBeCloseTo(3 * scale, 6);
    expect(grads[0]![1]).toBeCloseTo(4 * scale, 6);
    expect(grads[1]![0]).toBeCloseTo(12 * scale, 6);
    // The direction is kept and the new norm sits just under the threshold.
    expect(globalNorm(grads)).toBeLessThanOrEqual(6.5);
    expect(globalNorm(grads)).toBeCloseTo(6.5, 5);
  });

  it("leaves gradients untouched at or below the threshold", () => {
    const below = [Float32Array.from([0.3, -0.4])];
    expect(clipGradNorm(below, 1)).toBeCloseTo(0.5, 7);
    expect(Array.from(below[0]!)).toEqual([Math.fround(0.3), Math.fround(-0.4)]);
    const zero = [new Float32Array(3)];
    expect(clipGradNorm(zero, 1)).toBe(0);
    expect(Array.from(zero[0]!)).toEqual([0, 0, 0]);
  });

  it("at exactly the threshold scales by maxNorm / (maxNorm + 1e-6), as PyTorch does", () => {
    const grads = [Float32Array.from([3, 4])];
    clipGradNorm(grads, 5);
    expect(grads[0]![0]).toBe(Math.fround(3 * (5 / (5 + 1e-6))));
  });
});
