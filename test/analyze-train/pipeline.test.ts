// The train analyzer behind the real parser and the model analyzer: the SPEC's example block, and
// a block whose model has errors (the train checks that need the model are skipped).

import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/index.ts";

const MODEL = `
model mnist_mlp {
  input  x: [B, 784]
  target y: class[B] of 10
  h1     = dense(x, 256) |> relu
  h2     = dense(h1, 256) |> relu
  logits = dense(h2, 10)
  output probs = softmax(logits)
  loss   cross_entropy(logits, y)
  regularize l2(1e-4)
}
`;

describe("train blocks through the pipeline", () => {
  it("reads the SPEC's example", () => {
    const text = `${MODEL}
train mnist_mlp {
  data      mnist(train: 8000, test: 2000, seed: 1)
  split     validation: 0.1
  batch     128
  epochs    20
  optimizer adam(lr: 1e-3)
  schedule  warmup(steps: 200) then cosine(to: 1e-5)
  stop      early(on: val_loss, patience: 3, restore: best)
  checkpoint "runs/mnist.safetensors", every: 2
  seed      42
}`;
    const result = checkSource(text, "spec.nn", { baseDir: "." });
    expect(result.diagnostics).toEqual([]);
    expect(result.trains[0]!.config).toMatchObject({
      model: "mnist_mlp",
      data: { kind: "mnist", train: 8000, test: 2000, seed: 1 },
      split: { validation: 0.1, test: 0 },
      target_encoding: "class",
      batch: 128,
      epochs: 20,
      optimizer: { kind: "adam", lr: 1e-3 },
      schedule: {
        kind: "sequence",
        every: "step",
        milestones: [200],
        parts: [
          { kind: "warmup", total_iters: 200, every: "step" },
          { kind: "cosine", eta_min: 1e-5, t_max: null, every: "step" },
        ],
      },
      early_stopping: { metric: "val_loss", mode: "min", patience: 3, min_delta: 0, restore: "best" },
      metrics: ["loss", "accuracy"],
      checkpoint: { path: "runs/mnist.safetensors", every: 2 },
      seed: 42,
    });
  });

  it("reports train mistakes in the same run as the model's", () => {
    const text = `${MODEL.replace("dense(h2, 10)", "dense(h2, 10, colour: 1)")}
train mnist_mlp {
  data      mnist()
  optimizer adamm
}`;
    const codes = checkSource(text, "bad.nn", { baseDir: "." }).diagnostics.map((d) => d.code);
    expect(codes).toContain("E0401");
    expect(codes).toContain("E0604");
  });
});
