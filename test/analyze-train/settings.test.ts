import { describe, expect, it } from "vitest";
import { analyze, call, kw, model, setting, str, seq, real } from "./build.ts";

describe("train settings", () => {
  it("fills in every default", () => {
    const { config, codes } = analyze([]);
    expect(codes).toEqual([]);
    expect(config).toMatchObject({
      model: "net",
      data: { kind: "iris" },
      split: { validation: 0, test: 0 },
      standardize: false,
      target_encoding: "class",
      batch: 32,
      epochs: 10,
      shuffle: true,
      optimizer: { kind: "adam", lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, amsgrad: false },
      schedule: { kind: "constant", every: "epoch" },
      early_stopping: null,
      clip_grad_norm: null,
      seed: 0,
      init: null,
      metrics: ["loss", "accuracy"],
      checkpoint: null,
    });
  });

  it("reads every simple setting", () => {
    const { config, codes } = analyze([
      setting("split", kw("validation", 0.1), kw("test", 0.2)),
      setting("normalize", "standardize"),
      setting("batch", 16),
      setting("epochs", 3),
      setting("shuffle", false),
      setting("seed", 42),
      setting("metrics", "loss"),
      setting("checkpoint", str("runs/a.safetensors"), kw("every", 2)),
      setting("clip", call("norm", 1)),
    ]);
    expect(codes).toEqual([]);
    expect(config).toMatchObject({
      split: { validation: 0.1, test: 0.2 },
      standardize: true,
      batch: 16,
      epochs: 3,
      shuffle: false,
      seed: 42,
      metrics: ["loss"],
      checkpoint: { path: "runs/a.safetensors", every: 2 },
      clip_grad_norm: 1,
    });
  });

  it("reads `batch full` and a checkpoint with only a path", () => {
    const { config } = analyze([setting("batch", "full"), setting("checkpoint", str("w.safetensors"))]);
    expect(config?.batch).toBe("full");
    expect(config?.checkpoint).toEqual({ path: "w.safetensors", every: 1 });
  });

  it("requires data and optimizer", () => {
    const { config, codes, bag } = analyze([], { bare: true });
    expect(config).toBeNull();
    expect(codes).toEqual(["E0603", "E0603"]);
    expect(bag.items[0]!.message).toBe("the training of `net` needs the setting `data`");
  });

  it("reports an unknown setting with a suggestion", () => {
    const { codes, bag } = analyze([setting("epoch", 3)]);
    expect(codes).toEqual(["E0601"]);
    expect(bag.items[0]!.hint).toBe("did you mean `epochs`?");
  });

  it("reports a setting given twice, with a note at the first", () => {
    const first = setting("epochs", 3);
    const { codes, bag } = analyze([first, setting("epochs", 4)]);
    expect(codes).toEqual(["E0602"]);
    expect(bag.items[0]!.notes[0]!.span).toEqual(first.key.span);
  });

  it("rejects `then` outside schedule", () => {
    expect(analyze([setting("optimizer", call("adam", kw("lr", seq(0.1, 0.01))))]).codes).toEqual(["E0606"]);
    expect(analyze([setting("data", seq("iris", "xor"))]).codes).toEqual(["E0606"]);
    // Inside a schedule's own arguments it is misplaced too.
    expect(analyze([setting("schedule", call("cosine", kw("to", seq(1, 2))))]).codes).toEqual(["E0606"]);
  });

  it("checks batch", () => {
    expect(analyze([setting("batch", 0)]).codes).toEqual(["E0605"]);
    expect(analyze([setting("batch", real(2.5))]).codes).toEqual(["E0605"]);
    expect(analyze([setting("batch", "fll")]).codes).toEqual(["E0605"]);
    expect(analyze([setting("batch", 1)]).config?.batch).toBe(1);
  });

  it("checks numbers through the argument binder", () => {
    expect(analyze([setting("epochs", 0)]).codes).toEqual(["E0406"]);
    expect(analyze([setting("seed", -1)]).codes).toEqual(["E0406"]);
    expect(analyze([setting("shuffle", "yes")]).codes).toEqual(["E0405"]);
    expect(analyze([setting("normalize", "standardise")]).bag.items[0]!.hint).toBe("did you mean `standardize`?");
    expect(analyze([setting("epochs", 3, 4)]).codes).toEqual(["E0402"]);
    expect(analyze([setting("epochs")]).codes).toEqual(["E0403"]);
  });

  it("checks the split", () => {
    expect(analyze([setting("split", kw("validation", 1))]).codes).toEqual(["E0406"]);
    expect(analyze([setting("split", kw("validation", 0.6), kw("test", 0.5))]).codes).toEqual(["E0616"]);
    expect(analyze([setting("split", kw("validaton", 0.1))]).bag.items[0]!.hint).toBe("did you mean `validation`?");
  });

  it("checks clip", () => {
    expect(analyze([setting("clip", call("norm", 0))]).codes).toEqual(["E0406"]);
    expect(analyze([setting("clip", 1)]).codes).toEqual(["E0605"]);
    expect(analyze([setting("clip", call("value", 1))]).codes).toEqual(["E0604"]);
  });

  it("checks metrics against the target", () => {
    const regression = model(["B", 1], ["B", 1], "mse");
    const linear = [setting("data", call("linear", kw("weights", [2])))];
    expect(analyze([...linear, setting("metrics", "loss", "mse")], { model: regression }).config?.metrics).toEqual(["loss", "mse"]);
    expect(analyze([...linear], { model: regression }).config?.metrics).toEqual(["loss"]);
    expect(analyze([...linear, setting("metrics", "accuracy")], { model: regression }).codes).toEqual(["E0617"]);
    expect(analyze([setting("metrics", "mse")]).codes).toEqual(["E0618"]);
    expect(analyze([setting("metrics", "accuracy", "accuracy")]).config?.metrics).toEqual(["accuracy"]);
    expect(analyze([setting("metrics", "accurcy")]).bag.items[0]!.hint).toBe("did you mean `accuracy`?");
  });

  it("allows accuracy for a binary loss on a real target", () => {
    const logistic = model(["B", 2], ["B", 1], "bce_with_logits");
    const { config, codes } = analyze([setting("data", "xor"), setting("metrics", "accuracy")], { model: logistic });
    expect(codes).toEqual([]);
    expect(config?.target_encoding).toBe("real");
  });

  it("reads early stopping with defaults that follow the metric", () => {
    const split = setting("split", kw("validation", 0.2));
    expect(analyze([split, setting("stop", "early")]).config?.early_stopping).toEqual({
      metric: "val_loss",
      mode: "min",
      patience: 5,
      min_delta: 0,
      restore: "best",
    });
    const byAccuracy = analyze([split, setting("stop", call("early", kw("on", "val_accuracy"), kw("patience", 2), kw("restore", "last")))]);
    expect(byAccuracy.config?.early_stopping).toMatchObject({ metric: "val_accuracy", mode: "max", patience: 2, restore: "last" });
  });

  it("requires a validation split for a val_ metric", () => {
    const { codes, bag } = analyze([setting("stop", call("early", kw("on", "val_loss")))]);
    expect(codes).toEqual(["E0611"]);
    expect(bag.items[0]!.hint).toContain("split validation");
    expect(analyze([setting("stop", call("early", kw("on", "train_loss")))]).codes).toEqual([]);
    expect(analyze([setting("stop", call("early", kw("on", "test_loss")))]).codes).toEqual(["E0405"]);
    expect(analyze([setting("stop", call("erly"))]).codes).toEqual(["E0604"]);
  });

  it("checks a watched metric against the target", () => {
    const split = setting("split", kw("validation", 0.2));
    expect(analyze([split, setting("stop", call("early", kw("on", "val_mse")))]).codes).toEqual(["E0618"]);
  });

  it("reports every mistake of a block in one run", () => {
    const { codes } = analyze([setting("epochs", 0), setting("batch", "some"), setting("optimizer", call("adamm")), setting("colour", 1)]);
    expect(codes.sort()).toEqual(["E0406", "E0601", "E0604", "E0605"]);
  });

  it("reads the init setting through the model analyzer's parseInitializer", () => {
    const { config, codes } = analyze([setting("init", "he_normal")]);
    expect(codes).toEqual([]);
    expect(config?.init).toMatchObject({ kind: "he_normal" });
  });
});
