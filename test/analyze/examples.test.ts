// Every example (and this folder's own fixtures) checks without errors, and the parameter counts
// `nnc check` prints are right. The examples are globbed at test time, so a new one is covered
// as soon as it is added.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { summarizeModel } from "../../compiler/analyze/summary.ts";
import { checkSource, compile } from "../../compiler/index.ts";

const here = dirname(fileURLToPath(import.meta.url));
const examples = join(here, "../../examples");
const files = [
  ...readdirSync(examples).filter((f) => f.endsWith(".nn")).map((f) => join(examples, f)),
  ...readdirSync(join(here, "fixtures")).map((f) => join(here, "fixtures", f)),
];

function check(path: string) {
  return checkSource(readFileSync(path, "utf8"), path);
}

describe("examples and fixtures", () => {
  for (const path of files) {
    it(`${path.split("/").slice(-2).join("/")} checks without errors`, () => {
      const errors = check(path).diagnostics.filter((d) => d.severity === "error");
      expect(errors.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    });
  }

  it("counts the MNIST MLP's 269,322 parameters", () => {
    const result = check(join(here, "fixtures/mlp.nn"));
    expect(summarizeModel(result.models.get("mnist_mlp")!).totalParams).toBe(269_322);
  });

  it("counts the CNN's parameters layer by layer", () => {
    const result = check(join(here, "fixtures/cnn_residual.nn"));
    const summary = summarizeModel(result.models.get("cnn")!);
    const conv1 = 8 * 1 * 5 * 5 + 8;
    const conv2 = 16 * 8 * 3 * 3 + 16 + 2 * 16;
    const fc = 16 * 6 * 6 * 32 + 32;
    const block = 2 * (32 * 32 + 32) + 2 * 32;
    expect(summary.totalParams).toBe(conv1 + conv2 + fc + 2 * block + 32 * 10 + 10);
    expect(summary.rows.find((r) => r.path === "c2" && r.op === "avgpool")!.shape).toBe("[B, 16, 6, 6]");
  });

  it("compiles a model and its training configuration into train and eval graphs", () => {
    const path = join(here, "fixtures/mlp.nn");
    const compiled = compile(readFileSync(path, "utf8"), path);
    expect(compiled.config).toMatchObject({ model: "mnist_mlp", batch: 128, epochs: 15 });
    expect(compiled.trainGraph!.params.map((p) => p.name)).toEqual(["h1.weight", "h1.bias", "h2.weight", "h2.bias", "logits.weight", "logits.bias"]);
    expect(Object.keys(compiled.evalGraph!.outputs)).toContain("probs");
  });

  if (files.some((f) => f.endsWith("examples/mnist_mlp.nn"))) {
    it("examples/mnist_mlp.nn has 269,322 parameters", () => {
      const result = check(join(examples, "mnist_mlp.nn"));
      expect(summarizeModel(result.models.get("mnist_mlp")!).totalParams).toBe(269_322);
    });
  }
});
