// L-BFGS, as torch.optim.LBFGS: a quasi-Newton method that approximates the inverse Hessian from
// the last `history_size` pairs of steps s and gradient changes y (the two-loop recursion), with
// either a fixed step or PyTorch's strong-Wolfe line search. It is full-batch: one `step` runs up
// to max_iter iterations and calls the closure for every loss and gradient it needs.
//
// Everything PyTorch keeps between calls (d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad,
// prev_loss, n_iter, func_evals) is kept here too, so calling step once per epoch continues the
// way repeated `optimizer.step(closure)` calls do in PyTorch, and saveState/loadState carry it.
// Vectors are float32 like PyTorch's; dot products are summed in float64.

import type { OptimizerConfig } from "../../../compiler/ir/config.ts";
import { absMax, absSum, addScaled, dot, gather, scatter } from "./flat.ts";
import { OptimizerStateError, type OptimizerState } from "./state.ts";
import { strongWolfe } from "./strong-wolfe.ts";

export type LbfgsConfig = Extract<OptimizerConfig, { kind: "lbfgs" }>;

// Evaluates the loss and its gradients at the current parameters (which L-BFGS has just updated in
// place). The gradients may be the same arrays every call: they are copied at once. Asynchronous,
// since a backend may compute them on a GPU.
export type LbfgsClosure = () => Promise<{ loss: number; grads: Float32Array[] }>;

export interface LbfgsResult {
  loss: number; // the loss at the start of the call, as PyTorch's step returns
  iterations: number; // L-BFGS iterations in this call
  evaluations: number; // closure calls in this call
}

// Curvature pairs with y·s at or below this are skipped (they would break positive definiteness).
const CURVATURE_THRESHOLD = 1e-10;

export class LbfgsOptimizer {
  readonly kind = "lbfgs";

  // State carried between calls (PyTorch's names in comments).
  private funcEvals = 0; // func_evals
  private iterationsSoFar = 0; // n_iter
  private direction: Float32Array | null = null; // d
  private stepLength = 0; // t
  private oldDirs: Float32Array[] = []; // old_dirs: gradient changes y
  private oldStps: Float32Array[] = []; // old_stps: steps s
  private ro: number[] = []; // 1 / (y·s) per pair
  private hDiag = 1; // H_diag: the initial inverse-Hessian scale y·s / y·y
  private prevFlatGrad: Float32Array | null = null; // prev_flat_grad
  private prevLoss: number | null = null; // prev_loss

  // Scratch, allocated once: the current flat gradient, the point a line search starts from, the
  // line search's trial gradients, the two-loop coefficients, and the next y and s before they
  // join the history (recycled from the oldest pair once the history is full).
  private flatGrad: Float32Array | null = null;
  private start: Float32Array | null = null;
  private trialGrads: [Float32Array, Float32Array, Float32Array] | null = null;
  private alphas: Float64Array | null = null;
  private spareY: Float32Array | null = null;
  private spareS: Float32Array | null = null;

  constructor(
    private readonly config: LbfgsConfig,
    private readonly totalSize: number,
  ) {}

  // One call of PyTorch's `LBFGS.step(closure)`. `lr` defaults to the configured one; a schedule
  // may pass its own, as changing `param_groups[0]["lr"]` does in PyTorch.
  async step(params: Float32Array[], closure: LbfgsClosure, lr: number = this.config.lr): Promise<LbfgsResult> {
    const { max_iter, max_eval, tolerance_grad, tolerance_change, history_size, line_search } = this.config;
    const n = this.totalSize;
    const flatGrad = (this.flatGrad ??= new Float32Array(n));

    const first = await closure();
    const origLoss = first.loss;
    let loss = origLoss;
    gather(first.grads, flatGrad);
    let currentEvals = 1;
    this.funcEvals++;

    // Already at a stationary point: nothing to do (and no state changes beyond the count).
    let optimal = absMax(flatGrad) <= tolerance_grad;
    if (optimal) return { loss: origLoss, iterations: 0, evaluations: currentEvals };

    let d = this.direction;
    let iterations = 0;
    while (iterations < max_iter) {
      iterations++;
      this.iterationsSoFar++;

      if (this.iterationsSoFar === 1) {
        // The very first iteration: steepest descent, empty history.
        d = this.direction = new Float32Array(n);
        for (let i = 0; i < n; i++) d[i] = -flatGrad[i]!;
        this.oldDirs = [];
        this.oldStps = [];
        this.ro = [];
        this.hDiag = 1;
      } else {
        this.updateHistory(flatGrad, d!, history_size);
        this.twoLoop(flatGrad, d!, history_size);
      }

      this.prevFlatGrad ??= new Float32Array(n);
      this.prevFlatGrad.set(flatGrad);
      this.prevLoss = loss;

      // The first step ever is scaled by the gradient's 1-norm, later ones trust the model.
      let t = this.iterationsSoFar === 1 ? Math.min(1, 1 / absSum(flatGrad)) * lr : lr;
      this.stepLength = t;

      // Not a descent direction (to tolerance): stop.
      const gtd = dot(flatGrad, d!);
      if (gtd > -tolerance_change) break;

      let lineSearchEvals = 0;
      if (line_search === "strong_wolfe") {
        const start = (this.start ??= new Float32Array(n));
        gather(params, start);
        const trialGrads = (this.trialGrads ??= [new Float32Array(n), new Float32Array(n), new Float32Array(n)]);
        // Evaluate at start + s·d, then put the parameters back, as PyTorch's _directional_evaluate.
        const evaluate = async (s: number, grad: Float32Array): Promise<number> => {
          addScaled(params, s, d!);
          const result = await closure();
          gather(result.grads, grad);
          scatter(start, params);
          return result.loss;
        };
        const found = await strongWolfe(evaluate, t, d!, loss, flatGrad, gtd, trialGrads);
        loss = found.loss;
        flatGrad.set(found.grad);
        t = this.stepLength = found.t;
        lineSearchEvals = found.evaluations;
        addScaled(params, t, d!);
        optimal = absMax(flatGrad) <= tolerance_grad;
      } else {
        addScaled(params, t, d!);
        // The last iteration does not re-evaluate: with stochastic losses the value would be
        // wasted, and the next call starts with its own evaluation.
        if (iterations !== max_iter) {
          const result = await closure();
          loss = result.loss;
          gather(result.grads, flatGrad);
          optimal = absMax(flatGrad) <= tolerance_grad;
          lineSearchEvals = 1;
        }
      }
      currentEvals += lineSearchEvals;
      this.funcEvals += lineSearchEvals;

      if (iterations === max_iter) break;
      if (currentEvals >= max_eval) break;
      if (optimal) break;
      // The step, or the change in loss, is too small to continue.
      if (absMax(d!) * Math.abs(t) <= tolerance_change) break;
      if (Math.abs(loss - this.prevLoss) < tolerance_change) break;
    }
    return { loss: origLoss, iterations, evaluations: currentEvals };
  }

  // Adds the pair y = g − g_prev, s = t·d from the last iteration when it has positive curvature,
  // dropping the oldest pair when the history is full.
  private updateHistory(flatGrad: Float32Array, d: Float32Array, historySize: number): void {
    const n = this.totalSize;
    const y = (this.spareY ??= new Float32Array(n));
    const s = (this.spareS ??= new Float32Array(n));
    const prev = this.prevFlatGrad!;
    for (let i = 0; i < n; i++) {
      y[i] = flatGrad[i]! - prev[i]!;
      s[i] = d[i]! * this.stepLength;
    }
    const ys = dot(y, s);
    if (!(ys > CURVATURE_THRESHOLD)) return;
    if (this.oldDirs.length === historySize) {
      this.spareY = this.oldDirs.shift()!;
      this.spareS = this.oldStps.shift()!;
      this.ro.shift();
    } else {
      this.spareY = null;
      this.spareS = null;
    }
    this.oldDirs.push(y);
    this.oldStps.push(s);
    this.ro.push(1 / ys);
    this.hDiag = ys / dot(y, y);
  }

  // The two-loop recursion: d ← −H·g, with H the L-BFGS inverse-Hessian approximation built from
  // the history and the initial scale H_diag. Computed in place in d, as PyTorch computes it in q/r.
  private twoLoop(flatGrad: Float32Array, d: Float32Array, historySize: number): void {
    const n = this.totalSize;
    const alphas = (this.alphas ??= new Float64Array(historySize));
    const count = this.oldDirs.length;
    for (let i = 0; i < n; i++) d[i] = -flatGrad[i]!;
    for (let k = count - 1; k >= 0; k--) {
      const alpha = dot(this.oldStps[k]!, d) * this.ro[k]!;
      alphas[k] = alpha;
      const y = this.oldDirs[k]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! - alpha * y[i]!;
    }
    for (let i = 0; i < n; i++) d[i] = d[i]! * this.hDiag;
    for (let k = 0; k < count; k++) {
      const beta = dot(this.oldDirs[k]!, d) * this.ro[k]!;
      const s = this.oldStps[k]!;
      const scale = alphas[k]! - beta;
      for (let i = 0; i < n; i++) d[i] = d[i]! + scale * s[i]!;
    }
  }

  saveState(): OptimizerState {
    const scalars: Record<string, number> = {
      func_evals: this.funcEvals,
      n_iter: this.iterationsSoFar,
      t: this.stepLength,
      H_diag: this.hDiag,
    };
    if (this.prevLoss !== null) scalars.prev_loss = this.prevLoss;
    const tensors: Record<string, Float32Array[]> = {
      old_dirs: this.oldDirs.map((y) => y.slice()),
      old_stps: this.oldStps.map((s) => s.slice()),
    };
    if (this.direction) tensors.d = [this.direction.slice()];
    if (this.prevFlatGrad) tensors.prev_flat_grad = [this.prevFlatGrad.slice()];
    return { scalars, tensors };
  }

  loadState(state: OptimizerState): void {
    const { scalars, tensors } = state;
    const count = (name: string): number => {
      const value = scalars[name];
      if (value === undefined || !Number.isInteger(value) || value < 0) throw new OptimizerStateError(`the L-BFGS state's \`${name}\` must be a whole number ≥ 0`);
      return value;
    };
    const vector = (array: Float32Array | undefined, name: string): Float32Array => {
      if (!array || array.length !== this.totalSize) throw new OptimizerStateError(`the L-BFGS state's \`${name}\` is missing or has the wrong size`);
      return Float32Array.from(array);
    };
    this.funcEvals = count("func_evals");
    this.iterationsSoFar = count("n_iter");
    this.stepLength = scalars.t ?? 0;
    this.hDiag = scalars.H_diag ?? 1;
    this.prevLoss = scalars.prev_loss ?? null;
    const started = this.iterationsSoFar > 0;
    this.direction = started ? vector(tensors.d?.[0], "d") : null;
    this.prevFlatGrad = started ? vector(tensors.prev_flat_grad?.[0], "prev_flat_grad") : null;
    const dirs = tensors.old_dirs ?? [];
    const stps = tensors.old_stps ?? [];
    if (dirs.length !== stps.length || dirs.length > this.config.history_size) {
      throw new OptimizerStateError("the L-BFGS history has lists of different lengths, or more entries than `history_size`");
    }
    this.oldDirs = dirs.map((y, i) => vector(y, `old_dirs.${i}`));
    this.oldStps = stps.map((s, i) => vector(s, `old_stps.${i}`));
    // ρ = 1/(y·s) is recomputed from the stored float32 pairs exactly as it was first computed, so
    // the restored values are bit-identical without storing them.
    this.ro = this.oldDirs.map((y, i) => 1 / dot(y, this.oldStps[i]!));
    this.spareY = null;
    this.spareS = null;
  }
}
