// A small harness for gradient checks: build a graph with named sources and random values, reduce
// its result to a scalar with a random probe (so every output element gets a different upstream
// gradient), and compare autodiff's gradient with central differences, all in float64.

import { gradients } from "../../compiler/autodiff/autodiff.ts";
import { GraphBuilder, type Shape } from "../../compiler/ir/graph.ts";
import { CpuProgram } from "../../runtime/cpu/executor.ts";
import type { Feeds, FloatArray } from "../../runtime/cpu/types.ts";
import { Rng } from "../../runtime/rng.ts";

export type Generator = (rng: Rng, i: number) => number;

// Uniform in ±[0.2, 1]: values away from 0, where relu, abs and step have a kink.
export const awayFromZero: Generator = (rng) => (0.2 + 0.8 * rng.uniform()) * (rng.uniform() < 0.5 ? -1 : 1);
export const positive: Generator = (rng) => 0.5 + rng.uniform();
export const uniform: Generator = (rng) => rng.uniform() * 2 - 1;

export class Case {
  readonly b = new GraphBuilder("check.nn", "train");
  readonly feeds: Feeds = { inputs: {}, params: {}, state: {} };
  readonly bindings: Record<string, number> = {};
  private readonly values = new Rng(7);

  // A parameter (static shape) filled by `gen`.
  param(name: string, shape: number[], gen: Generator = uniform): number {
    const node = this.b.source("param", { name }, shape);
    this.feeds.params[name] = this.fill(shape.reduce((p, d) => p * d, 1), gen);
    return node;
  }

  // An input whose shape may be symbolic; `concrete` gives the sizes fed this time.
  input(name: string, shape: Shape, concrete: number[], gen: Generator = uniform): number {
    const node = this.b.source("input", { name }, shape);
    this.feeds.inputs[name] = this.fill(concrete.reduce((p, d) => p * d, 1), gen);
    return node;
  }

  // Class labels 0..classes−1: an i32 input, fed as an Int32Array (it gets no gradient).
  labels(name: string, shape: Shape, concrete: number[], classes: number): number {
    const node = this.b.source("input", { name }, shape, "i32");
    this.feeds.inputs[name] = Int32Array.from({ length: concrete.reduce((p, d) => p * d, 1) }, () => this.values.int(classes));
    return node;
  }

  // Reduces y to Σ y·probe with a random probe of y's (concrete) size, fed as input "probe".
  probe(y: number): number {
    const size = this.program([y]).run(this.feeds, this.bindings, 1)[0]!.length;
    const p = this.b.source("input", { name: "probe" }, this.b.node(y).shape);
    this.feeds.inputs.probe = this.fill(size, uniform);
    const rank = this.b.node(y).shape.length;
    const product = this.b.binary("mul", y, p);
    return rank === 0 ? product : this.b.sum(product, [...Array(rank).keys()]);
  }

  program(outputs: number[]): CpuProgram {
    return new CpuProgram(this.b.graph, outputs, { precision: "f64" });
  }

  private fill(size: number, gen: Generator): Float64Array {
    const a = new Float64Array(size);
    for (let i = 0; i < size; i++) a[i] = gen(this.values, i);
    return a;
  }
}

// The fed array of a source node (a param or an input).
export function fedArray(c: Case, node: number): FloatArray {
  const n = c.b.node(node);
  const name = (n.attrs as { name: string }).name;
  const group = n.op === "param" ? c.feeds.params : n.op === "input" ? c.feeds.inputs : c.feeds.state;
  const value = group[name];
  if (!(value instanceof Float64Array)) throw new Error(`no float64 value for ${name}`);
  return value;
}

export interface CheckResult {
  maxError: number; // max over elements of |analytic − numeric| / max(|analytic|, |numeric|, 1)
  worst: string;
}

// Compares gradients(loss, wrt) with central differences of the loss. Every run uses a fresh
// generator with the same seed, so random masks are the same on both sides of each difference.
export function gradcheck(c: Case, loss: number, wrt: number[], eps = 1e-6, seed = 3): CheckResult {
  const grads = gradients(c.b.graph, loss, wrt);
  const analytic = c.program([loss, ...grads]).run(c.feeds, c.bindings, seed).slice(1).map((g) => Float64Array.from(g));
  const forward = c.program([loss]);
  const f = () => forward.run(c.feeds, c.bindings, seed)[0]![0]!;
  let maxError = 0;
  let worst = "";
  wrt.forEach((node, k) => {
    const x = fedArray(c, node);
    for (let i = 0; i < x.length; i++) {
      const saved = x[i]!;
      x[i] = saved + eps;
      const up = f();
      x[i] = saved - eps;
      const down = f();
      x[i] = saved;
      const numeric = (up - down) / (2 * eps);
      const a = analytic[k]![i]!;
      const error = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), 1);
      if (error > maxError) {
        maxError = error;
        worst = `wrt #${k} [${i}]: analytic ${a}, numeric ${numeric}`;
      }
    }
  });
  return { maxError, worst };
}
