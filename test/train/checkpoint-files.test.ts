// Checkpoints: a safetensors file holding exactly the PyTorch module's state_dict (the parameters
// under the model's names in PyTorch layouts, the batch-norm statistics and num_batches_tracked),
// with the standardization, the progress and the schedule's and early stopping's state in its
// metadata, and the optimizer's tensors and scalars in a companion file beside it. A plain weights
// file (as PyTorch's safetensors.torch.save_file writes a state_dict) loads too, with no optimizer,
// and so do the one-file formats 1 and 2.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ParamInfo, StateInfo } from "../../compiler/ir/graph.ts";
import {
  CHECKPOINT_FORMAT,
  type CheckpointContent,
  checkCompatible,
  checkResumable,
  loadCheckpoint,
  NNC_VERSION,
  optimizerPath,
  saveCheckpoint,
} from "../../runtime/train/checkpoint.ts";
import { CheckpointError, readSafetensors, writeSafetensors } from "../../runtime/train/safetensors.ts";

const folder = mkdtempSync(join(tmpdir(), "nnc-checkpoint-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const f = (...values: number[]) => Float32Array.from(values);

function param(name: string, shape: number[]): ParamInfo {
  return { name, shape, role: name.endsWith("bias") ? "bias" : "weight", init: { kind: "zeros" }, fanIn: 1, fanOut: 1, regularizers: [], node: 0, layer: name.split(".")[0]!, span: null };
}
const stateInfo = (name: string, shape: number[], init = 0): StateInfo => ({ name, shape, init, node: 0 });

// A small model: dense(2 → 3) then batchnorm(3).
const MODEL_PARAMS = [param("h1.weight", [3, 2]), param("h1.bias", [3]), param("bn.weight", [3]), param("bn.bias", [3])];
const MODEL_STATE = [stateInfo("bn.running_mean", [3]), stateInfo("bn.running_var", [3], 1)];
const SHAPES: Record<string, number[]> = Object.fromEntries([...MODEL_PARAMS, ...MODEL_STATE].map((p) => [p.name, p.shape]));

function content(overrides: Partial<CheckpointContent> = {}): CheckpointContent {
  return {
    model: "tiny",
    params: {
      "h1.weight": f(1, 2, 3, 4, 5, 6),
      "h1.bias": f(0.1, 0.2, 0.3),
      "bn.weight": f(1, 1, 1),
      "bn.bias": f(0, -0.5, 0.5),
    },
    state: { "bn.running_mean": f(0.01, 0.02, 0.03), "bn.running_var": f(0.9, 1.1, 1.2) },
    optimizer: {
      kind: "adam",
      scalars: { step: 17, beta1_power: 0.9 ** 17 },
      tensors: {
        exp_avg: [f(6, 5, 4, 3, 2, 1), f(1, 2, 3), f(4, 5, 6), f(7, 8, 9)],
        exp_avg_sq: [f(0.6, 0.5, 0.4, 0.3, 0.2, 0.1), f(0.1, 0.2, 0.3), f(0.4, 0.5, 0.6), f(0.7, 0.8, 0.9)],
      },
    },
    standardizer: { mean: f(0.5, -0.5), std: f(2, 0.25) },
    progress: { epoch: 3, step: 120 },
    scheduleState: { lr: 0.05, best: Infinity, bad: 1, cooldown: 0 },
    earlyStoppingState: { best: 0.25, bestEpoch: 2, waited: 1 },
    seed: 42,
    ...overrides,
  };
}

const arrays = (record: Record<string, Float32Array>) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, Array.from(v)]));

describe("checkpoint round trip", () => {
  it("gives back params, state, optimizer tensors and scalars, standardizer, progress, schedule and early stopping", () => {
    const path = join(folder, "runs", "nested", "tiny.safetensors"); // folders are created on first use
    const saved = content();
    saveCheckpoint(path, saved, SHAPES);
    const loaded = loadCheckpoint(path, { optimizer: true });

    expect(loaded.model).toBe("tiny");
    expect(arrays(loaded.params)).toEqual(arrays(saved.params));
    // Parameter order is the model's order.
    expect(Object.keys(loaded.params)).toEqual(["h1.weight", "h1.bias", "bn.weight", "bn.bias"]);
    expect(arrays(loaded.state)).toEqual(arrays(saved.state));
    expect(loaded.shapes).toEqual(SHAPES);
    expect(loaded.optimizer!.kind).toBe("adam");
    expect(loaded.optimizer!.scalars).toEqual({ step: 17, beta1_power: 0.9 ** 17 });
    for (const slot of ["exp_avg", "exp_avg_sq"]) {
      expect(loaded.optimizer!.tensors[slot]!.map((a) => Array.from(a))).toEqual(saved.optimizer!.tensors[slot]!.map((a) => Array.from(a)));
    }
    expect(Array.from(loaded.standardizer!.mean)).toEqual([0.5, -0.5]);
    expect(Array.from(loaded.standardizer!.std)).toEqual([2, 0.25]);
    expect(loaded.progress).toEqual({ epoch: 3, step: 120 });
    // Infinity (plateau's best before any epoch) survives the JSON metadata.
    expect(loaded.scheduleState).toEqual({ lr: 0.05, best: Infinity, bad: 1, cooldown: 0 });
    expect(loaded.earlyStoppingState).toEqual({ best: 0.25, bestEpoch: 2, waited: 1 });
    expect(loaded.seed).toBe(42);
    expect(loaded.writtenBy).toEqual({ nnc: NNC_VERSION, format: CHECKPOINT_FORMAT });
    expect(checkCompatible(loaded, MODEL_PARAMS, MODEL_STATE)).toEqual([]);
    expect(checkResumable(loaded, "adam")).toEqual([]);
  });

  it("is a plain safetensors file: exactly the module's state_dict keys; optimizer tensors per parameter in the companion", () => {
    const path = join(folder, "plain-view.safetensors");
    saveCheckpoint(path, content(), SHAPES);
    const { tensors, metadata } = readSafetensors(path);
    expect(Object.keys(tensors).sort()).toEqual(
      ["h1.weight", "h1.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"].sort(),
    );
    expect(tensors["h1.weight"]!.shape).toEqual([3, 2]);
    expect(tensors["bn.running_var"]!.shape).toEqual([3]);
    // PyTorch's BatchNorm counter: an I64 scalar, the run's step count.
    expect(tensors["bn.num_batches_tracked"]).toMatchObject({ dtype: "I64", shape: [] });
    expect(Array.from(tensors["bn.num_batches_tracked"]!.data)).toEqual([120]);
    expect(metadata.format).toBe(CHECKPOINT_FORMAT);
    expect(metadata.model).toBe("tiny");
    expect(JSON.parse(metadata.best_metric!)).toEqual({ value: 0.25, epoch: 2 });
    expect(JSON.parse(metadata.standardize!)).toEqual({ mean: [0.5, -0.5], std: [2, 0.25] });
    expect(JSON.parse(metadata.optimizer_file!)).toMatchObject({ file: "plain-view.optimizer.safetensors", kind: "adam", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const companion = readSafetensors(join(folder, "plain-view.optimizer.safetensors"));
    expect(companion.tensors["optimizer.h1.weight.exp_avg"]!.shape).toEqual([3, 2]);
    expect(Array.from(companion.tensors["optimizer.bn.bias.exp_avg_sq"]!.data)).toEqual(Array.from(f(0.7, 0.8, 0.9)));
    expect(companion.metadata).toMatchObject({ format: "nnc-optimizer-3", checkpoint: "plain-view.safetensors" });
  });

  it("loads without the companion unless the optimizer is asked for (--init, eval, predict need one file)", () => {
    const path = join(folder, "alone.safetensors");
    saveCheckpoint(path, content(), SHAPES);
    rmSync(optimizerPath(path));
    const loaded = loadCheckpoint(path);
    expect(loaded.optimizer).toBeNull();
    expect(Array.from(loaded.standardizer!.std)).toEqual([2, 0.25]);
    expect(loaded.batchesTracked).toEqual({ "bn.num_batches_tracked": 120 });
    expect(checkCompatible(loaded, MODEL_PARAMS, MODEL_STATE)).toEqual([]);
  });

  it("keeps the rest empty when there is no optimizer, standardizer, schedule or early stopping", () => {
    const path = join(folder, "bare.safetensors");
    saveCheckpoint(path, content({ optimizer: null, standardizer: null, scheduleState: null, earlyStoppingState: null, seed: null }), SHAPES);
    expect(existsSync(optimizerPath(path))).toBe(false);
    const loaded = loadCheckpoint(path, { optimizer: true });
    expect(loaded.optimizer).toBeNull();
    expect(loaded.standardizer).toBeNull();
    expect(loaded.scheduleState).toBeNull();
    expect(loaded.earlyStoppingState).toBeNull();
    expect(loaded.seed).toBeNull();
    expect(Object.keys(loaded.params)).toHaveLength(4);
    expect(checkResumable(loaded, "adam")[0]).toMatch(/no optimizer state/);
  });

  it("keeps an early-stopping best of Infinity (no epoch measured yet) as Infinity", () => {
    const path = join(folder, "infinite.safetensors");
    saveCheckpoint(path, content({ earlyStoppingState: { best: Infinity, bestEpoch: 0, waited: 0 } }), SHAPES);
    expect(loadCheckpoint(path).earlyStoppingState).toEqual({ best: Infinity, bestEpoch: 0, waited: 0 });
  });

  it("L-BFGS keeps its flat vectors and history as optimizer.<slot>.<k>", () => {
    const path = join(folder, "lbfgs.safetensors");
    const optimizer = { kind: "lbfgs", scalars: { n_iter: 4, t: 1 }, tensors: { d: [f(1, 2, 3)], old_dirs: [f(1, 0), f(0, 1), f(2, 2)] } };
    saveCheckpoint(path, content({ optimizer }), SHAPES);
    expect(Object.keys(readSafetensors(optimizerPath(path)).tensors)).toEqual(expect.arrayContaining(["optimizer.d.0", "optimizer.old_dirs.0", "optimizer.old_dirs.2"]));
    const loaded = loadCheckpoint(path, { optimizer: true });
    expect(loaded.optimizer!.kind).toBe("lbfgs");
    expect(loaded.optimizer!.scalars).toEqual({ n_iter: 4, t: 1 });
    expect(loaded.optimizer!.tensors.d!.map((a) => Array.from(a))).toEqual([[1, 2, 3]]);
    expect(loaded.optimizer!.tensors.old_dirs!.map((a) => Array.from(a))).toEqual([[1, 0], [0, 1], [2, 2]]);
    expect(Object.keys(loaded.params)).toEqual(["h1.weight", "h1.bias", "bn.weight", "bn.bias"]);
    expect(checkResumable(loaded, "adam")[0]).toMatch(/`lbfgs` but the run uses `adam`/);
  });

  it("a layer called `optimizer` stays a parameter", () => {
    const path = join(folder, "layer-named-optimizer.safetensors");
    const params = { "optimizer.weight": f(1, 2), "optimizer.bias": f(3) };
    saveCheckpoint(
      path,
      content({ params, state: {}, optimizer: { kind: "sgd", scalars: {}, tensors: { momentum_buffer: [f(0.1, 0.2), f(0.3)] } } }),
      { "optimizer.weight": [1, 2], "optimizer.bias": [1] },
    );
    const loaded = loadCheckpoint(path, { optimizer: true });
    expect(arrays(loaded.params)).toEqual({ "optimizer.weight": [1, 2], "optimizer.bias": [3] });
    expect(loaded.optimizer!.tensors.momentum_buffer!.map((a) => Array.from(a))).toEqual([Array.from(f(0.1, 0.2)), Array.from(f(0.3))]);
  });

  it("still reads format 1 files (optimizer tensors as optimizer.<slot>.<index>)", () => {
    const path = join(folder, "format-1.safetensors");
    writeSafetensors(
      path,
      {
        "h1.weight": { shape: [1, 2], data: f(1, 2) },
        "h1.bias": { shape: [1], data: f(3) },
        "optimizer.momentum_buffer.0": { shape: [2], data: f(0.5, 0.25) },
        "optimizer.momentum_buffer.1": { shape: [1], data: f(-1) },
      },
      {
        format: "nnc-checkpoint-1",
        model: "old",
        progress: JSON.stringify({ epoch: 1, step: 10 }),
        params: JSON.stringify(["h1.weight", "h1.bias"]),
        state: "[]",
        optimizer: JSON.stringify({ kind: "sgd", scalars: {} }),
      },
    );
    const loaded = loadCheckpoint(path);
    expect(Object.keys(loaded.params)).toEqual(["h1.weight", "h1.bias"]);
    expect(loaded.optimizer!.tensors.momentum_buffer!.map((a) => Array.from(a))).toEqual([[0.5, 0.25], [-1]]);
    expect(loaded.progress).toEqual({ epoch: 1, step: 10 });
    expect(loaded.writtenBy).toEqual({ nnc: "unknown", format: "nnc-checkpoint-1" });
  });
});

describe("weights-only files", () => {
  it("a PyTorch state_dict saved with safetensors loads with optimizer null; checkCompatible moves the running stats to state", () => {
    const path = join(folder, "from-torch.safetensors");
    // As safetensors.torch.save_file(model.state_dict()) writes it, with `num_batches_tracked`
    // (an I64 scalar) written by hand since nnc only writes F32.
    const floats = (...v: number[]) => Array.from(new Uint8Array(f(...v).buffer));
    const tracked = Array.from(new Uint8Array(BigInt64Array.from([100n]).buffer));
    const names: [string, number[], number[]][] = [
      ["h1.weight", [3, 2], floats(1, 2, 3, 4, 5, 6)],
      ["h1.bias", [3], floats(7, 8, 9)],
      ["bn.weight", [3], floats(1, 1, 1)],
      ["bn.bias", [3], floats(0, 0, 0)],
      ["bn.running_mean", [3], floats(0.1, 0.2, 0.3)],
      ["bn.running_var", [3], floats(1, 2, 3)],
    ];
    const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
    const data: number[] = [];
    for (const [name, shape, bytes] of names) {
      header[name] = { dtype: "F32", shape, data_offsets: [data.length, data.length + bytes.length] };
      data.push(...bytes);
    }
    header["bn.num_batches_tracked"] = { dtype: "I64", shape: [], data_offsets: [data.length, data.length + 8] };
    data.push(...tracked);
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(path, Buffer.concat([length, json, Buffer.from(data)]));

    const loaded = loadCheckpoint(path);
    expect(loaded.optimizer).toBeNull();
    expect(loaded.writtenBy).toBeNull();
    expect(loaded.standardizer).toBeNull();
    expect(loaded.progress).toEqual({ epoch: 0, step: 0 });
    expect(loaded.scheduleState).toBeNull();
    expect(loaded.earlyStoppingState).toBeNull();
    expect(loaded.model).toBe("");
    // Without nnc's metadata every tensor is first taken as a parameter.
    expect(Object.keys(loaded.state)).toEqual([]);
    expect(loaded.batchesTracked).toEqual({ "bn.num_batches_tracked": 100 });

    expect(checkCompatible(loaded, MODEL_PARAMS, MODEL_STATE)).toEqual([]);
    expect(Object.keys(loaded.params).sort()).toEqual(["bn.bias", "bn.weight", "h1.bias", "h1.weight"]);
    expect(arrays(loaded.state)).toEqual({ "bn.running_mean": Array.from(f(0.1, 0.2, 0.3)), "bn.running_var": [1, 2, 3] });
    expect(Array.from(loaded.params["h1.weight"]!)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("a weights file without the batch-norm statistics is compatible (they keep their initial values)", () => {
    const path = join(folder, "no-stats.safetensors");
    writeSafetensors(path, Object.fromEntries(MODEL_PARAMS.map((p) => [p.name, { shape: p.shape, data: new Float32Array(p.shape.reduce((a, b) => a * b, 1)) }])));
    const loaded = loadCheckpoint(path);
    expect(checkCompatible(loaded, MODEL_PARAMS, MODEL_STATE)).toEqual([]);
    expect(loaded.state).toEqual({});
  });
});

describe("checkCompatible", () => {
  const load = (name: string, c: CheckpointContent, shapes = SHAPES) => {
    const path = join(folder, name);
    saveCheckpoint(path, c, shapes);
    return loadCheckpoint(path);
  };

  it("names a missing parameter with the model's shape", () => {
    const c = content({ optimizer: null });
    delete c.params["h1.bias"];
    const problems = checkCompatible(load("missing.safetensors", c), MODEL_PARAMS, MODEL_STATE);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^missing parameter `h1\.bias` \(the model has .*\[3\]\)$/);
  });

  it("names an unexpected tensor with its shape", () => {
    const c = content({ optimizer: null });
    c.params["h2.weight"] = f(1, 2, 3, 4);
    const problems = checkCompatible(load("unexpected.safetensors", c, { ...SHAPES, "h2.weight": [2, 2] }), MODEL_PARAMS, MODEL_STATE);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^unexpected tensor `h2\.weight` \[2, 2\]/);
    expect(problems[0]).toMatch(/no parameter or state of that name/);
  });

  it("names a tensor of the wrong shape and both shapes, even when the sizes agree (a transposed weight)", () => {
    const transposed = checkCompatible(load("transposed.safetensors", content({ optimizer: null }), { ...SHAPES, "h1.weight": [2, 3] }), MODEL_PARAMS, MODEL_STATE);
    expect(transposed).toEqual(["`h1.weight` has shape [2, 3] in the checkpoint but [3, 2] in the model"]);

    const c = content({ optimizer: null });
    c.state["bn.running_var"] = f(1, 1, 1, 1);
    const wrongState = checkCompatible(load("wrong-state.safetensors", c, { ...SHAPES, "bn.running_var": [4] }), MODEL_PARAMS, MODEL_STATE);
    expect(wrongState).toEqual(["`bn.running_var` has shape [4] in the checkpoint but [3] in the model"]);
  });

  it("without stored shapes compares sizes", () => {
    const c = content({ optimizer: null });
    c.params["h1.bias"] = f(1, 2);
    delete c.shapes;
    expect(checkCompatible(c, MODEL_PARAMS, MODEL_STATE)).toEqual(["`h1.bias` has shape [2] in the checkpoint but [3] in the model"]);
  });

  it("reports every problem at once", () => {
    const c = content({ optimizer: null });
    delete c.params["bn.bias"];
    c.params.extra = f(1);
    const problems = checkCompatible(load("several.safetensors", c, { ...SHAPES, "h1.weight": [6], extra: [1] }), MODEL_PARAMS, MODEL_STATE);
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toMatch(/missing parameter `bn\.bias`/);
    expect(problems.join("\n")).toMatch(/unexpected tensor `extra`/);
    expect(problems.join("\n")).toMatch(/`h1\.weight` has shape \[6\] in the checkpoint but \[3, 2\] in the model/);
  });
});

describe("checkpoint errors", () => {
  it("metadata that is not JSON", () => {
    const path = join(folder, "bad-json.safetensors");
    writeSafetensors(path, { w: { shape: [1], data: f(1) } }, { format: CHECKPOINT_FORMAT, progress: "{epoch: 1" });
    expect(() => loadCheckpoint(path)).toThrow(CheckpointError);
    expect(() => loadCheckpoint(path)).toThrow(/metadata `progress` is not valid JSON/);
  });

  it("an optimizer tensor that the metadata promises but the file lacks", () => {
    const path = join(folder, "lost-slot.safetensors");
    writeSafetensors(path, { "h1.weight": { shape: [1], data: f(1) } }, {
      format: "nnc-checkpoint-2",
      params: '["h1.weight"]',
      optimizer: JSON.stringify({ kind: "adam", scalars: {}, slots: { exp_avg: 1 } }),
    });
    expect(() => loadCheckpoint(path)).toThrow(/the optimizer's tensor `optimizer\.h1\.weight\.exp_avg` is missing/);
  });

  it("half a standardizer", () => {
    const path = join(folder, "half-standardizer.safetensors");
    writeSafetensors(path, { "h1.weight": { shape: [1], data: f(1) }, "standardize.mean": { shape: [1], data: f(0) } }, { format: "nnc-checkpoint-2" });
    expect(() => loadCheckpoint(path)).toThrow(/`standardize\.mean` without `standardize\.std`/);
  });

  it("a missing file names the path", () => {
    const path = join(folder, "absent.safetensors");
    expect(() => loadCheckpoint(path)).toThrow(new CheckpointError(path, "no such file").message);
  });

  it("a folder that cannot be created (a file is in the way)", () => {
    const blocker = join(folder, "a-file");
    writeFileSync(blocker, "x");
    const path = join(blocker, "sub", "model.safetensors");
    expect(() => saveCheckpoint(path, content(), SHAPES)).toThrow(CheckpointError);
    expect(() => saveCheckpoint(path, content(), SHAPES)).toThrow(/cannot create its folder/);
  });
});
