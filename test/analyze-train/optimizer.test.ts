import { describe, expect, it } from "vitest";
import { analyze, call, kw, setting, type Value } from "./build.ts";
import type { Argument } from "../../grammar/ast.ts";

const optimizer = (name: string, ...args: (Value | Argument)[]) => analyze([setting("optimizer", args.length ? call(name, ...args) : name)]);

describe("optimizers", () => {
  it("uses PyTorch's defaults", () => {
    expect(optimizer("sgd", kw("lr", 0.1)).config?.optimizer).toEqual({ kind: "sgd", lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weight_decay: 0 });
    expect(optimizer("adagrad").config?.optimizer).toEqual({ kind: "adagrad", lr: 0.01, lr_decay: 0, eps: 1e-10, weight_decay: 0, initial_accumulator_value: 0 });
    expect(optimizer("rmsprop").config?.optimizer).toEqual({ kind: "rmsprop", lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false, weight_decay: 0 });
    expect(optimizer("adam").config?.optimizer).toEqual({ kind: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, amsgrad: false });
    expect(optimizer("adamw").config?.optimizer).toEqual({ kind: "adamw", lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01, amsgrad: false });
  });

  it("takes the learning rate positionally", () => {
    expect(optimizer("sgd", 0.5).config?.optimizer).toMatchObject({ kind: "sgd", lr: 0.5 });
  });

  it("requires sgd's learning rate", () => {
    expect(optimizer("sgd").codes).toEqual(["E0403"]);
  });

  it("maps momentum and nesterov onto sgd", () => {
    expect(optimizer("momentum", kw("lr", 0.1)).config?.optimizer).toEqual({ kind: "sgd", lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weight_decay: 0 });
    expect(optimizer("nesterov", kw("lr", 0.1), kw("momentum", 0.8)).config?.optimizer).toEqual({ kind: "sgd", lr: 0.1, momentum: 0.8, dampening: 0, nesterov: true, weight_decay: 0 });
  });

  it("requires momentum and no dampening for Nesterov", () => {
    expect(optimizer("sgd", kw("lr", 0.1), kw("nesterov", true)).codes).toEqual(["E0612"]);
    expect(optimizer("sgd", kw("lr", 0.1), kw("momentum", 0.9), kw("dampening", 0.1), kw("nesterov", true)).codes).toEqual(["E0612"]);
    expect(optimizer("sgd", kw("lr", 0.1), kw("momentum", 0.9), kw("nesterov", true)).codes).toEqual([]);
  });

  it("checks hyper-parameter ranges", () => {
    expect(optimizer("sgd", kw("lr", 0)).codes).toEqual(["E0406"]);
    expect(optimizer("sgd", kw("lr", 0.1), kw("momentum", 1)).codes).toEqual(["E0406"]);
    expect(optimizer("adam", kw("betas", [0.9, 1])).codes).toEqual(["E0406"]);
    expect(optimizer("adam", kw("betas", [0.9])).codes).toEqual(["E0406"]);
    expect(optimizer("adam", kw("eps", 0)).codes).toEqual(["E0406"]);
    expect(optimizer("adamw", kw("weight_decay", -0.1)).codes).toEqual(["E0406"]);
    expect(optimizer("rmsprop", kw("alpha", 1)).codes).toEqual(["E0406"]);
    expect(optimizer("adam", kw("beta", [0.9, 0.99])).bag.items[0]!.hint).toBe("did you mean `betas`?");
  });

  it("reads L-BFGS with PyTorch's defaults and a full batch", () => {
    const { config, codes } = optimizer("lbfgs");
    expect(codes).toEqual([]);
    expect(config?.batch).toBe("full");
    expect(config?.optimizer).toEqual({
      kind: "lbfgs",
      lr: 1,
      max_iter: 20,
      max_eval: 25,
      history_size: 100,
      tolerance_grad: 1e-7,
      tolerance_change: 1e-9,
      line_search: "none",
    });
    expect(optimizer("lbfgs", kw("max_iter", 10), kw("history_size", 5), kw("line_search", "strong_wolfe")).config?.optimizer).toMatchObject({
      max_iter: 10,
      max_eval: 12,
      history_size: 5,
      line_search: "strong_wolfe",
    });
  });

  it("rejects L-BFGS with mini-batches", () => {
    const { codes, bag } = analyze([setting("optimizer", "lbfgs"), setting("batch", 64)]);
    expect(codes).toEqual(["E0613"]);
    expect(bag.items[0]!.hint).toContain("batch full");
    expect(analyze([setting("optimizer", "lbfgs"), setting("batch", "full")]).codes).toEqual([]);
  });

  it("reports an unknown optimizer and a value that is not a call", () => {
    const { codes, bag } = optimizer("adamm");
    expect(codes).toEqual(["E0604"]);
    expect(bag.items[0]!.message).toBe("`adamm` is not an optimizer");
    expect(bag.items[0]!.hint).toBe("did you mean `adam`?");
    expect(analyze([setting("optimizer", 0.1)]).codes).toEqual(["E0605"]);
  });
});
