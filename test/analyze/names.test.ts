// Name resolution, parameter naming (DESIGN.md "Parameter names"), losses and regularizers.

import { describe, expect, it } from "vitest";
import { bin, bind, block, call, id, input, list, loss, member, num, output, pipe, reg, ret, target } from "./ast-builders.ts";
import { analyze } from "./helpers.ts";

const residual = block(
  "residual",
  ["x", "width"],
  bind("h", pipe(call("dense", id("x"), id("width")), "batchnorm", "relu")),
  ret(bin("+", id("x"), call("dense", id("h"), id("width")))),
);

describe("names", () => {
  it("names parameters by binding, op, block use and repeat copy", () => {
    const { model, codes } = analyze(
      [
        input("x", ["B", 8]),
        target("y", ["B"], 3),
        bind("h1", pipe(call("dense", id("x"), num(8)), "relu")),
        bind("h", pipe(call("dense", id("h1"), num(8)), "batchnorm", "relu", call("dense", num(8)))),
        bind("r1", call("residual", id("h"), num(8))),
        bind("stack", pipe(id("r1"), call("repeat", num(2), call("residual", num(8))))),
        bind("logits", call("dense", id("stack"), num(3))),
        loss(call("cross_entropy", id("logits"), id("y"))),
      ],
      [residual],
    );
    expect(codes).toEqual([]);
    const names = model.params.map((p) => p.name);
    expect(names).toEqual([
      "h1.weight", "h1.bias",
      "h.dense.weight", "h.dense.bias", "h.batchnorm.weight", "h.batchnorm.bias", "h.dense_1.weight", "h.dense_1.bias",
      "r1.h.dense.weight", "r1.h.dense.bias", "r1.h.batchnorm.weight", "r1.h.batchnorm.bias", "r1.dense.weight", "r1.dense.bias",
      "stack.0.h.dense.weight", "stack.0.h.dense.bias", "stack.0.h.batchnorm.weight", "stack.0.h.batchnorm.bias", "stack.0.dense.weight", "stack.0.dense.bias",
      "stack.1.h.dense.weight", "stack.1.h.dense.bias", "stack.1.h.batchnorm.weight", "stack.1.h.batchnorm.bias", "stack.1.dense.weight", "stack.1.dense.bias",
      "logits.weight", "logits.bias",
    ]);
    expect(model.state.map((s) => s.name)).toContain("stack.1.h.batchnorm.running_var");
    expect(model.interface).toMatchObject({ name: "m", inputs: [{ name: "x", shape: ["B", 8] }], targets: [{ name: "y", kind: "class", classes: 3 }], loss: "cross_entropy" });
  });

  it("reports unknown names with a hint, use before definition, duplicates and recursion", () => {
    const { bag } = analyze([
      input("x", ["B", 4]),
      target("y", ["B", 1]),
      bind("p", call("dense", id("hiden"), num(1))),
      bind("hidden", call("dense", id("x"), num(1))),
      bind("hidden", call("dense", id("x"), num(1))),
      loss(call("mse", id("p"), id("y"))),
    ]);
    expect(bag.items.map((d) => d.code)).toEqual(["E0201", "E0203", "unused-binding"]);
    expect(bag.items.find((d) => d.code === "E0201")!.hint).toBe("did you mean `hidden`?");
    expect(bag.items.find((d) => d.code === "E0203")!.notes[0]!.message).toBe("first defined here");

    const loop = block("loop", ["x"], ret(call("loop", id("x"))));
    const { codes } = analyze([input("x", ["B", 4]), target("y", ["B", 4]), loss(call("mse", call("loop", id("x")), id("y")))], [loop]);
    expect(codes).toEqual(["E0207"]);
  });

  it("checks losses against their targets", () => {
    const base = [input("x", ["B", 4])];
    expect(analyze([...base, target("y", ["B"], 3), loss(call("cross_entropy", call("dense", id("x"), num(3)), id("y")))]).codes).toEqual([]);
    expect(analyze([...base, target("y", ["B", 3]), loss(call("cross_entropy", call("dense", id("x"), num(3)), id("y")))]).model.loss!.targetMode).toBe("probability");
    expect(analyze([...base, target("y", ["B"], 4), loss(call("cross_entropy", call("dense", id("x"), num(3)), id("y")))]).codes).toEqual(["E0506"]);
    expect(analyze([...base, target("y", ["B"]), loss(call("hinge", call("dense", id("x"), num(1)), id("y")))]).codes).toEqual(["E0505"]);
    expect(analyze([...base, target("y", ["B"], 3), loss(call("mse", call("dense", id("x"), num(1)), id("y")))]).codes).toEqual(["E0504"]);
    expect(analyze([...base, target("y", ["B", 1]), loss(call("perceptron", call("dense", id("x"), num(1)), id("y"), ["reduction", id("sum")]))]).model.loss!.reduction).toBe("sum");
    expect(analyze([...base, target("y", ["B", 1])]).codes).toEqual(["E0502", "unused-input", "unused-target"]);
  });

  it("selects regularized parameters: weights by default, all, or by layer and path", () => {
    const body = [
      input("x", ["B", 4]),
      target("y", ["B", 1]),
      bind("h1", pipe(call("dense", id("x"), num(4)), "batchnorm")),
      bind("p", call("dense", id("h1"), num(1))),
      loss(call("mse", id("p"), id("y"))),
    ];
    const selected = (on?: Parameters<typeof call>[1]) =>
      analyze([...body, reg(on ? call("l2", num(0.1), ["on", on as never]) : call("l2", num(0.1)))]).model.regularizers[0]?.params;
    expect(selected()).toEqual(["h1.dense.weight", "p.weight"]);
    expect(selected(id("all"))).toHaveLength(6);
    expect(selected(list(id("h1")))).toEqual(["h1.dense.weight"]);
    expect(selected(list(member(id("p"), "bias")))).toEqual(["p.bias"]);
    expect(analyze([...body, reg(call("l2", num(0.1), ["on", list(id("h2"))]))]).codes).toEqual(["E0214"]);
    expect(analyze([...body, reg(call("l1", num(-1)))]).codes).toEqual(["E0406"]);
    expect(analyze([...body, output("loss", id("p"))]).codes).toEqual(["E0209"]);
  });
});
