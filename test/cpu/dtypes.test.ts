// i32 on the CPU runtime: class labels and argmax live in Int32Arrays and move and compare
// exactly (values past 2^24, which float32 cannot hold, included), feeds of the wrong array type
// are internal errors, i32 and f32 buffers are never shared, and the CPU backend trains a
// classifier from Int32Array labels.

import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.ts";
import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import { GraphBuilder } from "../../compiler/ir/graph.ts";
import { buildPrograms } from "../../compiler/step/programs.ts";
import { stepScalars } from "../../compiler/step/build.ts";
import { CpuProgram } from "../../runtime/cpu/executor.ts";
import type { Dataset } from "../../runtime/data/dataset.ts";
import { CpuBackend } from "../../runtime/train/cpu-backend.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { runOp } from "./run-op.ts";

const BIG = 2 ** 24 + 1; // the first integer a float32 rounds (to 2^24)

describe("i32 on the CPU runtime", () => {
  for (const precision of ["f32", "f64"] as const) {
    it(`moves i32 values exactly through the movement ops and keeps them Int32Array (${precision})`, () => {
      const labels = { shape: [2, 3], values: [BIG, 1, 2, 3, BIG + 2, 5], dtype: "i32" as const };
      const cases: [string, (b: GraphBuilder, x: number) => number, number[]][] = [
        ["reshape", (b, x) => b.reshape(x, [3, 2]), [BIG, 1, 2, 3, BIG + 2, 5]],
        ["transpose", (b, x) => b.add("transpose", [x], { perm: [1, 0] }), [BIG, 3, 1, BIG + 2, 2, 5]],
        ["slice", (b, x) => b.add("slice", [x], { axis: 1, start: 0, end: 2 }), [BIG, 1, 3, BIG + 2]],
        ["concat", (b, x) => b.add("concat", [x, x], { axis: 0 }), [BIG, 1, 2, 3, BIG + 2, 5, BIG, 1, 2, 3, BIG + 2, 5]],
        ["broadcast", (b, x) => b.broadcastTo(b.reshape(x, [1, 2, 3]), [2, 2, 3]), [BIG, 1, 2, 3, BIG + 2, 5, BIG, 1, 2, 3, BIG + 2, 5]],
      ];
      for (const [name, build, expected] of cases) {
        const { array, values } = runOp([labels], (b, [x]) => build(b, x!), { precision });
        expect(array, name).toBeInstanceOf(Int32Array);
        expect(values, name).toEqual(expected);
      }
    });

    it(`compares i32 exactly and gives eq's result as floats, fused and unfused (${precision})`, () => {
      const a = { shape: ["B"], values: [BIG, 7, -3, 0], dtype: "i32" as const };
      const b = { shape: ["B"], values: [BIG - 1, 7, -3, 1], dtype: "i32" as const };
      const plain = runOp([a, b], (g, [x, y]) => g.binary("eq", x!, y!), { precision });
      expect(plain.array).toBeInstanceOf(precision === "f64" ? Float64Array : Float32Array);
      expect(plain.values).toEqual([0, 1, 1, 0]);
      // eq then a float op: one fused loop that reads the Int32Arrays.
      const fused = runOp([a, b], (g, [x, y]) => g.scale(g.binary("eq", x!, y!), 0.5), { precision });
      expect(fused.values).toEqual([0, 0.5, 0.5, 0]);
    });

    it(`gives argmax as an Int32Array of indices and one_hot's rows from Int32Array labels (${precision})`, () => {
      const { array, values } = runOp([{ shape: [2, 3], values: [0.1, 0.9, 0.3, 2, -1, 2] }], (b, [x]) => b.add("argmax", [x!], { axis: -1 }), { precision });
      expect(array).toBeInstanceOf(Int32Array);
      expect(values).toEqual([1, 0]);
      const rows = runOp([{ shape: [3], values: [2, 0, 5], dtype: "i32" }], (b, [y]) => b.add("one_hot", [y!], { classes: 3 }), { precision });
      expect(rows.values).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0]); // a label outside 0..2 gives zeros
    });
  }

  it("refuses a fed array whose type does not fit its node's dtype", () => {
    const b = new GraphBuilder("feeds.nn", "train");
    const y = b.source("input", { name: "y" }, ["B"], "i32");
    const s = b.source("input", { name: "s" }, ["B", 3]);
    const hits = b.sum(b.binary("eq", b.add("argmax", [s], { axis: -1 }), y), [0]);
    for (const precision of ["f32", "f64"] as const) {
      const program = new CpuProgram(b.graph, [hits], { precision });
      const scores = Float32Array.of(0, 1, 0, 1, 0, 0);
      expect(program.run({ inputs: { y: Int32Array.of(1, 1), s: scores }, params: {}, state: {} }, {})[0]![0]).toBe(1);
      expect(() => program.run({ inputs: { y: Float32Array.of(1, 1), s: scores }, params: {}, state: {} }, {})).toThrow(InternalError);
      expect(() => program.run({ inputs: { y: Float32Array.of(1, 1), s: scores }, params: {}, state: {} }, {})).toThrow(
        /the i32 input "y" was fed a Float32Array, not an Int32Array/,
      );
      expect(() => program.run({ inputs: { y: Int32Array.of(1, 1), s: Int32Array.of(0, 1, 0, 1, 0, 0) }, params: {}, state: {} }, {})).toThrow(
        /the f32 input "s" was fed a Int32Array/,
      );
    }
  });

  it("never gives an f32 node a buffer an i32 node gave back", () => {
    // argmax's and the reshape's Int32Arrays of size B return to the pool before the f32 product
    // of the same size is planned; a fraction stored in an Int32Array would lose its half.
    const b = new GraphBuilder("pool.nn", "train");
    const s = b.source("input", { name: "s" }, ["B", 2]);
    const y = b.source("input", { name: "y" }, ["B"], "i32");
    const h = b.source("input", { name: "h" }, ["B"]);
    const predicted = b.reshape(b.add("argmax", [s], { axis: -1 }), ["B"]);
    const hits = b.binary("eq", predicted, y);
    const out = b.unary("neg", b.binary("mul", hits, h));
    for (const fuse of [false, true]) {
      const program = new CpuProgram(b.graph, [out], { fuse });
      const feeds = { inputs: { s: Float32Array.of(0, 1, 1, 0, 0, 1), y: Int32Array.of(1, 1, 1), h: Float32Array.of(0.5, 0.25, 1.5) }, params: {}, state: {} };
      expect(Array.from(program.run(feeds, {})[0]!)).toEqual([-0.5, -0, -1.5]);
    }
  });
});

describe("the CPU backend with Int32Array labels", () => {
  const SOURCE = `
model tiny {
  input  x: [B, 3]
  target y: class[B] of 3
  logits = dense(x, 3)
  loss cross_entropy(logits, y)
}
train tiny {
  data blobs(n: 30, classes: 3, features: 3)
  optimizer sgd(lr: 0.5)
  metrics loss, accuracy
}
`;

  function backend() {
    const { model, config, trainGraph, evalGraph, diagnostics } = compile(SOURCE, "tiny.nn");
    if (!model?.loss || !config || !trainGraph || !evalGraph) throw new Error(diagnostics.map((d) => d.message).join("; "));
    const programs = buildPrograms(trainGraph, evalGraph, config, model.loss);
    const cpu = new CpuBackend(programs, { params: initializeParams(programs.params, 1), state: initializeState(trainGraph.state) });
    return { cpu, programs, config };
  }

  // Three separable classes along the first feature.
  const x = Float32Array.from({ length: 6 * 3 }, (_, i) => (i % 3 === 0 ? (Math.floor(i / 3) % 3) * 4 - 4 : 0.1 * (i % 5)));
  const labels = Int32Array.from({ length: 6 }, (_, i) => i % 3);

  it("steps, evaluates and counts accuracy from class labels", async () => {
    const { cpu, programs, config } = backend();
    const scalars = stepScalars(programs.step, { step: 1, lr: config.optimizer.lr, momentum: null });
    let last = Infinity;
    for (let t = 1; t <= 20; t++) last = (await cpu.step({ features: x, targets: labels, size: 6 }, { ...scalars }, t)).loss;
    expect(last).toBeLessThan(0.2);
    await cpu.takeMetrics();
    // Evaluation takes a Dataset, whose labels are stored as floats; the backend feeds them as i32.
    const dataset: Dataset = { n: 6, features: x, featureSize: 3, targets: Float32Array.from(labels), targetSize: 1, targetKind: "class", classes: 3, featureNames: null, classNames: null, source: "test" };
    const metrics = await cpu.evaluate(dataset, 4);
    expect(metrics.accuracy).toBe(1);
    expect(metrics.n).toBe(6);
  });

  it("refuses labels fed as floats with an internal error", async () => {
    const { cpu, programs, config } = backend();
    const scalars = stepScalars(programs.step, { step: 1, lr: config.optimizer.lr, momentum: null });
    await expect(cpu.step({ features: x, targets: Float32Array.from(labels), size: 6 }, scalars, 1)).rejects.toThrow(InternalError);
  });
});
