// End to end: the MNIST examples trained on WebGPU reach the CPU runtime's accuracy (the runs are
// kept small; the numbers of both backends agree to rounding, so the accuracies agree to a few
// test digits at most).

import { describe, expect, it } from "vitest";
import { smallMnist, trainExample } from "../e2e/train-helpers.ts";
import { testGpu } from "./gpu.ts";

const gpu = await testGpu();

describe.skipIf(!gpu)("MNIST on WebGPU", () => {
  for (const [file, sizes, epochs] of [
    ["examples/mnist_mlp.nn", [1500, 500], 2],
    ["examples/mnist_cnn.nn", [400, 200], 1],
  ] as const) {
    it(`${file} reaches the CPU runtime's accuracy`, async () => {
      const settings = (c: Parameters<ReturnType<typeof smallMnist>>[0]) => ({ ...smallMnist(sizes[0], sizes[1])(c), epochs, early_stopping: null });
      const [webgpu, cpu] = [await trainExample(file, settings, { backend: "webgpu" }), await trainExample(file, settings, { backend: "cpu" })];
      expect(webgpu.summary.test!.n).toBe(sizes[1]);
      expect(Math.abs(webgpu.summary.test!.accuracy! - cpu.summary.test!.accuracy!)).toBeLessThanOrEqual(2 / sizes[1]);
      expect(webgpu.summary.test!.loss).toBeCloseTo(cpu.summary.test!.loss, 2);
    });
  }
});
