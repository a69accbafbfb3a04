// The CPU executor: only needed nodes run, symbolic dims bind from the fed sizes, buffer plans are
// reused across runs and across bindings, and buffers are shared between intermediate nodes.

import { describe, expect, it } from "vitest";
import { gradients } from "../../compiler/autodiff/autodiff.ts";
import { GraphBuilder } from "../../compiler/ir/graph.ts";
import { CpuProgram } from "../../runtime/cpu/executor.ts";
import { Rng } from "../../runtime/rng.ts";
import { randomValues } from "./run-op.ts";

// A 6 → 8 → 3 MLP with dropout and softmax cross-entropy, and its parameter gradients.
function mlp() {
  const b = new GraphBuilder("mlp.nn", "train");
  const x = b.source("input", { name: "x" }, ["B", 6]);
  const y = b.source("input", { name: "y" }, ["B"], "i32");
  const w1 = b.source("param", { name: "h.weight" }, [8, 6]);
  const b1 = b.source("param", { name: "h.bias" }, [8]);
  const w2 = b.source("param", { name: "out.weight" }, [3, 8]);
  let h = b.unary("relu", b.binary("add", b.matmul(x, w1, false, true), b1));
  h = b.binary("mul", h, b.add("dropout_mask", [h], { p: 0.3, key: 1 }));
  const logits = b.matmul(h, w2, false, true);
  const picked = b.sum(b.binary("mul", b.add("one_hot", [y], { classes: 3 }), b.add("log_softmax", [logits], { axis: 1 })), [1]);
  const loss = b.unary("neg", b.mean(picked, [0]));
  const grads = gradients(b.graph, loss, [w1, b1, w2]);
  const params = {
    "h.weight": Float32Array.from(randomValues(48, 1)),
    "h.bias": Float32Array.from(randomValues(8, 2)),
    "out.weight": Float32Array.from(randomValues(24, 3)),
  };
  const feeds = (batch: number) => ({
    inputs: {
      x: Float32Array.from(randomValues(batch * 6, 10 + batch)),
      y: Int32Array.from({ length: batch }, (_, i) => i % 3),
    },
    params,
    state: {},
  });
  return { graph: b.graph, loss, grads, logits, feeds };
}

const copy = (arrays: ArrayLike<number>[]) => arrays.map((a) => Array.from(a));

describe("CpuProgram", () => {
  it("gives identical results when its buffers are reused across runs", () => {
    const { graph, loss, grads, feeds } = mlp();
    const program = new CpuProgram(graph, [loss, ...grads]);
    const f = feeds(5);
    const first = copy(program.run(f, {}, 9));
    const second = copy(program.run(f, {}, 9));
    expect(second).toEqual(first);
    expect(first[0]![0]).toBeGreaterThan(0);
    // A different generator gives a different dropout mask, hence a different loss.
    expect(program.run(f, {}, 10)[0]![0]).not.toBe(first[0]![0]);
  });

  it("runs batch 3, then 5, then 3 again, matching fresh programs", () => {
    const { graph, loss, grads, feeds } = mlp();
    const program = new CpuProgram(graph, [loss, ...grads]);
    for (const batch of [3, 5, 3]) {
      const fresh = copy(new CpuProgram(graph, [loss, ...grads]).run(feeds(batch), {}, 4));
      expect(copy(program.run(feeds(batch), { B: batch }, 4))).toEqual(fresh);
    }
  });

  it("binds B from the fed size and returns outputs of the bound shape", () => {
    const { graph, logits, feeds } = mlp();
    const [out] = new CpuProgram(graph, [logits]).run(feeds(7), {}, 1);
    expect(out!.length).toBe(21);
    expect(out).toBeInstanceOf(Float32Array);
  });

  it("runs only the nodes its outputs need (the labels are not needed for the logits)", () => {
    const { graph, logits, feeds } = mlp();
    const f = feeds(2);
    delete (f.inputs as Record<string, unknown>).y;
    expect(() => new CpuProgram(graph, [logits]).run(f, {}, 1)).not.toThrow();
  });

  it("converts float32 feeds in float64 mode, matching float32 to float32 precision", () => {
    const { graph, loss, grads, feeds } = mlp();
    const f = feeds(4);
    const single = copy(new CpuProgram(graph, [loss, ...grads]).run(f, {}, 2));
    const double = new CpuProgram(graph, [loss, ...grads], { precision: "f64" }).run(f, {}, 2);
    expect(double[0]).toBeInstanceOf(Float64Array);
    double.forEach((a, i) => a.forEach((v, j) => expect(Math.abs(v - single[i]![j]!)).toBeLessThan(1e-5)));
  });

  it("shares buffers between intermediate nodes", () => {
    const b = new GraphBuilder("chain.nn", "train");
    let x = b.source("input", { name: "x" }, ["B", 100]);
    for (let i = 0; i < 20; i++) x = b.unary(i % 2 ? "tanh" : "exp", x);
    const program = new CpuProgram(b.graph, [x]);
    // 20 nodes of 100·B floats, but only a few live at once: the input, two alternating
    // intermediates and the output.
    expect(program.plannedBytes({ B: 2 })).toBeLessThanOrEqual(4 * 200 * 4);
    const input = new Float32Array(200).fill(0.5);
    const [out] = program.run({ inputs: { x: input }, params: {}, state: {} }, {}, 1);
    let v = 0.5;
    for (let i = 0; i < 20; i++) v = i % 2 ? Math.tanh(v) : Math.exp(v);
    expect(out![0]).toBeCloseTo(v, 5);
  });

  it("returns a fed array as is when an output is a source", () => {
    const b = new GraphBuilder("id.nn", "train");
    const w = b.source("param", { name: "w" }, [3]);
    const value = new Float32Array([1, 2, 3]);
    const [out] = new CpuProgram(b.graph, [w]).run({ inputs: {}, params: { w: value }, state: {} }, {}, 1);
    expect(out).toBe(value);
  });
});
