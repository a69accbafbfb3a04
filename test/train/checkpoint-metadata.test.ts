// Crafted checkpoints: every metadata field of a hand-edited or hostile file is checked when it is
// loaded, and a wrong one is a CheckpointError naming the file and the field, never a stack trace
// later. A saved standardization must be finite, with positive standard deviations, one per input
// feature of the model; a saved optimizer state that does not fit the optimizer is reported as
// such, not as a bug in nnc.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCheckpoint, optimizerPath } from "../../runtime/train/checkpoint.ts";
import { CheckpointError, encodeSafetensors, readSafetensors, writeSafetensors } from "../../runtime/train/safetensors.ts";

const folder = mkdtempSync(join(tmpdir(), "nnc-crafted-"));
const f = (...values: number[]) => Float32Array.from(values);

function crafted(name: string, metadata: Record<string, string>, extra: Record<string, Float32Array> = {}, format = "nnc-checkpoint-2"): string {
  const path = join(folder, `${name}.safetensors`);
  const tensors = Object.fromEntries(Object.entries({ "d.weight": f(1, 2), ...extra }).map(([k, data]) => [k, { shape: [data.length], data }]));
  writeSafetensors(path, tensors, { format, nnc_version: "0.1.0", model: "m", params: '["d.weight"]', ...metadata });
  return path;
}

function loadError(path: string): string {
  try {
    loadCheckpoint(path);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return (error as Error).message;
  }
  throw new Error(`${path} loaded`);
}

describe("checkpoint metadata is checked field by field", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["params-number", { params: "5" }, "its metadata `params` must be a list of tensor names"],
    ["state-strings", { state: "[1, 2]" }, "its metadata `state` must be a list of tensor names"],
    ["progress-null", { progress: "null" }, "its metadata `progress` must be an object with whole numbers `epoch` and `step`"],
    ["progress-negative", { progress: '{"epoch": -1, "step": 0}' }, "its metadata `progress` must be an object"],
    ["progress-text", { progress: '{"epoch": "3", "step": 0}' }, "its metadata `progress` must be an object"],
    ["progress-json", { progress: "{epoch: 3" }, "its metadata `progress` is not valid JSON"],
    ["seed-big", { seed: "4294967296" }, "its metadata `seed` must be a whole number from 0 to 4294967295"],
    ["schedule-list", { schedule: "[1]" }, "its metadata `schedule` must be an object whose values are numbers"],
    ["early-text", { early_stopping: '{"best": "low"}' }, "its metadata `early_stopping` must be an object whose values are numbers"],
    ["optimizer-number", { optimizer: "3" }, "its metadata `optimizer` must be an object with `kind` and `scalars`"],
    ["optimizer-no-kind", { optimizer: '{"scalars": {"step": 1}}' }, "its metadata `optimizer` must name the optimizer's `kind`"],
    ["optimizer-kind", { optimizer: '{"kind": "sgdd", "scalars": {}}' }, 'but it has "sgdd"'],
    ["optimizer-scalars", { optimizer: '{"kind": "sgd", "scalars": null}' }, "must have `scalars`, an object whose values are numbers"],
    ["optimizer-slots", { optimizer: '{"kind": "sgd", "scalars": {"step": 1}, "slots": {"momentum_buffer": 1e12}}' }, "has `slots` that are not tensor counts"],
  ];
  for (const [name, metadata, message] of cases) {
    it(`${name}: ${message}`, () => {
      const path = crafted(name, metadata);
      const error = loadError(path);
      expect(error.startsWith(`${path}: `)).toBe(true);
      expect(error).toContain(message);
    });
  }

  const format3: [string, Record<string, string>, string][] = [
    ["standardize-list", { standardize: "[1, 2]" }, "its metadata `standardize` must be an object with two lists of numbers, `mean` and `std`"],
    ["standardize-text", { standardize: '{"mean": ["0"], "std": [1]}' }, "its metadata `standardize` must be an object with two lists of numbers"],
    ["optimizer-file-number", { optimizer_file: "1" }, "its metadata `optimizer_file` must be an object with the companion's `file` name and its `sha256`"],
    ["optimizer-file-hash", { optimizer_file: '{"file": "m.optimizer.safetensors", "kind": "sgd", "sha256": "abc"}' }, "its metadata `optimizer_file` must be an object"],
    ["optimizer-file-kind", { optimizer_file: `{"file": "m.optimizer.safetensors", "kind": "sgdd", "sha256": "${"0".repeat(64)}"}` }, "its metadata `optimizer_file` must name the optimizer's `kind`"],
  ];
  for (const [name, metadata, message] of format3) {
    it(`format 3, ${name}: ${message}`, () => {
      const path = crafted(name, metadata, {}, "nnc-checkpoint-3");
      expect(loadError(path)).toContain(`${path}: ${message}`);
    });
  }

  it("a file nnc wrote still loads", () => {
    const path = crafted("fine", { progress: '{"epoch": 2, "step": 8}', seed: "7", schedule: '{"t": 8}', optimizer: '{"kind": "sgd", "scalars": {"step": 8}, "slots": {}}' });
    expect(loadCheckpoint(path)).toMatchObject({ progress: { epoch: 2, step: 8 }, seed: 7, scheduleState: { t: 8 }, optimizer: { kind: "sgd" } });
  });
});

describe("a checkpoint's standardization is checked", () => {
  it("refuses a zero, negative or non-finite std, a non-finite mean and unequal lengths", () => {
    const cases: [string, Float32Array, Float32Array, string][] = [
      ["std-zero", f(0, 0), f(1, 0), "has the standard deviation 0 for feature 1; it must be a finite number > 0"],
      ["std-negative", f(0, 0), f(-1, 1), "has the standard deviation -1 for feature 0"],
      ["std-infinite", f(0, 0), f(1, Infinity), "has the standard deviation Infinity for feature 1"],
      ["mean-nan", f(NaN, 0), f(1, 1), "has the mean NaN for feature 0; it must be a finite number"],
      ["lengths", f(0, 0, 0), f(1, 1), "has 3 means but 2 standard deviations"],
    ];
    for (const [name, mean, std, message] of cases) {
      const path = crafted(name, {}, { "standardize.mean": mean, "standardize.std": std });
      expect(loadError(path), name).toContain(`its standardization ${message}`);
    }
  });

  it("refuses one of the wrong width for the model (nnc eval, no stack trace)", () => {
    const saved = join(folder, "iris.safetensors");
    const run = spawnSync(process.execPath, ["bin/nnc.js", "run", "examples/logistic_regression.nn", "--epochs", "1", "--save", saved], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const { tensors, metadata } = readSafetensors(saved);
    const width = JSON.parse(metadata.standardize!).mean.length;
    const standardize = JSON.stringify({ mean: new Array(width + 1).fill(0), std: new Array(width + 1).fill(1) });
    const wrong = join(folder, "wrong-width.safetensors");
    writeSafetensors(wrong, tensors, { ...metadata, standardize });
    const { status, stderr } = spawnSync(process.execPath, ["bin/nnc.js", "eval", "examples/logistic_regression.nn", "--checkpoint", wrong], { encoding: "utf8" });
    expect(status).toBe(1);
    expect(stderr).toContain(`${wrong}: its standardization is for ${width + 1} input features, but the model takes ${width}`);
    expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

describe("a saved optimizer state that does not fit", () => {
  it("is reported against the file resumed from, with exit code 1", () => {
    const saved = join(folder, "softmax.safetensors");
    expect(spawnSync(process.execPath, ["bin/nnc.js", "run", "examples/softmax_regression.nn", "--epochs", "1", "--save", saved]).status).toBe(0);
    // The companion's scalars edited, and the pair's hash kept in step.
    const companion = readSafetensors(optimizerPath(saved));
    const optimizer = JSON.parse(companion.metadata.optimizer!);
    optimizer.scalars.step = 1.5;
    const bad = join(folder, "bad-step.safetensors");
    const bytes = encodeSafetensors(companion.tensors, { ...companion.metadata, optimizer: JSON.stringify(optimizer) });
    writeFileSync(optimizerPath(bad), bytes);
    const { tensors, metadata } = readSafetensors(saved);
    const reference = { ...JSON.parse(metadata.optimizer_file!), sha256: createHash("sha256").update(bytes).digest("hex") };
    expect(Object.values(tensors).some((t) => t.dtype === "I64")).toBe(false); // softmax_regression has no batch norm
    writeSafetensors(bad, tensors, { ...metadata, optimizer_file: JSON.stringify(reference) });
    const { status, stderr } = spawnSync(process.execPath, ["bin/nnc.js", "run", "examples/softmax_regression.nn", "--epochs", "2", "--resume", bad], { encoding: "utf8" });
    expect(status).toBe(1);
    expect(stderr).toContain(`nnc run: cannot resume from ${bad}: the optimizer's \`step\` must be a whole number ≥ 0, but it is 1.5`);
  });
});
