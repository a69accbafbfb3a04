// Format 3 keeps the optimizer state in a companion file (`X.optimizer.safetensors`) tied to the
// checkpoint by the SHA-256 of its bytes: a missing, foreign or mislabelled companion is a clear
// error naming both files when resuming, and no concern at all for a weights-only load; a save
// interrupted between its two renames loses nothing. Batch norm's num_batches_tracked must be what
// PyTorch writes. Files of format 2 (one file, optimizer and standardizer inside) still load.

import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ParamInfo, StateInfo } from "../../compiler/ir/graph.ts";
import { type CheckpointContent, checkCompatible, checkResumable, loadCheckpoint, optimizerPath, saveCheckpoint } from "../../runtime/train/checkpoint.ts";
import { CheckpointError, encodeSafetensors, readSafetensors, type WritableTensor, writeSafetensors } from "../../runtime/train/safetensors.ts";
import { tempPathFor } from "../../runtime/train/safetensors-files.ts";

const folder = mkdtempSync(join(tmpdir(), "nnc-companion-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const f = (...values: number[]) => Float32Array.from(values);

function param(name: string, shape: number[]): ParamInfo {
  return { name, shape, role: name.endsWith("bias") ? "bias" : "weight", init: { kind: "zeros" }, fanIn: 1, fanOut: 1, regularizers: [], node: 0, layer: name.split(".")[0]!, span: null };
}
const stateInfo = (name: string, shape: number[], init = 0): StateInfo => ({ name, shape, init, node: 0 });
const PARAMS = [param("h1.weight", [3, 2]), param("h1.bias", [3]), param("bn.weight", [3]), param("bn.bias", [3])];
const STATE = [stateInfo("bn.running_mean", [3]), stateInfo("bn.running_var", [3], 1)];
const SHAPES = Object.fromEntries([...PARAMS, ...STATE].map((p) => [p.name, p.shape]));

function content(step: number, overrides: Partial<CheckpointContent> = {}): CheckpointContent {
  return {
    model: "tiny",
    params: { "h1.weight": f(1, 2, 3, 4, 5, 6), "h1.bias": f(0.1, 0.2, 0.3), "bn.weight": f(1, 1, 1), "bn.bias": f(0, -0.5, 0.5) },
    state: { "bn.running_mean": f(0.01, 0.02, 0.03), "bn.running_var": f(0.9, 1.1, 1.2) },
    optimizer: { kind: "sgd", scalars: { step }, tensors: { momentum_buffer: [f(step, 5, 4, 3, 2, 1), f(1, 2, 3), f(4, 5, 6), f(7, 8, step)] } },
    standardizer: { mean: f(0.5, -0.5), std: f(2, 0.25) },
    progress: { epoch: step / 10, step },
    scheduleState: null,
    earlyStoppingState: null,
    seed: 1,
    ...overrides,
  };
}

function errorOf(load: () => unknown): CheckpointError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error("it loaded");
}

function fresh(name: string): string {
  const dir = join(folder, name);
  mkdirSync(dir);
  return join(dir, "m.safetensors");
}

describe("the optimizer's companion file", () => {
  it("sits beside the checkpoint as NAME.optimizer.safetensors", () => {
    expect(optimizerPath("runs/m.safetensors")).toBe(join("runs", "m.optimizer.safetensors"));
    expect(optimizerPath("/a/m.from-epoch-5.safetensors")).toBe("/a/m.from-epoch-5.optimizer.safetensors");
    expect(optimizerPath("weights.bin")).toBe("weights.bin.optimizer.safetensors");
  });

  it("missing when resuming: an error naming the checkpoint, the missing file and --init; a weights-only load does not need it", () => {
    const path = fresh("missing");
    saveCheckpoint(path, content(10), SHAPES);
    rmSync(optimizerPath(path));
    const error = errorOf(() => loadCheckpoint(path, { optimizer: true }));
    expect(error.file).toBe(path);
    expect(error.message).toContain(`its optimizer state is missing: resuming needs ${optimizerPath(path)}`);
    expect(error.message).toContain(`--init ${path}`);
    expect(loadCheckpoint(path).params["h1.weight"]).toEqual(f(1, 2, 3, 4, 5, 6));
  });

  it("from another save: an error naming both files and both saves' progress", () => {
    const path = fresh("mismatch");
    saveCheckpoint(path, content(10), SHAPES);
    const older = readFileSync(optimizerPath(path));
    saveCheckpoint(path, content(20), SHAPES);
    writeFileSync(optimizerPath(path), older);
    const error = errorOf(() => loadCheckpoint(path, { optimizer: true }));
    expect(error.message).toContain(`${path}: it does not belong with ${optimizerPath(path)}, which holds the optimizer state of another save`);
    expect(error.message).toContain("epoch 1, step 10; this checkpoint is at epoch 2, step 20");
    // Edited by hand, so that its hash no longer matches.
    saveCheckpoint(path, content(20), SHAPES);
    const edited = readFileSync(optimizerPath(path));
    edited[edited.length - 1] ^= 1;
    writeFileSync(optimizerPath(path), edited);
    expect(errorOf(() => loadCheckpoint(path, { optimizer: true })).message).toContain("does not belong with");
  });

  it("a save interrupted between its two renames loses nothing: the staged companion is found by its hash", () => {
    const path = fresh("interrupted");
    saveCheckpoint(path, content(10), SHAPES);
    const older = readFileSync(optimizerPath(path));
    saveCheckpoint(path, content(20), SHAPES);
    // As if the save of step 20 stopped after renaming the checkpoint: its companion is still staged.
    renameSync(optimizerPath(path), tempPathFor(optimizerPath(path)));
    writeFileSync(optimizerPath(path), older);
    const loaded = loadCheckpoint(path, { optimizer: true });
    expect(loaded.optimizer!.scalars).toEqual({ step: 20 });
    expect(loaded.optimizer!.tensors.momentum_buffer![3]).toEqual(f(7, 8, 20));
  });

  it("a save whose checkpoint cannot be written leaves the old pair as it was, and no temp file", () => {
    const path = fresh("failed");
    saveCheckpoint(path, content(10), SHAPES);
    const before = readFileSync(optimizerPath(path));
    const blocked = join(folder, "failed", "blocked.safetensors");
    mkdirSync(blocked); // a folder where the checkpoint should go: the rename fails
    copyFileSync(optimizerPath(path), optimizerPath(blocked));
    expect(() => saveCheckpoint(blocked, content(20), SHAPES)).toThrow(CheckpointError);
    expect(readFileSync(optimizerPath(blocked)).equals(before)).toBe(true);
    expect(existsSync(tempPathFor(optimizerPath(blocked)))).toBe(false);
  });

  it("given in place of the checkpoint: says which file to give", () => {
    const path = fresh("swapped");
    saveCheckpoint(path, content(10), SHAPES);
    expect(errorOf(() => loadCheckpoint(optimizerPath(path))).message).toContain("it holds only the optimizer state of a checkpoint");
  });

  it("of another optimizer, or not a companion at all: errors naming the companion", () => {
    const path = fresh("kind");
    saveCheckpoint(path, content(10), SHAPES);
    const { tensors, metadata } = readSafetensors(optimizerPath(path));
    const rewrite = (changed: Record<string, string>) => {
      const bytes = encodeSafetensors(tensors, { ...metadata, ...changed });
      writeFileSync(optimizerPath(path), bytes);
      // Keep the pair's hash in step, so that only the companion's content is wrong.
      const main = readSafetensors(path);
      const reference = JSON.parse(main.metadata.optimizer_file!);
      reference.sha256 = sha256(bytes);
      writeSafetensors(path, withDtypes(main.tensors), { ...main.metadata, optimizer_file: JSON.stringify(reference) });
    };
    rewrite({ optimizer: JSON.stringify({ ...JSON.parse(metadata.optimizer!), kind: "adam" }) });
    expect(errorOf(() => loadCheckpoint(path, { optimizer: true })).message).toContain(`${optimizerPath(path)}: its metadata \`optimizer\` names the optimizer \`adam\`, but ${path} was saved by \`sgd\``);
    rewrite({ format: "nnc-checkpoint-3" });
    expect(errorOf(() => loadCheckpoint(path, { optimizer: true })).message).toContain(`it is not the optimizer state of ${path}`);
  });

  it("resuming with another optimizer is refused by kind", () => {
    const path = fresh("other-kind");
    saveCheckpoint(path, content(10), SHAPES);
    expect(checkResumable(loadCheckpoint(path, { optimizer: true }), "adam")[0]).toMatch(/saved by the optimizer `sgd` but the run uses `adam`/);
  });
});

describe("formats", () => {
  it("a newer format is refused by name", () => {
    const path = join(folder, "newer.safetensors");
    writeSafetensors(path, { w: { shape: [1], data: f(1) } }, { format: "nnc-checkpoint-4" });
    expect(errorOf(() => loadCheckpoint(path)).message).toContain('its format is "nnc-checkpoint-4", which this nnc cannot read (it reads nnc-checkpoint-1 to nnc-checkpoint-3)');
  });

  it("format 2 (optimizer and standardizer inside one file) still loads, for --resume and for --init", () => {
    const path = join(import.meta.dirname, "fixtures", "checkpoint-format-2.safetensors");
    const loaded = loadCheckpoint(path, { optimizer: true });
    expect(loaded.writtenBy).toEqual({ nnc: "0.1.0", format: "nnc-checkpoint-2" });
    expect(Object.keys(loaded.params)).toEqual(["h1.weight", "h1.bias", "bn.weight", "bn.bias"]);
    expect(loaded.params["h1.weight"]).toEqual(f(1, 2, 3, 4, 5, 6));
    expect(loaded.state["bn.running_var"]).toEqual(f(0.9, 1.1, 1.2));
    expect(loaded.optimizer!.kind).toBe("adam");
    expect(loaded.optimizer!.scalars).toEqual({ step: 17 });
    expect(loaded.optimizer!.tensors.exp_avg_sq![3]).toEqual(f(0.7, 0.8, 0.9));
    expect(loaded.standardizer).toEqual({ mean: f(0.5, -0.5), std: f(2, 0.25) });
    expect(loaded.progress).toEqual({ epoch: 3, step: 120 });
    expect(loaded.scheduleState).toEqual({ t: 120 });
    expect(checkCompatible(loaded, PARAMS, STATE)).toEqual([]);
    expect(checkResumable(loaded, "adam")).toEqual([]);
    // Its state and weights as a weights-only load sees them.
    expect(Object.keys(loadCheckpoint(path).state)).toEqual(["bn.running_mean", "bn.running_var"]);
  });
});

describe("batch norm's num_batches_tracked", () => {
  const withCounter = (name: string, counter: WritableTensor) => {
    const path = join(folder, `${name}.safetensors`);
    saveCheckpoint(path, content(10, { optimizer: null }), SHAPES);
    const { tensors, metadata } = readSafetensors(path);
    writeSafetensors(path, { ...withDtypes(tensors), "bn.num_batches_tracked": counter }, metadata);
    return path;
  };

  it("must be an I64 scalar of a whole number ≥ 0, as PyTorch stores it", () => {
    const cases: [string, WritableTensor, string][] = [
      ["f32", { shape: [], data: f(10) }, "but it is F32 with shape []"],
      ["vector", { shape: [1], dtype: "I64", data: BigInt64Array.of(10n) }, "but it is I64 with shape [1]"],
      ["negative", { shape: [], dtype: "I64", data: BigInt64Array.of(-1n) }, "of a whole number ≥ 0, but it is -1"],
    ];
    for (const [name, counter, message] of cases) {
      const path = withCounter(name, counter);
      const error = errorOf(() => loadCheckpoint(path));
      expect(error.message, name).toContain(`${path}: \`bn.num_batches_tracked\` (batch norm's step counter) must be an I64 scalar, as PyTorch stores it`);
      expect(error.message, name).toContain(message);
    }
  });

  it("is accepted only for a batch norm of the model", () => {
    const path = join(folder, "stray-counter.safetensors");
    saveCheckpoint(path, content(10, { optimizer: null }), SHAPES);
    const { tensors, metadata } = readSafetensors(path);
    writeSafetensors(path, { ...withDtypes(tensors), "h1.num_batches_tracked": { shape: [], dtype: "I64", data: BigInt64Array.of(3n) } }, metadata);
    expect(checkCompatible(loadCheckpoint(path), PARAMS, STATE)).toEqual(["unexpected tensor `h1.num_batches_tracked` []: the model has no batch norm `h1`"]);
  });
});

// The tensors of a file read back, ready to be written again with their dtypes (the counters as I64).
function withDtypes(tensors: Record<string, { shape: number[]; data: Float32Array; dtype?: string }>): Record<string, WritableTensor> {
  return Object.fromEntries(
    Object.entries(tensors).map(([name, t]) => [name, t.dtype === "I64" ? { shape: t.shape, dtype: "I64" as const, data: BigInt64Array.from(t.data, (v) => BigInt(v)) } : { shape: t.shape, data: t.data }]),
  );
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
