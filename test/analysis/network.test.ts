// The estimators on small networks with data, where the exact Hessian is known: Lanczos agrees
// with the full eigendecomposition, Hutchinson's trace is within its stated error, Hessian-vector
// products match central differences of the gradient, chunked sums equal the whole, and the loss is
// the evaluation graph's (dropout off, batch norm on its running statistics).

import { describe, expect, it } from "vitest";
import { buildPrograms } from "../../compiler/step/programs.ts";
import { analyzeCurvature, DEFAULT_ANALYSIS } from "../../runtime/analysis/analyze.ts";
import { exactHessian } from "../../runtime/analysis/hessian.ts";
import { hutchinsonTrace } from "../../runtime/analysis/hutchinson.ts";
import { Rng } from "../../runtime/rng.ts";
import { CpuBackend } from "../../runtime/train/cpu-backend.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { openSource } from "./helpers.ts";

const MLP = `
model mlp {
  input  x: [B, 2]
  target y: [B, 1]
  h1     = dense(x, 6) |> tanh
  h2     = dense(h1, 5) |> softplus
  logits = dense(h2, 1)
  loss   bce_with_logits(logits, y)
  regularize l2(1e-2)
}
train mlp {
  data      moons(n: 60, noise: 0.2, seed: 4)
  optimizer adam(lr: 0.01)
  seed      3
}
`;

// Batch norm and dropout, whose training-mode randomness the analysis must not see.
const NORMALIZED = `
model bn {
  input  x: [B, 2]
  target y: class[B] of 3
  h      = dense(x, 5) |> batchnorm |> sigmoid |> dropout(0.3)
  logits = dense(h, 3)
  loss   cross_entropy(logits, y, reduction: sum)
}
train bn {
  data      spirals(n: 45, classes: 3, seed: 2)
  optimizer sgd(lr: 0.1)
}
`;

describe("on a small MLP", () => {
  it("Lanczos agrees with the exact eigendecomposition, within its residuals", async () => {
    const { session, theta } = await openSource(MLP);
    const r = await analyzeCurvature(session.engine, theta, { ...DEFAULT_ANALYSIS, lanczosSteps: 30 });
    expect(r.parameters).toBe(2 * 6 + 6 + 6 * 5 + 5 + 5 + 1);
    expect(r.exact!.asymmetry).toBeLessThan(1e-12);
    expect(r.lanczos.largest.converged).toBe(true);
    expect(r.lanczos.smallest.converged).toBe(true);
    expect(r.exact!.agreement.withinResidual).toBe(true);
    const exact = r.exact!.eigenvalues;
    const scale = Math.max(Math.abs(exact[0]!), Math.abs(exact.at(-1)!));
    expect(Math.abs(r.lanczos.largest.value - exact.at(-1)!)).toBeLessThan(1e-8 * scale);
    expect(Math.abs(r.lanczos.smallest.value - exact[0]!)).toBeLessThan(1e-4 * scale);
    // Every Ritz value lies inside the spectrum (Cauchy's interlacing theorem).
    for (const ritz of r.lanczos.ritzValues) {
      expect(ritz).toBeGreaterThanOrEqual(exact[0]! - 1e-12 * scale);
      expect(ritz).toBeLessThanOrEqual(exact.at(-1)! + 1e-12 * scale);
    }
    expect(r.trace.exact).toBeCloseTo(exact.reduce((a, b) => a + b, 0), 10);
    session.dispose();
  });

  it("Hutchinson's trace is within its stated error", async () => {
    const { session, theta } = await openSource(MLP);
    session.engine.setParams(theta);
    const op = (v: Float64Array) => session.engine.hvp(v);
    const exact = await exactHessian(op, session.engine.size);
    const trace = exact.values.reduce((a, b) => a + b, 0);
    // One estimate: within three standard errors.
    const one = await hutchinsonTrace(op, session.engine.size, 30, 0);
    expect(Math.abs(one.estimate - trace)).toBeLessThan(3 * one.standardError);
    // Over 40 seeds, about 95% of the estimates lie within two standard errors.
    let within = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const e = await hutchinsonTrace(op, session.engine.size, 30, seed);
      if (Math.abs(e.estimate - trace) <= 2 * e.standardError) within++;
    }
    expect(within).toBeGreaterThanOrEqual(32);
    session.dispose();
  });

  it("Hessian-vector products match central differences of the gradient", async () => {
    for (const source of [MLP, NORMALIZED]) {
      const { session, theta } = await openSource(source);
      const engine = session.engine;
      const rng = new Rng(6);
      const v = Float64Array.from({ length: engine.size }, () => rng.normal());
      engine.setParams(theta);
      const hv = await engine.hvp(v);
      const eps = 1e-5;
      const at = async (sign: number) => {
        engine.setParams(theta.map((t, i) => t + sign * eps * v[i]!));
        return (await engine.lossAndGradient()).gradient;
      };
      const [up, down] = [await at(1), await at(-1)];
      let worst = 0;
      hv.forEach((h, i) => {
        const numeric = (up[i]! - down[i]!) / (2 * eps);
        worst = Math.max(worst, Math.abs(h - numeric) / Math.max(1, Math.abs(h)));
      });
      expect(worst).toBeLessThan(1e-6);
      expect(Math.max(...hv.map(Math.abs))).toBeGreaterThan(1e-3);
      session.dispose();
    }
  });

  it("sums over chunks of the examples equal the whole, for mean and sum losses", async () => {
    for (const source of [MLP, NORMALIZED]) {
      const whole = await openSource(source);
      const chunked = await openSource(source, "cpu", 7);
      const rng = new Rng(1);
      const v = Float64Array.from({ length: whole.session.engine.size }, () => rng.normal());
      for (const s of [whole, chunked]) s.session.engine.setParams(whole.theta);
      const [a, b] = [await whole.session.engine.lossAndGradient(), await chunked.session.engine.lossAndGradient()];
      expect(b.loss).toBeCloseTo(a.loss, 12);
      expect(b.regLoss).toBeCloseTo(a.regLoss, 12);
      b.gradient.forEach((g, i) => expect(g).toBeCloseTo(a.gradient[i]!, 12));
      const [ha, hb] = [await whole.session.engine.hvp(v), await chunked.session.engine.hvp(v)];
      hb.forEach((h, i) => expect(h).toBeCloseTo(ha[i]!, 10));
    }
  });

  it("measures the evaluation graph's loss: dropout off, batch norm on its running statistics", async () => {
    const { session, theta, compiled, data } = await openSource(NORMALIZED);
    const { model, config, trainGraph, evalGraph } = compiled;
    const programs = buildPrograms(trainGraph!, evalGraph!, config!, model!.loss);
    const backend = new CpuBackend(programs, { params: initializeParams(trainGraph!.params, config!.seed), state: initializeState(trainGraph!.state) });
    const evaluated = await backend.evaluate(data!.train, 1024);
    session.engine.setParams(theta);
    const measured = await session.engine.lossAndGradient();
    // cross_entropy with reduction sum: the evaluation reports the sum over the examples.
    expect(measured.loss).toBeCloseTo(evaluated.loss, 3);
    session.dispose();
  });
});
