// The `nnc` entry's trainer beyond the documented example: checkpoints written by `fit` start a new
// trainer with the same weights and standardization, and misuse is a clear error.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileFile, compileModel, CompileError, createTrainer, loadData } from "../../api/index.ts";

const folder = mkdtempSync(join(tmpdir(), "nnc-trainer-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("Trainer", () => {
  const model = compileFile("examples/softmax_regression.nn");
  const data = loadData(model);

  it("saves checkpoints that a new trainer starts from, standardization included", async () => {
    const save = join(folder, "iris.safetensors");
    const trained = await createTrainer(model, { backend: "cpu" });
    const summary = await trained.fit(data, { epochs: 5, save });
    await expect(trained.fit(data)).rejects.toThrow(/already trained/);
    const raw = Float32Array.of(5.1, 3.5, 1.4, 0.2);
    const expected = await trained.predict(trained.standardize(raw));
    trained.dispose();

    const loaded = await createTrainer(model, { backend: "cpu", weights: save });
    expect((await loaded.evaluate(data.test!)).loss).toBe(summary.test!.loss);
    expect(loaded.standardize(raw)).toEqual(Float32Array.from(raw, (x, i) => (x - data.standardizer!.mean[i]!) / data.standardizer!.std[i]!));
    expect(await loaded.predict(loaded.standardize(raw))).toEqual(expected);
    loaded.dispose();
  });

  it("predicts whole rows of the model's input, and names the shape when they are not", async () => {
    const trainer = await createTrainer(model, { backend: "cpu" });
    const probs = await trainer.predict(data.test!.features.subarray(0, 8));
    expect(probs).toHaveLength(6); // two rows of `probs`, 3 classes each
    expect(probs[0]! + probs[1]! + probs[2]!).toBeCloseTo(1, 5);
    expect(await trainer.predict(data.test!.features.subarray(0, 4), { output: "prediction" })).toHaveLength(3);
    await expect(trainer.predict(new Float32Array(5))).rejects.toThrow("predict takes rows of 4 features (the input [B, 4]), but got 5 values");
    await expect(trainer.predict(new Float32Array(4), { output: "nope" })).rejects.toThrow("the model has no output `nope`; it has `probs`, `prediction`");
    trainer.dispose();
  });

  it("refuses a weights file that does not fit the model, naming each mismatch", async () => {
    const other = compileModel("model m {\n  input x: [B, 4]\n  target y: class[B] of 3\n  h = dense(x, 5)\n  logits = dense(h, 3)\n  loss cross_entropy(logits, y)\n}\ntrain m {\n  data iris\n  optimizer sgd(lr: 0.1)\n}\n", "examples/m.nn");
    const save = join(folder, "other.safetensors");
    const trainer = await createTrainer(other, { backend: "cpu" });
    await trainer.fit(loadData(other), { epochs: 1, save });
    trainer.dispose();
    await expect(createTrainer(model, { weights: save })).rejects.toThrow(/does not fit the model: unexpected tensor `h.weight` \[5, 4\].*`logits.weight` has shape \[3, 5\] in the checkpoint but \[3, 4\] in the model/);
  });
});

describe("compileModel", () => {
  it("throws a CompileError for a file with nothing to train", () => {
    const source = "model m {\n  input x: [B, 2]\n  target y: [B, 1]\n  loss mse(dense(x, 1), y)\n}\n";
    expect(() => compileModel(source, "m.nn")).toThrow(CompileError);
    expect(() => compileModel(source, "m.nn")).toThrow(/no `train m \{ \.\.\. \}` block/);
  });
});
