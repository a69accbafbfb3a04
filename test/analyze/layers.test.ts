// Shape inference for every layer rule, with symbolic batch dims, and the errors each rule reports.

import { describe, expect, it } from "vitest";
import { LAYERS } from "../../compiler/analyze/layers/index.ts";
import { bin, block, call, id, list, neg, num, pipe, ret, bind } from "./ast-builders.ts";
import { inferShape } from "./helpers.ts";

const ok = (shape: (number | string)[]) => ({ shape, codes: [] });

describe("layer shape rules", () => {
  it("dense maps [B, in] to [B, units] and refuses images with a flatten hint", () => {
    expect(inferShape(["B", 784], (x) => call("dense", x, num(256)))).toEqual(ok(["B", 256]));
    expect(inferShape(["N", 3], (x) => call("dense", x, num(2), ["bias", id("false")]))).toEqual(ok(["N", 2]));
    expect(inferShape(["B", 1, 28, 28], (x) => call("dense", x, num(10))).codes).toEqual(["E0304"]);
    expect(inferShape(["B", "D"], (x) => call("dense", x, num(10))).codes).toEqual(["E0315"]);
  });

  it("conv2d and pooling follow PyTorch's output sizes", () => {
    expect(inferShape(["B", 1, 28, 28], (x) => call("conv2d", x, num(8), ["kernel", num(5)]))).toEqual(ok(["B", 8, 24, 24]));
    expect(inferShape(["B", 3, 32, 32], (x) => call("conv2d", x, num(16), ["kernel", num(3)], ["padding", num(1)], ["stride", num(2)]))).toEqual(ok(["B", 16, 16, 16]));
    expect(inferShape(["B", 3, 32, 30], (x) => call("conv2d", x, num(4), ["kernel", list(num(3), num(5))]))).toEqual(ok(["B", 4, 30, 26]));
    expect(inferShape(["B", 8, 24, 24], (x) => call("maxpool", x, ["kernel", num(2)]))).toEqual(ok(["B", 8, 12, 12]));
    expect(inferShape(["B", 8, 7, 7], (x) => call("avgpool", x, ["kernel", num(3)], ["stride", num(2)], ["padding", num(1)]))).toEqual(ok(["B", 8, 4, 4]));
    expect(inferShape(["B", 1, 4, 4], (x) => call("conv2d", x, num(8), ["kernel", num(5)])).codes).toEqual(["E0305"]);
    expect(inferShape(["B", 1, 4, 4], (x) => call("maxpool", x, ["kernel", num(2)], ["padding", num(2)])).codes).toEqual(["E0406"]);
    expect(inferShape(["B", 784], (x) => call("conv2d", x, num(8))).codes).toEqual(["E0304"]);
  });

  it("flatten, reshape and concat keep symbolic dims", () => {
    expect(inferShape(["B", 8, 4, 4], (x) => call("flatten", x))).toEqual(ok(["B", 128]));
    expect(inferShape(["B", 784], (x) => call("reshape", x, list(id("B"), num(1), num(28), num(28))))).toEqual(ok(["B", 1, 28, 28]));
    expect(inferShape(["B", 784], (x) => call("reshape", x, list(id("B"), num(1), num(28), num(27)))).codes).toEqual(["E0306"]);
    expect(inferShape(["B", 784], (x) => call("reshape", x, list(num(784)))).codes).toEqual(["E0306"]);
    expect(inferShape(["B", 4], (x) => call("concat", x, x))).toEqual(ok(["B", 8]));
    expect(inferShape(["B", 4], (x) => call("concat", x, call("dense", x, num(3)), ["axis", num(-1)]))).toEqual(ok(["B", 7]));
    expect(inferShape(["B", 4], (x) => call("concat", x, x, ["axis", num(0)])).codes).toEqual(["E0307"]);
    expect(inferShape(["B", 4], (x) => call("concat", x, x, ["axis", num(2)])).codes).toEqual(["E0308"]);
  });

  it("matmul and @ need matching inner sizes", () => {
    expect(inferShape(["B", 4], (x) => bin("@", x, call("reshape", call("dense", x, num(12)), list(id("B"), num(12)))))).toEqual({ shape: null, codes: ["E0303"] });
    expect(inferShape([4, 4], (x) => bin("@", x, x))).toEqual(ok([4, 4]));
    expect(inferShape([4, 3], (x) => call("matmul", x, x)).codes).toEqual(["E0303"]);
  });

  it("elementwise operators broadcast like numpy and take numbers", () => {
    expect(inferShape(["B", 4], (x) => bin("+", x, num(1)))).toEqual(ok(["B", 4]));
    expect(inferShape(["B", 4], (x) => bin("*", neg(x), call("dense", x, num(1))))).toEqual(ok(["B", 4]));
    expect(inferShape(["B", 4], (x) => bin("/", num(2), x))).toEqual(ok(["B", 4]));
    expect(inferShape(["B", 4], (x) => bin("-", x, call("dense", x, num(3)))).codes).toEqual(["E0302"]);
  });

  it("activations keep the shape; softmax checks its axis", () => {
    for (const name of ["relu", "sigmoid", "tanh", "identity", "softplus", "leaky_relu", "softmax", "log_softmax"]) {
      expect(inferShape(["B", 5], (x) => pipe(x, name))).toEqual(ok(["B", 5]));
    }
    expect(inferShape(["B", 5], (x) => call("softmax", x, ["axis", num(3)])).codes).toEqual(["E0308"]);
    expect(inferShape(["B", 5], (x) => call("leaky_relu", x, ["slope", num(0.2)]))).toEqual(ok(["B", 5]));
  });

  it("maxout, dropout and batchnorm", () => {
    expect(inferShape(["B", 6], (x) => call("maxout", x, num(4), ["k", num(3)]))).toEqual(ok(["B", 4]));
    expect(inferShape(["B", 6], (x) => call("dropout", x, num(0.3)))).toEqual(ok(["B", 6]));
    expect(inferShape(["B", 6], (x) => call("dropout", x, ["p", num(1)])).codes).toEqual(["E0406"]);
    expect(inferShape(["B", 6], (x) => pipe(x, "batchnorm"))).toEqual(ok(["B", 6]));
    expect(inferShape(["B", 3, 8, 8], (x) => pipe(x, "batchnorm"))).toEqual(ok(["B", 3, 8, 8]));
    expect(inferShape(["B", 3, 8], (x) => pipe(x, "batchnorm")).codes).toEqual(["E0309"]);
  });

  it("pipes pass the left side as the first argument, through blocks and repeat", () => {
    const res = block("res", ["x", ["width", num(6)]], bind("h", pipe(call("dense", id("x"), id("width")), "relu")), ret(bin("+", id("x"), call("dense", id("h"), id("width")))));
    expect(inferShape(["B", 6], (x) => pipe(x, call("repeat", num(3), call("res"))), [res])).toEqual(ok(["B", 6]));
    expect(inferShape(["B", 6], (x) => pipe(x, call("res", num(6)), call("dense", num(2))), [res])).toEqual(ok(["B", 2]));
    expect(inferShape(["B", 5], (x) => pipe(x, "res"), [res]).codes).toEqual(["E0302"]);
    expect(inferShape(["B", 5], (x) => call("repeat", num(2), call("res"))).codes).toEqual(["E0217"]);
  });

  it("every layer in the table has a shape rule that is exercised above", () => {
    expect(Object.keys(LAYERS).sort()).toEqual(
      ["avgpool", "batchnorm", "concat", "conv2d", "dense", "dropout", "flatten", "identity", "leaky_relu", "log_softmax", "matmul", "maxout", "maxpool", "relu", "reshape", "sigmoid", "softmax", "softplus", "tanh",
        // Math and the test functions of optimization: test/analyze/objectives.test.ts.
        "exp", "log", "sqrt", "abs", "sum", "mean", "rosenbrock", "beale", "himmelblau", "saddle", "monkey_saddle", "bowl"].sort(),
    );
  });
});
