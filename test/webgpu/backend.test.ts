// Step parity: 20 training steps of every example on the WebGPU backend against the CPU backend,
// from the same initial weights, batches, scalars and dropout seeds; then evaluation and
// prediction on the trained weights. Tolerance: 1e-3 relative per tensor element after 20 steps
// (f32 sums in another order differ by an ulp or two per step, and training amplifies that; one step
// agrees to 1e-5, test/webgpu/step.test.ts). The tolerances are stated in docs/DESIGN.md.

import { readdirSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.ts";
import { stepScalars } from "../../compiler/step/build.ts";
import { buildPrograms } from "../../compiler/step/programs.ts";
import { Rng } from "../../runtime/rng.ts";
import type { Dataset } from "../../runtime/data/dataset.ts";
import type { TrainingBackend } from "../../runtime/train/backend.ts";
import { CpuBackend } from "../../runtime/train/cpu-backend.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { WebGpuBackend } from "../../runtime/webgpu/backend.ts";
import { compilingSource } from "../../runtime/webgpu/compile.ts";
import { testGpu } from "./gpu.ts";

const gpu = await testGpu();
afterAll(() => gpu?.destroy());

const examples = readdirSync("examples").filter((f) => f.endsWith(".nn"));

function worstRelative(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let worst = 0;
  for (const [name, values] of Object.entries(b)) values.forEach((v, i) => (worst = Math.max(worst, Math.abs(a[name]![i]! - v) / Math.max(1, Math.abs(v)))));
  return worst;
}

describe.skipIf(!gpu)("20 steps on WebGPU match 20 steps on the CPU runtime", () => {
  for (const file of examples) {
    it(file, async () => {
      const compiled = compile(readFileSync(`examples/${file}`, "utf8"), `examples/${file}`);
      const { trainGraph, evalGraph, config, model } = compiled;
      if (!trainGraph || !evalGraph || !config || !model) throw new Error(`${file} does not compile`);
      const programs = buildPrograms(trainGraph, evalGraph, config, model.loss, { gradNorms: true });
      const initial = { params: initializeParams(trainGraph.params, 5), state: initializeState(trainGraph.state) };
      const cpu: TrainingBackend = new CpuBackend(programs, initial);
      const webgpu: TrainingBackend = await WebGpuBackend.create(gpu!, compilingSource(gpu!), programs, initial);
      // A model without data (examples/saddle.nn) has neither: its batches are empty.
      const input = trainGraph.inputs.find((i) => i.role === "input");
      const target = trainGraph.inputs.find((i) => i.role === "target");
      const width = (shape: (number | string)[] | undefined) => (shape ? shape.slice(1).reduce<number>((n, d) => n * (d as number), 1) : 0);
      const rng = new Rng(9);
      const makeBatch = (size: number) => ({
        size,
        features: Float32Array.from({ length: size * width(input?.shape) }, () => rng.uniform() * 2 - 1),
        targets: target?.dtype === "i32" ? Int32Array.from({ length: size }, () => rng.int(target.classes!)) : Float32Array.from({ length: size * width(target?.shape) }, () => rng.int(2) * 2 - 1),
      });
      const lbfgs = config.optimizer.kind === "lbfgs";
      for (let t = 1; t <= (lbfgs ? 3 : 20); t++) {
        const batch = makeBatch(t % 7 === 0 ? 7 : 12); // a last partial batch now and then
        if (lbfgs) {
          const [a, b] = await Promise.all([cpu.lossAndGradient(batch, t), webgpu.lossAndGradient(batch, t)]);
          expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a.loss)));
          continue;
        }
        const scalars = stepScalars(programs.step, { step: t, lr: config.optimizer.lr, momentum: null });
        const [a, b] = await Promise.all([cpu.step(batch, scalars, t), webgpu.step(batch, scalars, t)]);
        expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(a.loss)));
      }
      const [s1, s2] = await Promise.all([cpu.readState(), webgpu.readState()]);
      expect(worstRelative(s2.params, s1.params)).toBeLessThan(1e-3);
      expect(worstRelative(s2.state, s1.state)).toBeLessThan(1e-3);
      expect(worstRelative(s2.slots, s1.slots)).toBeLessThan(1e-3);
      const [m1, m2] = await Promise.all([cpu.takeMetrics(), webgpu.takeMetrics()]);
      expect(m2.n).toBe(m1.n);
      expect(m2.loss).toBeCloseTo(m1.loss, 4);
      const batch = makeBatch(50);
      const data: Dataset = { n: 50, features: batch.features, targets: Float32Array.from(batch.targets), featureSize: width(input?.shape), targetSize: width(target?.shape), targetKind: target && target.classes !== null ? "class" : "real", classes: target?.classes ?? null, featureNames: null, classNames: null, source: "test" };
      const [e1, e2] = await Promise.all([cpu.evaluate(data, 16), webgpu.evaluate(data, 16)]);
      expect(e2.loss).toBeCloseTo(e1.loss, 4);
      expect(e2.accuracy).toBe(e1.accuracy);
      const [p1, p2] = await Promise.all([cpu.predict(batch.features, 50, "prediction"), webgpu.predict(batch.features, 50, "prediction")]);
      expect(worstRelative({ p: p2 }, { p: p1 })).toBeLessThan(1e-3);
      webgpu.dispose();
    });
  }
});
