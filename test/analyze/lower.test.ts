// Lowering: the IR graph of a small model has the expected parameters, shapes and outputs; the
// evaluation graph has no dropout mask; batch-norm state updates exist in training only.

import { describe, expect, it } from "vitest";
import { lowerModel } from "../../compiler/ir/lower.ts";
import { printGraph } from "../../compiler/ir/print.ts";
import { bind, call, id, input, loss, num, output, pipe, reg, target } from "./ast-builders.ts";
import { analyze } from "./helpers.ts";

function small() {
  const { model, codes } = analyze([
    input("x", ["B", 6]),
    target("y", ["B"], 3),
    bind("h", pipe(call("dense", id("x"), num(5)), "batchnorm", "relu", call("dropout", num(0.2)))),
    bind("logits", call("dense", id("h"), num(3), ["init", call("normal", ["std", num(0.01)])])),
    output("probs", call("softmax", id("logits"))),
    loss(call("cross_entropy", id("logits"), id("y"))),
    reg(call("l2", num(0.01))),
  ]);
  expect(codes).toEqual([]);
  return model;
}

describe("lowering", () => {
  it("lists parameters with names, shapes, roles, fans, initializers and regularizers", () => {
    const graph = lowerModel(small(), "train", { defaultInit: { kind: "he_normal", gain: Math.SQRT2 } });
    expect(graph.params.map((p) => [p.name, p.shape, p.role])).toEqual([
      ["h.dense.weight", [5, 6], "weight"],
      ["h.dense.bias", [5], "bias"],
      ["h.batchnorm.weight", [5], "norm_scale"],
      ["h.batchnorm.bias", [5], "norm_shift"],
      ["logits.weight", [3, 5], "weight"],
      ["logits.bias", [3], "bias"],
    ]);
    const byName = Object.fromEntries(graph.params.map((p) => [p.name, p]));
    expect(byName["h.dense.weight"]).toMatchObject({ fanIn: 6, fanOut: 5, init: { kind: "he_normal" }, regularizers: [{ kind: "l2", lambda: 0.01 }] });
    expect(byName["h.dense.bias"]).toMatchObject({ init: { kind: "torch_default" }, regularizers: [] });
    expect(byName["logits.weight"]!.init).toEqual({ kind: "normal", mean: 0, std: 0.01 });
    expect(byName["h.batchnorm.weight"]!.init).toEqual({ kind: "ones" });
    expect(graph.inputs.map((i) => [i.name, i.role, i.dtype, i.classes])).toEqual([
      ["x", "input", "f32", null],
      ["y", "target", "i32", 3],
    ]);
    expect(Object.keys(graph.outputs)).toEqual(["data_loss", "reg_loss", "loss", "prediction", "probs"]);
    expect(graph.nodes[graph.outputs.loss!]!.shape).toEqual([]);
    expect(graph.nodes[graph.outputs.prediction!]!.shape).toEqual(["B", 3]);
    // Nodes are in topological order.
    for (const node of graph.nodes) for (const i of node.inputs) expect(i).toBeLessThan(node.id);
  });

  it("puts dropout masks and state updates in the training graph only", () => {
    const model = small();
    const train = lowerModel(model, "train");
    const evaluation = lowerModel(model, "eval");
    expect(train.nodes.some((n) => n.op === "dropout_mask")).toBe(true);
    expect(evaluation.nodes.some((n) => n.op === "dropout_mask")).toBe(false);
    expect(train.stateUpdates.map((u) => u.name)).toEqual(["h.batchnorm.running_mean", "h.batchnorm.running_var"]);
    expect(evaluation.stateUpdates).toEqual([]);
    expect(evaluation.state.map((s) => [s.name, s.init])).toEqual([
      ["h.batchnorm.running_mean", 0],
      ["h.batchnorm.running_var", 1],
    ]);
  });

  it("gives a model without regularizers a constant zero reg_loss and prints readably", () => {
    const { model } = analyze([input("x", ["B", 2]), target("y", ["B", 1]), loss(call("mse", call("dense", id("x"), num(1)), id("y")))]);
    const graph = lowerModel(model, "eval");
    const reg = graph.nodes[graph.outputs.reg_loss!]!;
    expect([reg.op, reg.attrs]).toEqual(["const", { value: 0 }]);
    const text = printGraph(graph);
    expect(text).toContain("matmul(%0, %2) {transposeB} : f32[B, 1]");
    expect(text).toContain("dense.weight: f32[1, 2] weight init=torch_default fan_in=2 fan_out=1");
    expect(text).toMatch(/outputs:\n  data_loss = %\d+/);
  });
});
