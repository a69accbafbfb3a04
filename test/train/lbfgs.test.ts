// L-BFGS against what PyTorch's torch.optim.LBFGS guarantees: exact minimization of a convex
// quadratic in about n iterations with the strong-Wolfe line search, convergence on Rosenbrock's
// function across repeated step calls, the max_iter / max_eval / tolerance_grad stopping rules,
// and a saved state that resumes exactly.

import { describe, expect, it } from "vitest";
import type { OptimizerConfig } from "../../compiler/ir/config.ts";
import { LbfgsOptimizer } from "../../runtime/train/optimizers/index.ts";
import { cubicInterpolate } from "../../runtime/train/optimizers/strong-wolfe.ts";

type LbfgsConfig = Extract<OptimizerConfig, { kind: "lbfgs" }>;
const config = (o: Partial<LbfgsConfig> = {}): LbfgsConfig => {
  const max_iter = o.max_iter ?? 20;
  return { kind: "lbfgs", lr: 1, max_iter, max_eval: Math.floor((max_iter * 5) / 4), history_size: 100, tolerance_grad: 1e-7, tolerance_change: 1e-9, line_search: "strong_wolfe", ...o };
};

// f(x) = ½xᵀAx − bᵀx with A symmetric positive definite; its gradient is Ax − b. The parameters
// are split over two arrays (3 + 2) to check the flattening.
function quadratic(A: number[][], b: number[]) {
  const n = b.length;
  const grads = [new Float32Array(3), new Float32Array(n - 3)];
  let calls = 0;
  const closure = (params: Float32Array[]) => async () => {
    calls++;
    const x = [...params[0]!, ...params[1]!];
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let ax = 0;
      for (let j = 0; j < n; j++) ax += A[i]![j]! * x[j]!;
      loss += 0.5 * x[i]! * ax - b[i]! * x[i]!;
      const g = ax - b[i]!;
      if (i < 3) grads[0]![i] = g;
      else grads[1]![i - 3] = g;
    }
    return { loss, grads };
  };
  return { closure, calls: () => calls };
}

// Solves A x = b by Gaussian elimination with partial pivoting (the exact minimizer).
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const m = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k] = m[r]![k]! - f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

// A = MᵀM + I for a fixed M: symmetric positive definite, condition number around 30.
const M = [
  [1, 0.5, -0.3, 0.2, 0],
  [0.1, 1.2, 0.4, -0.5, 0.3],
  [-0.2, 0.3, 0.9, 0.1, -0.4],
  [0.4, -0.1, 0.2, 1.5, 0.6],
  [0, 0.2, -0.6, 0.3, 1.1],
];
const A = M.map((_, i) => M.map((_, j) => M.reduce((sum, row) => sum + row[i]! * row[j]!, 0) + (i === j ? 1 : 0)));
const B = [1, -2, 0.5, 3, -1];

const flat = (params: Float32Array[]) => params.flatMap((p) => Array.from(p));
const startQuadratic = () => [Float32Array.from([0, 0, 0]), Float32Array.from([0, 0])];

// Rosenbrock's function (1 − x)² + 100(y − x²)², minimum 0 at (1, 1).
function rosenbrock() {
  const grads = [new Float32Array(2)];
  let calls = 0;
  const closure = (params: Float32Array[]) => async () => {
    calls++;
    const [x, y] = [params[0]![0]!, params[0]![1]!];
    grads[0]![0] = -2 * (1 - x) - 400 * x * (y - x * x);
    grads[0]![1] = 200 * (y - x * x);
    return { loss: (1 - x) ** 2 + 100 * (y - x * x) ** 2, grads };
  };
  return { closure, calls: () => calls };
}

describe("L-BFGS", () => {
  // With an exact line search L-BFGS on a quadratic is conjugate gradients and ends in n steps.
  // PyTorch's strong-Wolfe search (c2 = 0.9) accepts the first step that satisfies the conditions,
  // which here is always the unit step, so the steps are not exact minimizations along d and the
  // finite termination of CG is lost; convergence is still superlinear, in 8 iterations here.
  it("minimizes a 5-dimensional convex quadratic to the exact minimizer in under 2n iterations (strong Wolfe)", async () => {
    const exact = solve(A, B);
    const params = startQuadratic();
    const problem = quadratic(A, B);
    const optimizer = new LbfgsOptimizer(config({ max_iter: 20, max_eval: 100 }), 5);
    const result = await optimizer.step(params, problem.closure(params));
    expect(result.iterations).toBeLessThanOrEqual(10);
    expect(result.loss).toBe(0); // the loss at the start of the call
    expect(result.evaluations).toBe(problem.calls());
    flat(params).forEach((x, i) => expect(Math.abs(x - exact[i]!)).toBeLessThan(1e-5));
  });

  it("reaches Rosenbrock's minimum (1, 1) from (−1.5, 2) over repeated calls (strong Wolfe)", async () => {
    const params = [Float32Array.from([-1.5, 2])];
    const problem = rosenbrock();
    const optimizer = new LbfgsOptimizer(config(), 2);
    let calls = 0;
    let iterations = 0;
    while (calls < 10) {
      const result = await optimizer.step(params, problem.closure(params));
      calls++;
      iterations += result.iterations;
      if (result.iterations === 0) break; // converged: the gradient is below tolerance_grad
      if (Math.abs(params[0]![0]! - 1) < 1e-4 && Math.abs(params[0]![1]! - 1) < 1e-4) break;
    }
    expect(Math.abs(params[0]![0]! - 1)).toBeLessThan(1e-3);
    expect(Math.abs(params[0]![1]! - 1)).toBeLessThan(1e-3);
    expect(iterations).toBeLessThanOrEqual(100);
    expect(calls).toBeLessThanOrEqual(6);
  });

  it("converges on a well-scaled quadratic with fixed steps (no line search)", async () => {
    // A diagonal-dominant A with eigenvalues in about [0.6, 1.5], where the unit step is safe.
    const A2 = [
      [1, 0.1, 0, 0, 0.05],
      [0.1, 1.2, 0.1, 0, 0],
      [0, 0.1, 0.8, 0.1, 0],
      [0, 0, 0.1, 1.1, 0.1],
      [0.05, 0, 0, 0.1, 0.9],
    ];
    const exact = solve(A2, B);
    const params = startQuadratic();
    const problem = quadratic(A2, B);
    const optimizer = new LbfgsOptimizer(config({ line_search: "none", max_iter: 50, max_eval: 100 }), 5);
    for (let call = 0; call < 3; call++) await optimizer.step(params, problem.closure(params));
    flat(params).forEach((x, i) => expect(Math.abs(x - exact[i]!)).toBeLessThan(1e-4));
  });

  it("takes the first step t = min(1, 1/Σ|g|)·lr along −g", async () => {
    // f = ½‖x‖² from x = (3, −4): g = x, Σ|g| = 7, so without line search x ← x − x/7.
    const params = [Float32Array.from([3, -4])];
    const grads = [new Float32Array(2)];
    const closure = async () => {
      grads[0]!.set(params[0]!);
      return { loss: 0.5 * (params[0]![0]! ** 2 + params[0]![1]! ** 2), grads };
    };
    const optimizer = new LbfgsOptimizer(config({ line_search: "none", max_iter: 1 }), 2);
    const result = await optimizer.step(params, closure);
    expect(result).toEqual({ loss: 12.5, iterations: 1, evaluations: 1 });
    expect(params[0]![0]).toBeCloseTo(3 - 3 / 7, 6);
    expect(params[0]![1]).toBeCloseTo(-4 + 4 / 7, 6);
  });

  it("bounds the work by max_iter", async () => {
    const params = [Float32Array.from([-1.5, 2])];
    const problem = rosenbrock();
    const fixed = new LbfgsOptimizer(config({ line_search: "none", lr: 1e-3, max_iter: 3, max_eval: 100 }), 2);
    // Without line search: one evaluation up front, one after each iteration but the last.
    expect(await fixed.step(params, problem.closure(params))).toMatchObject({ iterations: 3, evaluations: 3 });
    expect(problem.calls()).toBe(3);

    const searched = new LbfgsOptimizer(config({ max_iter: 2, max_eval: 1000 }), 2);
    const other = rosenbrock();
    const otherParams = [Float32Array.from([-1.5, 2])];
    const result = await searched.step(otherParams, other.closure(otherParams));
    expect(result.iterations).toBe(2);
    expect(result.evaluations).toBe(other.calls());
  });

  it("bounds the work by max_eval, checked after each iteration as in PyTorch", async () => {
    const params = [Float32Array.from([-1.5, 2])];
    const problem = rosenbrock();
    const optimizer = new LbfgsOptimizer(config({ max_iter: 100, max_eval: 1 }), 2);
    const result = await optimizer.step(params, problem.closure(params));
    expect(result.iterations).toBe(1);
    expect(result.evaluations).toBe(problem.calls());
    expect(result.evaluations).toBeGreaterThan(1);

    const fixed = new LbfgsOptimizer(config({ line_search: "none", lr: 1e-3, max_iter: 100, max_eval: 5 }), 2);
    const other = rosenbrock();
    const otherParams = [Float32Array.from([-1.5, 2])];
    expect(await fixed.step(otherParams, other.closure(otherParams))).toMatchObject({ iterations: 4, evaluations: 5 });
  });

  it("stops at once when the gradient is within tolerance_grad", async () => {
    const params = [Float32Array.from([1, 1])];
    const problem = rosenbrock();
    const optimizer = new LbfgsOptimizer(config(), 2);
    expect(await optimizer.step(params, problem.closure(params))).toEqual({ loss: 0, iterations: 0, evaluations: 1 });
    expect(Array.from(params[0]!)).toEqual([1, 1]);
    expect(optimizer.saveState().scalars).toMatchObject({ n_iter: 0, func_evals: 1 });
  });

  for (const line_search of ["strong_wolfe", "none"] as const) {
    it(`resumes identically from a saved state (${line_search}, history recycled)`, async () => {
      // A short history (3) so the saved state holds a full, recycled history.
      const settings = config({ line_search, history_size: 3, max_iter: 4, max_eval: 100, lr: line_search === "none" ? 0.1 : 1 });
      const straight = [Float32Array.from([-1.5, 2])];
      const a = new LbfgsOptimizer(settings, 2);
      const problemA = rosenbrock();
      const resultsA = [];
      for (let k = 0; k < 5; k++) resultsA.push(await a.step(straight, problemA.closure(straight)));

      const resumed = [Float32Array.from([-1.5, 2])];
      const b = new LbfgsOptimizer(settings, 2);
      const problemB = rosenbrock();
      const resultsB = [];
      for (let k = 0; k < 2; k++) resultsB.push(await b.step(resumed, problemB.closure(resumed)));
      const saved = b.saveState();
      expect(saved.tensors.old_dirs!.length).toBe(3);
      expect(saved.scalars.n_iter).toBe(8);

      const c = new LbfgsOptimizer(settings, 2);
      c.loadState(saved);
      for (let k = 0; k < 3; k++) resultsB.push(await c.step(resumed, problemB.closure(resumed)));
      expect(resultsB).toEqual(resultsA);
      expect(Array.from(resumed[0]!)).toEqual(Array.from(straight[0]!));
      expect(c.saveState()).toEqual(a.saveState());
    });
  }

  it("uses the learning rate passed to step in place of the configured one", async () => {
    const params = [Float32Array.from([3, -4])];
    const grads = [new Float32Array(2)];
    const closure = async () => {
      grads[0]!.set(params[0]!);
      return { loss: 0, grads };
    };
    await new LbfgsOptimizer(config({ line_search: "none", max_iter: 1 }), 2).step(params, closure, 0.5);
    expect(params[0]![0]).toBeCloseTo(3 - (0.5 * 3) / 7, 6);
  });
});

describe("cubic interpolation", () => {
  it("finds the minimizer of a cubic from two points and their slopes", async () => {
    // f(x) = x³ − 3x has its local minimum at x = 1; f(0) = 0, f'(0) = −3, f(2) = 2, f'(2) = 9.
    expect(cubicInterpolate(0, 0, -3, 2, 2, 9)).toBeCloseTo(1, 12);
    // The same with the points given in the other order.
    expect(cubicInterpolate(2, 2, 9, 0, 0, -3)).toBeCloseTo(1, 12);
    // A quadratic (x − 0.3)² is a cubic too: its minimizer 0.3.
    expect(cubicInterpolate(0, 0.09, -0.6, 1, 0.49, 1.4)).toBeCloseTo(0.3, 12);
  });

  it("clamps to the bounds and falls back to the midpoint without a minimum", async () => {
    expect(cubicInterpolate(0, 0, -3, 2, 2, 9, 1.5, 3)).toBe(1.5);
    // With slopes 1 and 1 and f rising by 2/3, d1 = 0 and d2² = −1: no real minimizer.
    expect(cubicInterpolate(0, 0, 1, 1, 2 / 3, 1)).toBe(0.5);
  });
});
