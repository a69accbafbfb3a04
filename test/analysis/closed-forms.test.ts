// `nnc analyze`'s figures against closed forms: the saddle x² − y², Rosenbrock's minimum, quadratic
// bowls with a chosen spectrum (found by Lanczos alone, without the exact Hessian), a maximum, the
// monkey saddle's zero Hessian, and a point that is not critical.

import { describe, expect, it } from "vitest";
import { analyzeSource, objective } from "./helpers.ts";

describe("closed forms", () => {
  it("x² − y² at the origin: a saddle with eigenvalues 2 and −2, and the escape lowers the loss", async () => {
    const r = await analyzeSource(objective("  param w: [2] init [0, 0]", "w[0]^2 - w[1]^2"), { escape: { step: 0.1, halvings: 8 } });
    expect(r.gradientNorm).toBe(0);
    expect(r.exact!.eigenvalues).toEqual([-2, 2]);
    expect(r.lanczos.smallest.value).toBeCloseTo(-2, 12);
    expect(r.lanczos.largest.value).toBeCloseTo(2, 12);
    expect(r.lanczos.smallest.converged && r.lanczos.largest.converged).toBe(true);
    expect(r.verdict.kind).toBe("saddle");
    expect(r.verdict.negative).toEqual({ count: 1, share: 0.5, estimated: false });
    expect(r.trace.exact).toBe(0);
    // Both signs of the eigenvector of −2 (the y-axis) are tried; each lowers the loss by 0.01.
    const escape = r.escape!;
    expect(escape.eigenvalue).toBe(-2);
    expect(escape.tries.map((t) => t.sign)).toEqual([1, -1]);
    expect(escape.before).toBe(0);
    expect(escape.chosen!.loss).toBeCloseTo(-0.01, 12);
    expect(escape.chosen!.predicted).toBeCloseTo(-0.01, 12);
    expect(Math.abs(escape.weights![0]!)).toBeLessThan(1e-15);
    expect(Math.abs(escape.weights![1]!)).toBeCloseTo(0.1, 12);
  });

  it("the built-in saddle(x, y) is the same function", async () => {
    const r = await analyzeSource(objective("  param x init 0\n  param y init 0", "saddle(x, y)"));
    expect(r.exact!.eigenvalues).toEqual([-2, 2]);
    expect(r.verdict.kind).toBe("saddle");
  });

  it("Rosenbrock at (1, 1): a minimum whose Hessian is [[802, −400], [−400, 200]]", async () => {
    const r = await analyzeSource(objective("  param w: [2] init [1, 1]", "rosenbrock(w[0], w[1])"), { exactLimit: 2 });
    expect(r.loss.total).toBe(0);
    expect(r.gradientNorm).toBe(0);
    const root = Math.sqrt(301 ** 2 + 400 ** 2);
    expect(r.exact!.eigenvalues[0]).toBeCloseTo(501 - root, 10);
    expect(r.exact!.eigenvalues[1]).toBeCloseTo(501 + root, 9);
    expect(r.lanczos.smallest.value).toBeCloseTo(501 - root, 9);
    expect(r.lanczos.largest.value).toBeCloseTo(501 + root, 9);
    expect(r.trace.exact).toBeCloseTo(1002, 9);
    expect(r.verdict.kind).toBe("minimum");
    expect(r.verdict.certain).toBe(true);
  });

  it("Beale's and Himmelblau's minima, and a maximum", async () => {
    expect((await analyzeSource(objective("  param w: [2] init [3, 0.5]", "beale(w[0], w[1])"))).verdict.kind).toBe("minimum");
    expect((await analyzeSource(objective("  param w: [2] init [3, 2]", "himmelblau(w[0], w[1])"))).verdict.kind).toBe("minimum");
    const maximum = await analyzeSource(objective("  param w: [3] init [0, 0, 0]", "-sum(w^2) - 2 * w[0]^2"));
    expect(maximum.verdict.kind).toBe("maximum");
    expect(maximum.exact!.eigenvalues).toEqual([-6, -2, -2]);
  });

  it("the monkey saddle's Hessian is zero at the origin: degenerate", async () => {
    const r = await analyzeSource(objective("  param w: [2] init [0, 0]", "monkey_saddle(w[0], w[1])"));
    expect(r.exact!.eigenvalues).toEqual([0, 0]);
    expect(r.verdict.kind).toBe("degenerate");
    expect(r.verdict.zero).toBe(2);
  });

  it("a point with a gradient is not critical", async () => {
    const r = await analyzeSource(objective("  param w: [2] init [-1.5, 2]", "rosenbrock(w[0], w[1])"));
    // ∇ = (−2(1 − x) − 400x(y − x²), 200(y − x²)) = (−155, −50); H = [[1902, 600], [600, 200]].
    expect(r.gradientNorm).toBeCloseTo(Math.hypot(155, 50), 9);
    expect(r.trace.exact).toBeCloseTo(2102, 9);
    expect(r.verdict.kind).toBe("not_critical");
  });

  it("Lanczos alone recovers a bowl's chosen spectrum: the extremes, with residuals that bound the error", async () => {
    // 40 eigenvalues from 1 to 1000, geometrically; no exact Hessian.
    const r = await analyzeSource(objective("  param w: [40] init 0", "bowl(w, condition: 1000)"), { exactLimit: 0, lanczosSteps: 40 });
    expect(r.exact).toBeNull();
    expect(r.lanczos.largest.converged && r.lanczos.smallest.converged).toBe(true);
    expect(Math.abs(r.lanczos.largest.value - 1000)).toBeLessThanOrEqual(r.lanczos.largest.residual + 1e-9);
    expect(Math.abs(r.lanczos.smallest.value - 1)).toBeLessThanOrEqual(r.lanczos.smallest.residual + 1e-9);
    expect(r.lanczos.largest.value).toBeCloseTo(1000, 6);
    expect(r.lanczos.smallest.value).toBeCloseTo(1, 6);
    // Every Ritz value of the whole Krylov space is one of the 40 eigenvalues.
    const spectrum = Array.from({ length: 40 }, (_, i) => 1000 ** (i / 39));
    for (const ritz of r.lanczos.ritzValues) expect(Math.min(...spectrum.map((l) => Math.abs(l - ritz)))).toBeLessThan(1e-6 * 1000);
    // A diagonal Hessian's Rademacher quadratic forms are its trace exactly.
    expect(r.trace.estimate).toBeCloseTo(spectrum.reduce((a, b) => a + b, 0), 6);
    expect(r.trace.standardError).toBeLessThan(1e-9);
    expect(r.verdict.kind).toBe("minimum");
  });

  it("a bowl with negative eigenvalues is a saddle by Lanczos alone, its negative share estimated", async () => {
    const eigenvalues = Array.from({ length: 30 }, (_, i) => (i < 6 ? -(i + 1) : i - 5));
    const r = await analyzeSource(objective("  param w: [30] init 0", `bowl(w, eigenvalues: [${eigenvalues.join(", ")}])`), { exactLimit: 0, densitySteps: 30 });
    expect(r.lanczos.smallest.value).toBeCloseTo(-6, 6);
    expect(r.lanczos.largest.value).toBeCloseTo(24, 6);
    expect(r.verdict.kind).toBe("saddle");
    expect(r.verdict.negative.estimated).toBe(true);
    // 6 of 30 negative; stochastic Lanczos quadrature with 4 probes estimates it to within 0.1.
    expect(Math.abs(r.verdict.negative.share - 0.2)).toBeLessThan(0.1);
    // The density integrates to about 1 over its grid.
    const d = r.density;
    const dx = d.grid[1]! - d.grid[0]!;
    expect(d.density.reduce((a, b) => a + b, 0) * dx).toBeCloseTo(1, 1);
  });
});
