// The analysis on WebGPU: the curvature graph (loss, gradient, Hessian-vector product) compiled for
// the device gives the CPU runtime's numbers to float32 precision, and the verdicts agree.

import { afterAll, describe, expect, it } from "vitest";
import { buildCurvatureGraph } from "../../compiler/step/curvature.ts";
import { compile } from "../../compiler/index.ts";
import { analyzeCurvature, DEFAULT_ANALYSIS } from "../../runtime/analysis/analyze.ts";
import { CpuCurvatureEngine } from "../../runtime/analysis/cpu-engine.ts";
import { chunksOf, type CurvatureEngine } from "../../runtime/analysis/engine.ts";
import { WebGpuCurvatureEngine } from "../../runtime/analysis/webgpu-engine.ts";
import { Rng } from "../../runtime/rng.ts";
import { initializeParams } from "../../runtime/train/init.ts";
import { prepareData } from "../../runtime/train/prepare.ts";
import { testGpu } from "../webgpu/gpu.ts";
import { objective } from "./helpers.ts";

const gpu = await testGpu();
afterAll(() => gpu?.destroy());

const MLP = `
model mlp {
  input  x: [B, 2]
  target y: class[B] of 2
  h      = dense(x, 6) |> tanh |> batchnorm
  logits = dense(h, 2)
  loss   cross_entropy(logits, y)
  regularize l2(1e-2)
}
train mlp {
  data      xor(n: 40, seed: 4)
  optimizer adam(lr: 0.01)
}
`;

async function engines(text: string, chunkSize = 16): Promise<{ cpu: CurvatureEngine; webgpu: CurvatureEngine; theta: Float64Array }> {
  const { model, config, evalGraph } = compile(text, "test.nn");
  if (!model || !config || !evalGraph) throw new Error("does not compile");
  const curvature = buildCurvatureGraph(evalGraph);
  const target = model.targets[0];
  const data = target ? prepareData(config, { kind: target.kind, classes: target.classes, width: 1 }, ".").train : null;
  const chunks = chunksOf(curvature, data, model.loss?.reduction ?? "mean", chunkSize);
  const state = Object.fromEntries(evalGraph.state.map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(s.name.endsWith("var") ? 1.3 : 0.1)]));
  const params = initializeParams(evalGraph.params, 2);
  const theta = Float64Array.from(params.flatMap((p) => Array.from(p)));
  return { cpu: new CpuCurvatureEngine(curvature, chunks, state), webgpu: await WebGpuCurvatureEngine.create(gpu!, curvature, chunks, state), theta };
}

const relative = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
};

describe.skipIf(!gpu)("the analysis on WebGPU", () => {
  for (const [name, text] of [
    ["an MLP with batch norm, in chunks", MLP],
    ["Rosenbrock", objective("  param w: [2] init [-1.5, 2]", "rosenbrock(w[0], w[1])")],
  ] as const) {
    it(`${name}: loss, gradient and H·v match the CPU runtime`, async () => {
      const { cpu, webgpu, theta } = await engines(text);
      for (const e of [cpu, webgpu]) e.setParams(theta);
      const [a, b] = [await cpu.lossAndGradient(), await webgpu.lossAndGradient()];
      expect(Math.abs(b.loss - a.loss) / Math.max(1, Math.abs(a.loss))).toBeLessThan(1e-5);
      expect(relative(b.gradient, a.gradient)).toBeLessThan(1e-4);
      const rng = new Rng(3);
      const v = Float64Array.from({ length: cpu.size }, () => rng.normal());
      const [ha, hb] = [await cpu.hvp(v), await webgpu.hvp(v)];
      expect(relative(hb, ha)).toBeLessThan(1e-4);
      // The loss alone (the landscape's forward-only program), here and a step away.
      for (const at of [theta, theta.map((x, i) => x + 0.1 * v[i]!)]) {
        for (const e of [cpu, webgpu]) e.setParams(at);
        const [la, lb] = [await cpu.loss(), await webgpu.loss()];
        expect(Math.abs(lb.loss - la.loss) / Math.max(1, Math.abs(la.loss))).toBeLessThan(1e-5);
        expect(Math.abs(lb.regLoss - la.regLoss) / Math.max(1, Math.abs(la.regLoss))).toBeLessThan(1e-5);
        expect((await cpu.lossAndGradient()).loss).toBe(la.loss);
      }
      webgpu.dispose();
    });
  }

  it("finds the saddle of x² − y² and Rosenbrock's minimum", async () => {
    for (const [text, kind] of [
      [objective("  param w: [2] init [0, 0]", "saddle(w[0], w[1])"), "saddle"],
      [objective("  param w: [2] init [1, 1]", "rosenbrock(w[0], w[1])"), "minimum"],
    ] as const) {
      const { webgpu, theta } = await engines(text);
      const r = await analyzeCurvature(webgpu, theta, { ...DEFAULT_ANALYSIS, traceSamples: 4, densityProbes: 1, escape: { step: 0.1, halvings: 2 } });
      expect(r.verdict.kind).toBe(kind);
      expect(r.precision).toBe("f32");
      if (kind === "saddle") {
        expect(r.exact!.eigenvalues[0]).toBeCloseTo(-2, 5);
        expect(r.escape!.chosen!.loss).toBeLessThan(r.escape!.before);
      } else {
        expect(r.exact!.eigenvalues[1]).toBeCloseTo(501 + Math.sqrt(301 ** 2 + 400 ** 2), 2);
      }
      webgpu.dispose();
    }
  });
});
