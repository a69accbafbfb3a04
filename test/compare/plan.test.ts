// Planning `nnc compare`: the values of a --vary (split at the commas outside parentheses, each an
// override located in the typed text), the cross product of several, and each run's label, which
// names what differs between the runs and nothing else.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "../../grammar/index.ts";
import { blockRuns, parseVary, runLabels, variationRuns } from "../../cli/compare-plan.ts";
import { loadModels } from "../../cli/load.ts";
import { isolateValue, splitValues } from "../../cli/value-list.ts";
import { UserError } from "../../cli/user-error.ts";

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error("expected a UserError");
}

describe("a list of values on the command line", () => {
  it("splits at the commas outside parentheses, brackets and strings", () => {
    const typed = `optimizer=sgd(lr: 0.1, momentum: 0.9), adam(betas: [0.8, 0.9]) ,"a,b"`;
    expect(splitValues(typed, typed.indexOf("=") + 1).map((v) => v.text)).toEqual(["sgd(lr: 0.1, momentum: 0.9)", "adam(betas: [0.8, 0.9])", `"a,b"`]);
  });

  it("isolates one value at the columns it was typed at, `=` read as a space", () => {
    const typed = "optimizer=sgd(lr: 0.1), adam()";
    const [, adam] = splitValues(typed, 10);
    expect(isolateValue(typed, 9, adam!)).toBe("optimizer               adam()");
    expect(isolateValue(typed, 9, adam!)).toHaveLength(typed.length);
  });
});

describe("--vary", () => {
  it("makes one override per value, named after the --vary, and the cross product of several", () => {
    const varies = parseVary("compare", ["optimizer=sgd(lr: 0.1), adam(lr: 1e-3)", "batch=1,32,full"]);
    expect(varies.map((v) => [v.option, v.key, v.values.map((x) => x.text)])).toEqual([
      ["--vary #1", "optimizer", ["sgd(lr: 0.1)", "adam(lr: 1e-3)"]],
      ["--vary #2", "batch", ["1", "32", "full"]],
    ]);
    expect(varies[1]!.values[2]!.override).toEqual({ name: "--vary #2", text: "batch      full", shown: "batch=1,32,full" });
    const runs = variationRuns(undefined, [], varies);
    expect(runs.map((r) => r.varied.map((v) => v.value).join(" "))).toEqual(["sgd(lr: 0.1) 1", "sgd(lr: 0.1) 32", "sgd(lr: 0.1) full", "adam(lr: 1e-3) 1", "adam(lr: 1e-3) 32", "adam(lr: 1e-3) full"]);
  });

  it("refuses what is not a list of values to compare", () => {
    expect(refusal(() => parseVary("compare", ["batch"]))).toBe("nnc compare: --vary needs KEY=VALUE, VALUE, …: a train block's setting and the values to try, as in `--vary batch=1,32,full`, but got `batch`");
    expect(refusal(() => parseVary("compare", ["=1,2"]))).toContain("--vary needs KEY=VALUE, VALUE, …");
    expect(refusal(() => parseVary("compare", ["batch=32"]))).toBe("nnc compare: --vary #1 (`batch=32`) gives one value; give two or more to compare, separated by commas (one value for every run is --set)");
    expect(refusal(() => parseVary("compare", ["batch=32, 16, 32"]))).toBe("nnc compare: --vary #1 gives `32` twice (values 1 and 3), which would train the same run twice");
    expect(refusal(() => parseVary("compare", ["batch=1,2", "epochs=1,2", "batch=3,4"]))).toBe("nnc compare: --vary #1 and --vary #3 both vary `batch`; give its values in one --vary");
  });
});

describe("run labels", () => {
  const dir = mkdtempSync(join(tmpdir(), "nnc-compare-plan-"));
  const model = (name: string) => `model ${name} {\n  input x: [B, 2]\n  target y: class[B] of 2\n  logits = dense(x, 2)\n  loss cross_entropy(logits, y)\n}\n`;
  const block = (name: string, lines: string) => `train ${name} {\n  data moons(n: 50, seed: 1)\n${lines}\n}\n`;

  function labels(text: string, trains?: string[]) {
    const file = join(dir, `f${Math.random().toString(36).slice(2)}.nn`);
    writeFileSync(file, text);
    const plan = blockRuns("compare", parse(text, file).program, file, trains, []);
    return runLabels(text, plan, loadModels("compare", file, plan));
  }

  it("names the settings that differ between the blocks, as written", () => {
    const text = `${model("m")}\n${block("m", "  optimizer sgd(lr: 0.1)\n  batch 8\n  epochs 2")}\n${block("m", "  optimizer  adam(lr:\n    1e-3)\n  batch 8\n  epochs 2")}\n${block("m", "  optimizer sgd(lr: 0.1)\n  batch full\n  epochs 2\n  schedule cosine()")}`;
    expect(labels(text)).toEqual([
      "optimizer=sgd(lr: 0.1), batch=8, no schedule",
      "optimizer=adam(lr: 1e-3), batch=8, no schedule",
      "optimizer=sgd(lr: 0.1), batch=full, schedule=cosine()",
    ]);
    expect(labels(text, ["1", "2"])).toEqual(["optimizer=sgd(lr: 0.1)", "optimizer=adam(lr: 1e-3)"]);
  });

  it("names the model when the blocks train different ones, and numbers blocks that differ in nothing", () => {
    expect(labels(`${model("a")}\n${model("b")}\n${block("a", "  optimizer sgd(lr: 0.1)")}\n${block("b", "  optimizer sgd(lr: 0.1)")}`)).toEqual(["model=a", "model=b"]);
    expect(labels(`${model("m")}\n${block("m", "  optimizer sgd(lr: 0.1)")}\n${block("m", "  optimizer sgd(lr: 0.1)")}`)).toEqual(["#1", "#2"]);
  });

  it("needs two runs", () => {
    const text = `${model("m")}\n${block("m", "  optimizer sgd(lr: 0.1)")}`;
    expect(refusal(() => blockRuns("compare", parse(text, "x.nn").program, "x.nn", undefined, []))).toContain("nnc compare: nothing to compare: `x.nn` has one train block; give --train once per block");
    expect(refusal(() => blockRuns("compare", parse(text, "x.nn").program, "x.nn", ["1"], []))).toContain("nothing to compare: one --train chooses one run");
  });
});
