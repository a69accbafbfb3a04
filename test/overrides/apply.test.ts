// Overrides that check: each replaces the train block's setting of its key (or adds one), and
// `regularize` the model's regularizers; nothing else of the file changes.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.ts";
import { optionOverride, setOverride } from "../../compiler/analyze/overrides.ts";

const FILE = join(dirname(fileURLToPath(import.meta.url)), "input.nn");
const TEXT = readFileSync(FILE, "utf8");

function compiled(...sets: string[]) {
  const result = compile(TEXT, FILE, { overrides: sets.map((s, i) => setOverride(i + 1, s)!) });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { config: result.config!, model: result.model!, graph: result.trainGraph! };
}

describe("--set", () => {
  it("leaves the file's settings alone without overrides", () => {
    const { config, model } = compiled();
    expect(config).toMatchObject({ batch: 16, epochs: 3, optimizer: { kind: "adam", lr: 1e-2 }, split: { validation: 0, test: 0.2 } });
    expect(model.regularizers.map((r) => [r.kind, r.lambda])).toEqual([["l2", 1e-4]]);
  });

  it("replaces the settings it names and keeps the others", () => {
    const { config } = compiled("batch=full", "optimizer=sgd(lr: 0.5, momentum: 0.9)", "epochs=7");
    expect(config.batch).toBe("full");
    expect(config.epochs).toBe(7);
    expect(config.optimizer).toMatchObject({ kind: "sgd", lr: 0.5, momentum: 0.9 });
    expect(config.split).toEqual({ validation: 0, test: 0.2 });
    expect(config.data).toMatchObject({ kind: "moons", n: 100 });
  });

  it("adds settings the block does not have, with several arguments and sequences", () => {
    const { config } = compiled("split=validation: 0.1, test: 0.3", "schedule=warmup(steps: 5) then cosine(to: 0)", "clip=norm(2)", "metrics=loss");
    expect(config.split).toEqual({ validation: 0.1, test: 0.3 });
    expect(config.schedule).toMatchObject({ kind: "sequence", every: "step" });
    expect(config.clip_grad_norm).toBe(2);
    expect(config.metrics).toEqual(["loss"]);
  });

  it("replaces the model's regularizers, or removes them with `none`", () => {
    const replaced = compiled("regularize=l1(1e-3, on: all), l2(0.5)");
    expect(replaced.model.regularizers.map((r) => [r.kind, r.lambda, r.params.length])).toEqual([
      ["l1", 1e-3, 4],
      ["l2", 0.5, 2],
    ]);
    expect(replaced.graph.params.find((p) => p.name === "h.bias")!.regularizers).toEqual([{ kind: "l1", lambda: 1e-3 }]);
    const removed = compiled("regularize=none");
    expect(removed.model.regularizers).toEqual([]);
    expect(removed.graph.params.every((p) => p.regularizers.length === 0)).toBe(true);
  });

  it("takes the options that stand for settings", () => {
    const result = compile(TEXT, FILE, { overrides: [optionOverride("--epochs", "epochs", "2"), optionOverride("--batch", "batch", "full"), optionOverride("--seed", "seed", "9")] });
    expect(result.config).toMatchObject({ epochs: 2, batch: "full", seed: 9 });
  });

  it("reports the file's own warnings once, not again for the overrides", () => {
    const text = TEXT.replace("logits = dense(h, 2)", "unused = dense(h, 3)\n  logits = dense(h, 2)");
    const plain = compile(text, FILE).diagnostics;
    const overridden = compile(text, FILE, { overrides: [setOverride(1, "batch=8")!] }).diagnostics;
    expect(plain.map((d) => d.code)).toContain("unused-binding");
    expect(overridden).toEqual(plain);
  });

  it("needs a `=`", () => {
    expect(setOverride(1, "batch")).toBeNull();
    expect(setOverride(2, "optimizer=adam(lr: 1e-3)")).toEqual({ name: "--set #2", text: "optimizer adam(lr: 1e-3)", shown: "optimizer=adam(lr: 1e-3)" });
  });
});
