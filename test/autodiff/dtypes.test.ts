// Autodiff and i32: class labels and argmax are integers, so no gradient flows into or through
// them, and asking for one is an internal error.

import { describe, expect, it } from "vitest";
import { gradients } from "../../compiler/autodiff/autodiff.ts";
import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import { GraphBuilder } from "../../compiler/ir/graph.ts";
import { Case, gradcheck } from "./check.ts";

// Softmax cross-entropy of dense logits against i32 labels, plus the batch's hit count
// eq(argmax(logits), labels) times a constant: that term is piecewise constant, so the gradient
// is cross-entropy's alone.
function classifier(c: Case) {
  const b = c.b;
  const x = c.input("x", ["B", 4], [5, 4]);
  const y = c.labels("y", ["B"], [5], 3);
  const w = c.param("w", [3, 4]);
  const logits = b.matmul(x, w, false, true);
  const picked = b.sum(b.binary("mul", b.add("one_hot", [y], { classes: 3 }), b.add("log_softmax", [logits], { axis: 1 })), [1]);
  const crossEntropy = b.unary("neg", b.mean(picked, [0]));
  const hits = b.sum(b.binary("eq", b.add("argmax", [logits], { axis: -1 }), y), [0]);
  return { x, y, w, loss: b.binary("add", crossEntropy, b.scale(hits, 0.25)) };
}

describe("gradients and i32 nodes", () => {
  it("send nothing into or through labels and argmax; the gradient still matches finite differences", () => {
    const c = new Case();
    const { w, loss } = classifier(c);
    const before = c.b.graph.nodes.length;
    const [gw] = gradients(c.b.graph, loss, [w]);
    const added = c.b.graph.nodes.slice(before);
    expect(added.every((n) => n.dtype === "f32")).toBe(true);
    // No gradient node reads the labels or argmax: the backward pass uses the forward one_hot rows.
    expect(added.filter((n) => n.inputs.some((i) => c.b.node(i).dtype === "i32"))).toEqual([]);
    expect(c.b.node(gw!).shape).toEqual([3, 4]);
    const fresh = new Case();
    const again = classifier(fresh);
    const result = gradcheck(fresh, again.loss, [again.w]);
    expect(result.maxError, result.worst).toBeLessThan(1e-6);
  });

  it("refuse a gradient with respect to an i32 node, or of one", () => {
    const c = new Case();
    const { y, loss } = classifier(c);
    expect(() => gradients(c.b.graph, loss, [y])).toThrow(InternalError);
    const b = new GraphBuilder("argmax.nn", "train");
    const v = b.source("param", { name: "v" }, [4]);
    const index = b.add("argmax", [v], { axis: 0 });
    expect(b.node(index).shape).toEqual([]);
    expect(() => gradients(b.graph, index, [v])).toThrow(/gradients of the i32 node/);
  });
});
