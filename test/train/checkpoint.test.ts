// Checkpoints: what the files hold and under which names (exactly PyTorch's state_dict keys in the
// checkpoint, the optimizer's state in its companion file),
// an exact resume of the optimizer, schedule and early-stopping state through a file, weights-only
// files as PyTorch writes them, and the compatibility messages the CLI prints.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ParamInfo, StateInfo } from "../../compiler/ir/graph.ts";
import {
  type CheckpointContent,
  CHECKPOINT_FORMAT,
  checkCompatible,
  checkResumable,
  loadCheckpoint,
  loadWeights,
  optimizerPath,
  saveCheckpoint,
} from "../../runtime/train/checkpoint.ts";
import { EarlyStopping } from "../../runtime/train/early-stopping.ts";
import { createOptimizer, LbfgsOptimizer } from "../../runtime/train/optimizers/index.ts";
import { createSchedule } from "../../runtime/train/schedules/index.ts";
import { encodeSafetensors, readSafetensors, writeSafetensors } from "../../runtime/train/safetensors.ts";
import { writeFileSync } from "node:fs";

const param = (name: string, shape: number[]): ParamInfo => ({
  name,
  shape,
  role: name.endsWith("bias") ? "bias" : "weight",
  init: { kind: "torch_default" },
  fanIn: shape[1] ?? 1,
  fanOut: shape[0]!,
  regularizers: [],
  node: 0,
  layer: name.split(".")[0]!,
  span: null,
});
const stateInfo = (name: string, shape: number[], init = 0): StateInfo => ({ name, shape, init, node: 0 });

const PARAMS = [param("h1.weight", [3, 2]), param("h1.bias", [3]), param("out.weight", [1, 3])];
const STATE = [stateInfo("bn.running_mean", [3]), stateInfo("bn.running_var", [3], 1)];
const SHAPES = Object.fromEntries([...PARAMS, ...STATE].map((p) => [p.name, p.shape]));
const tmp = () => mkdtempSync(join(tmpdir(), "nnc-ckpt-"));

function content(o: Partial<CheckpointContent> = {}): CheckpointContent {
  return {
    model: "mlp",
    params: { "h1.weight": Float32Array.from([1, 2, 3, 4, 5, 6]), "h1.bias": Float32Array.from([0.1, 0.2, 0.3]), "out.weight": Float32Array.from([-1, 0, 1]) },
    state: { "bn.running_mean": Float32Array.from([0, 0.5, 1]), "bn.running_var": Float32Array.from([1, 2, 3]) },
    optimizer: null,
    standardizer: null,
    progress: { epoch: 3, step: 30 },
    scheduleState: null,
    earlyStoppingState: null,
    ...o,
  };
}

describe("checkpoint files", () => {
  it("stores weights under their .nn names in PyTorch layouts, the optimizer by parameter beside them, and the run in metadata", () => {
    const path = join(tmp(), "runs", "mlp.safetensors"); // the folder is created
    const optimizer = createOptimizer({ kind: "adam", lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, amsgrad: false }, [6, 3, 3]);
    const saved = content({
      optimizer: { kind: "adam", ...optimizer.saveState() },
      standardizer: { mean: Float32Array.from([0.5, 1.5]), std: Float32Array.from([2, 3]) },
      scheduleState: { t: 30 },
      earlyStoppingState: { best: 0.25, bestEpoch: 2, waited: 1 },
      seed: 42,
    });
    saveCheckpoint(path, saved, SHAPES);
    const { tensors, metadata } = readSafetensors(path);
    expect(Object.keys(tensors).sort()).toEqual(["h1.weight", "h1.bias", "out.weight", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"].sort());
    expect(tensors["h1.weight"]!.shape).toEqual([3, 2]);
    const companion = readSafetensors(optimizerPath(path));
    expect(Object.keys(companion.tensors).sort()).toEqual(
      [
        "optimizer.h1.weight.exp_avg", "optimizer.h1.bias.exp_avg", "optimizer.out.weight.exp_avg",
        "optimizer.h1.weight.exp_avg_sq", "optimizer.h1.bias.exp_avg_sq", "optimizer.out.weight.exp_avg_sq",
      ].sort(),
    );
    expect(companion.tensors["optimizer.h1.weight.exp_avg"]!.shape).toEqual([3, 2]);
    expect(metadata).toMatchObject({
      format: CHECKPOINT_FORMAT,
      nnc_version: expect.any(String),
      model: "mlp",
      progress: '{"epoch":3,"step":30}',
      seed: "42",
      schedule: '{"t":30}',
      best_metric: '{"value":0.25,"epoch":2}',
      standardize: '{"mean":[0.5,1.5],"std":[2,3]}',
    });
    expect(JSON.parse(companion.metadata.optimizer!)).toEqual({ kind: "adam", scalars: { step: 0 }, slots: { exp_avg: 3, exp_avg_sq: 3 } });

    const loaded = loadCheckpoint(path, { optimizer: true });
    expect(loaded.params).toEqual(saved.params);
    expect(Object.keys(loaded.params)).toEqual(["h1.weight", "h1.bias", "out.weight"]);
    expect(loaded.state).toEqual(saved.state);
    expect(loaded.optimizer).toEqual(saved.optimizer);
    expect(loaded.standardizer).toEqual(saved.standardizer);
    expect(loaded.progress).toEqual({ epoch: 3, step: 30 });
    expect(loaded.scheduleState).toEqual({ t: 30 });
    expect(loaded.earlyStoppingState).toEqual({ best: 0.25, bestEpoch: 2, waited: 1 });
    expect(loaded.seed).toBe(42);
    expect(loaded.writtenBy).toEqual({ nnc: expect.any(String), format: CHECKPOINT_FORMAT });
    expect(checkCompatible(loaded, PARAMS, STATE)).toEqual([]);
    expect(checkResumable(loaded, "adam")).toEqual([]);
  });

  it("resumes Adam, a per-step schedule and early stopping exactly through a file", () => {
    const config = { kind: "adamw", lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01, amsgrad: true } as const;
    const scheduleConfig = { kind: "cosine", t_max: 20, eta_min: 0, every: "step" } as const;
    const grads = (k: number) => [Float32Array.from([Math.sin(k), Math.cos(k), k % 3 - 1, 0.5, -0.25, k / 10]), Float32Array.from([1, -1, k]), Float32Array.from([0.1, 0.2, -0.3 * k])];
    const run = { baseLr: 0.05, stepsPerEpoch: 5, epochs: 4 };

    // Straight through: 10 steps.
    const straight = content();
    const a = createOptimizer(config, [6, 3, 3]);
    const sa = createSchedule(scheduleConfig, run);
    const paramsA = Object.values(straight.params).map((p) => p.slice());
    for (let k = 0; k < 10; k++) {
      a.step(paramsA, grads(k), sa.lr);
      sa.onStep();
    }

    // 4 steps, a checkpoint, then 6 more from the loaded file.
    const b = createOptimizer(config, [6, 3, 3]);
    const sb = createSchedule(scheduleConfig, run);
    const early = new EarlyStopping({ metric: "val_loss", mode: "min", patience: 3, min_delta: 0, restore: "best" });
    const paramsB = Object.values(straight.params).map((p) => p.slice());
    for (let k = 0; k < 4; k++) {
      b.step(paramsB, grads(k), sb.lr);
      sb.onStep();
    }
    const path = join(tmp(), "resume.safetensors");
    const names = Object.keys(straight.params);
    saveCheckpoint(
      path,
      content({
        params: Object.fromEntries(names.map((n, i) => [n, paramsB[i]!])),
        optimizer: { kind: config.kind, ...b.saveState() },
        scheduleState: sb.saveState(),
        earlyStoppingState: early.saveState(), // best = Infinity: no epoch measured yet
      }),
      SHAPES,
    );
    const loaded = loadCheckpoint(path, { optimizer: true });
    const c = createOptimizer(config, [6, 3, 3]);
    c.loadState(loaded.optimizer!);
    const sc = createSchedule(scheduleConfig, run);
    sc.loadState(loaded.scheduleState!);
    const earlyC = new EarlyStopping({ metric: "val_loss", mode: "min", patience: 3, min_delta: 0, restore: "best" });
    earlyC.loadState(loaded.earlyStoppingState!);
    expect(earlyC.best).toBe(Infinity);
    const paramsC = names.map((n) => loaded.params[n]!.slice());
    for (let k = 4; k < 10; k++) {
      c.step(paramsC, grads(k), sc.lr);
      sc.onStep();
    }
    expect(paramsC).toEqual(paramsA);
    expect(sc.lr).toBe(sa.lr);
    expect(c.saveState()).toEqual(a.saveState());
  });

  it("stores L-BFGS's flat vectors and history by index", async () => {
    const lbfgs = new LbfgsOptimizer(
      { kind: "lbfgs", lr: 1, max_iter: 4, max_eval: 100, history_size: 5, tolerance_grad: 1e-7, tolerance_change: 1e-9, line_search: "strong_wolfe" },
      12,
    );
    const params = Object.values(content().params).map((p) => p.slice());
    const grads = params.map((p) => new Float32Array(p.length));
    await lbfgs.step(params, async () => {
      let loss = 0;
      params.forEach((p, i) => p.forEach((v, j) => ((loss += 0.5 * (j + 1) * v * v), (grads[i]![j] = (j + 1) * v))));
      return { loss, grads };
    });
    const saved = { kind: "lbfgs", ...lbfgs.saveState() };
    const path = join(tmp(), "lbfgs.safetensors");
    saveCheckpoint(path, content({ optimizer: saved }), SHAPES);
    const names = Object.keys(readSafetensors(optimizerPath(path)).tensors);
    expect(names).toContain("optimizer.d.0");
    expect(names).toContain("optimizer.old_dirs.1");
    const loaded = loadCheckpoint(path, { optimizer: true });
    expect(loaded.optimizer).toEqual(saved);
    expect(checkCompatible(loaded, PARAMS, STATE)).toEqual([]);
  });

  it("keeps non-finite numbers in the metadata", () => {
    const path = join(tmp(), "inf.safetensors");
    saveCheckpoint(path, content({ scheduleState: { lr: 0.1, best: -Infinity, bad: 0, cooldown: 0 }, earlyStoppingState: { best: NaN, bestEpoch: 0, waited: 2 } }), SHAPES);
    const loaded = loadCheckpoint(path);
    expect(loaded.scheduleState!.best).toBe(-Infinity);
    expect(loaded.earlyStoppingState!.best).toBeNaN();
  });

  it("a layer named `optimizer` or `standardize` stays a parameter", () => {
    const path = join(tmp(), "names.safetensors");
    const params = { "optimizer.weight": Float32Array.from([1, 2]), "standardize.bias": Float32Array.from([3]) };
    saveCheckpoint(path, content({ params, state: {}, standardizer: { mean: Float32Array.from([0]), std: Float32Array.from([1]) } }), {});
    const loaded = loadCheckpoint(path);
    expect(Object.keys(loaded.params)).toEqual(["optimizer.weight", "standardize.bias"]);
    expect(loaded.standardizer).not.toBeNull();
  });

  it("reads format 1 (optimizer tensors as optimizer.<slot>.<index>)", () => {
    const path = join(tmp(), "v1.safetensors");
    writeSafetensors(
      path,
      {
        "h1.weight": { shape: [2], data: Float32Array.from([1, 2]) },
        "optimizer.momentum_buffer.0": { shape: [2], data: Float32Array.from([0.5, 0.25]) },
      },
      { format: "nnc-checkpoint-1", model: "m", params: '["h1.weight"]', state: "[]", optimizer: '{"kind":"sgd","scalars":{"step":4}}' },
    );
    const loaded = loadCheckpoint(path);
    expect(Object.keys(loaded.params)).toEqual(["h1.weight"]);
    expect(loaded.optimizer).toEqual({ kind: "sgd", scalars: { step: 4 }, tensors: { momentum_buffer: [Float32Array.from([0.5, 0.25])] } });
  });
});

describe("weights from elsewhere (--init)", () => {
  it("takes a PyTorch state_dict file as weights and state, ignoring num_batches_tracked", () => {
    const path = join(tmp(), "torch.safetensors");
    // As safetensors.torch.save_file(model.state_dict()) writes it: no nnc metadata, I64 counter.
    const bytes = encodeSafetensors({
      "h1.weight": { shape: [3, 2], data: new Float32Array(6) },
      "h1.bias": { shape: [3], data: new Float32Array(3) },
      "out.weight": { shape: [1, 3], data: new Float32Array(3) },
      "bn.running_mean": { shape: [3], data: new Float32Array(3) },
      "bn.num_batches_tracked": { shape: [], dtype: "I64", data: BigInt64Array.of(100n) },
    });
    writeFileSync(path, bytes);
    const loaded = loadCheckpoint(path);
    expect(loaded.writtenBy).toBeNull();
    expect(loaded.optimizer).toBeNull();
    // running_var is missing: it keeps its initial value, which is not a problem.
    expect(checkCompatible(loaded, PARAMS, STATE)).toEqual([]);
    expect(Object.keys(loaded.state)).toEqual(["bn.running_mean"]);
    expect(checkResumable(loaded, "sgd")).toEqual(["it holds no optimizer state (it has weights only); start a new run from it with `--init` instead"]);
  });

  it("an nnc checkpoint's optimizer entries never reach the weights", () => {
    const path = join(tmp(), "full.safetensors");
    const optimizer = createOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weight_decay: 0 }, [6, 3, 3]);
    const params = Object.values(content().params).map((p) => p.slice());
    optimizer.step(params, params.map((p) => p.slice()), 0.1);
    saveCheckpoint(path, content({ optimizer: { kind: "sgd", ...optimizer.saveState() } }), SHAPES);
    const loaded = loadCheckpoint(path, { optimizer: true });
    expect(Object.keys(loaded.params)).toEqual(["h1.weight", "h1.bias", "out.weight"]);
    expect(checkCompatible(loaded, PARAMS, STATE)).toEqual([]);
    expect(checkResumable(loaded, "adam")).toEqual([
      "it was saved by the optimizer `sgd` but the run uses `adam`; resume with the same optimizer, or start a new run from its weights with `--init`",
    ]);
  });
});

describe("loadWeights (--init)", () => {
  it("reads a weights-only file in the model's order, filling missing state with its initial value", () => {
    const path = join(tmp(), "weights.safetensors");
    writeSafetensors(path, {
      "out.weight": { shape: [1, 3], data: Float32Array.from([7, 8, 9]) },
      "h1.bias": { shape: [3], data: Float32Array.from([4, 5, 6]) },
      "h1.weight": { shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      "bn.running_mean": { shape: [3], data: Float32Array.from([0.1, 0.2, 0.3]) },
    });
    const { params, state } = loadWeights(path, PARAMS, STATE);
    expect(params.map((p) => Array.from(p))).toEqual([[1, 2, 3, 4, 5, 6], [4, 5, 6], [7, 8, 9]]);
    expect(Array.from(state[0]!)).toEqual([0.1, 0.2, 0.3].map(Math.fround));
    expect(Array.from(state[1]!)).toEqual([1, 1, 1]);
  });

  it("refuses a file that does not fit, naming every problem", () => {
    const path = join(tmp(), "small.safetensors");
    writeSafetensors(path, { "h1.weight": { shape: [2, 2], data: new Float32Array(4) } });
    expect(() => loadWeights(path, PARAMS, STATE)).toThrow(
      `${path}: it does not fit the model: missing parameter \`h1.bias\` (the model has [3]); missing parameter \`out.weight\` (the model has [1, 3]); \`h1.weight\` has shape [2, 2] in the checkpoint but [3, 2] in the model`,
    );
  });
});

describe("compatibility messages", () => {
  it("names the missing parameter, the unexpected tensor, and both shapes of a mismatch", () => {
    const path = join(tmp(), "other.safetensors");
    saveCheckpoint(
      path,
      content({
        params: { "h1.weight": new Float32Array(8), "h1.bias": new Float32Array(3), "h2.weight": new Float32Array(4) },
        state: { "bn.running_mean": new Float32Array(4) },
      }),
      { "h1.weight": [4, 2], "h2.weight": [2, 2], "bn.running_mean": [4] },
    );
    expect(checkCompatible(loadCheckpoint(path), PARAMS, STATE)).toEqual([
      "missing parameter `out.weight` (the model has [1, 3])",
      "`h1.weight` has shape [4, 2] in the checkpoint but [3, 2] in the model",
      "unexpected tensor `h2.weight` [2, 2]: the model has no parameter or state of that name",
      "`bn.running_mean` has shape [4] in the checkpoint but [3] in the model",
    ]);
  });

  it("a transposed weight (same size, other shape) is a mismatch", () => {
    const path = join(tmp(), "t.safetensors");
    saveCheckpoint(path, content(), { ...SHAPES, "h1.weight": [2, 3] });
    expect(checkCompatible(loadCheckpoint(path), PARAMS, STATE)).toEqual(["`h1.weight` has shape [2, 3] in the checkpoint but [3, 2] in the model"]);
  });
});
