// Ensembles end to end, as a user runs them: `nnc ensemble` with members by seed, by train block and
// as snapshots of one run; `nnc eval` and `nnc predict` with several checkpoints, combined by the
// mean and by a vote; and every way of asking for an ensemble that is not one.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../runtime/train/checkpoint.ts";
import { testGpu } from "../webgpu/gpu.ts";

function nnc(...args: string[]) {
  const result = spawnSync(process.execPath, ["bin/nnc.js", ...args], { encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json(stdout: string) {
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

function expectError(result: { code: number | null; stderr: string }, message: string | RegExp) {
  expect(result.code, result.stderr).toBe(1);
  if (typeof message === "string") expect(result.stderr).toContain(message);
  else expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

const scratch = mkdtempSync(join(tmpdir(), "nnc-ensemble-"));
const gpu = await testGpu();

const MODEL = (name: string) => `
model ${name} {
  input  x: [B, 2]
  target y: class[B] of 2
  h      = dense(x, 8) |> relu
  logits = dense(h, 2)
  loss   cross_entropy(logits, y)
}
`;

// Blocks 1 and 2 train one model on one split in different ways; block 3 uses other data.
const FILE = join(scratch, "moons.nn");
writeFileSync(
  FILE,
  `${MODEL("mlp")}
train mlp {
  data      moons(n: 200, noise: 0.3, seed: 1)
  split     test: 0.3
  batch     16
  epochs    4
  optimizer adam(lr: 1e-2)
  seed      1
}

train mlp {
  data      moons(n: 200, noise: 0.3, seed: 1)
  split     test: 0.3
  batch     8
  epochs    3
  optimizer sgd(lr: 0.1, momentum: 0.9)
  seed      7
}

train mlp {
  data      moons(n: 100, noise: 0.3, seed: 1)
  split     test: 0.3
  optimizer adam(lr: 1e-2)
}
`,
);

// The same layers under another model's name, and a second model in one file.
const OTHER = join(scratch, "other.nn");
writeFileSync(OTHER, `${MODEL("other")}\ntrain other {\n  data moons(n: 200, noise: 0.3, seed: 1)\n  split test: 0.3\n  epochs 2\n  optimizer adam(lr: 1e-2)\n}\n`);
const TWO_MODELS = join(scratch, "two-models.nn");
writeFileSync(
  TWO_MODELS,
  `${MODEL("a")}${MODEL("b")}\ntrain a {\n  data moons(n: 100)\n  split test: 0.3\n  optimizer adam(lr: 1e-2)\n}\n\ntrain b {\n  data moons(n: 100)\n  split test: 0.3\n  optimizer adam(lr: 1e-2)\n}\n`,
);
const REGRESSION = join(scratch, "regression.nn");
writeFileSync(
  REGRESSION,
  `model reg {\n  input x: [B, 2]\n  target y: [B, 1]\n  pred = dense(x, 1)\n  loss mse(pred, y)\n}\n\ntrain reg {\n  data linear(n: 100, weights: [1, 2], seed: 1)\n  split test: 0.3\n  epochs 3\n  optimizer sgd(lr: 0.1)\n}\n`,
);

const SEEDS = join(scratch, "seeds");
const members = (dir: string, count: number) => Array.from({ length: count }, (_, i) => join(dir, `member-${i + 1}.safetensors`));
const checkpointArgs = (paths: string[]) => paths.flatMap((p) => ["--checkpoint", p]);

describe("nnc ensemble", () => {
  it("--seeds N trains N members by seed, saves them, and reports each, the ensemble and the disagreement", () => {
    const result = nnc("ensemble", FILE, "--seeds", "3", "--out", SEEDS, "--json");
    expect(result.code, result.stderr).toBe(0);
    const report = json(result.stdout);
    expect(report).toMatchObject({ mode: "seeds", model: "mlp", backend: "cpu", split: "test", combine: "mean", examples: 60 });
    expect(report.members.map((m: { seed: number }) => m.seed)).toEqual([1, 2, 3]);
    expect(report.members.map((m: { checkpoint: string }) => m.checkpoint)).toEqual(members(SEEDS, 3));
    for (const [i, path] of members(SEEDS, 3).entries()) {
      const saved = loadCheckpoint(path);
      expect(saved.seed).toBe(i + 1);
      expect(saved.progress.epoch).toBe(4);
    }
    const accuracies = report.members.map((m: { accuracy: number }) => m.accuracy);
    expect(report.average_member.accuracy).toBeCloseTo(accuracies.reduce((a: number, b: number) => a + b, 0) / 3, 12);
    expect(report.ensemble.accuracy).toBeGreaterThan(0.7);
    expect(report.ensemble.loss).toBeGreaterThan(0);
    expect(report.disagreement).toBeGreaterThanOrEqual(0);
    expect(report.disagreement).toBeLessThan(1);
    // The text goes to stderr with --json, and says how to evaluate the members again.
    expect(result.stderr).toContain(`nnc eval ${FILE} --checkpoint ${members(SEEDS, 3)[0]}`);

    // The first member is the run `nnc run` makes of the block: same seed, same split, same weights.
    const run = json(nnc("run", FILE, "--json").stdout);
    expect(report.members[0].accuracy).toBe(run.test.accuracy);
    expect(report.members[0].loss).toBeCloseTo(run.test.data_loss, 5);
  });

  it("prints a table with every member, the average member and the ensemble", () => {
    const out = join(scratch, "table");
    const { code, stdout } = nnc("ensemble", FILE, "--seeds", "2", "--epochs", "2", "--out", out, "--combine", "vote");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^backend: cpu/m);
    expect(stdout).toMatch(/ensemble of 2 members, combined by a majority vote, on the test split \(60 examples\)/);
    expect(stdout).toMatch(/^ {2}member 1 \(seed 1\) +\d\.\d{4} +\d+\.\d\d%/m);
    expect(stdout).toMatch(/^ {2}average member +\d\.\d{4} +\d+\.\d\d%/m);
    // A vote has no probabilities, so no loss.
    expect(stdout).toMatch(/^ {2}ensemble +— +\d+\.\d\d%/m);
    expect(stdout).toMatch(/the members disagree \(not all predict the same class\) on \d+\.\d\d% of the examples \(\d+ of 60\)/);
  });

  it("--train A --train B makes one member per train block", () => {
    const out = join(scratch, "blocks");
    const result = nnc("ensemble", FILE, "--train", "1", "--train", "2", "--out", out, "--json");
    expect(result.code, result.stderr).toBe(0);
    const report = json(result.stdout);
    expect(report.mode).toBe("train");
    expect(report.members.map((m: { train: string; seed: number; epochs: number; steps: number }) => [m.train, m.seed, m.epochs, m.steps])).toEqual([
      ["1", 1, 4, 4 * Math.ceil(140 / 16)],
      ["2", 7, 3, 3 * Math.ceil(140 / 8)],
    ]);
  });

  it("--snapshots N saves a member at the end of each cosine cycle of one run", () => {
    const out = join(scratch, "snapshots");
    const result = nnc("ensemble", FILE, "--snapshots", "3", "--epochs", "6", "--out", out, "--json");
    expect(result.code, result.stderr).toBe(0);
    const report = json(result.stdout);
    const steps = 2 * Math.ceil(140 / 16);
    expect(report).toMatchObject({ mode: "snapshots", epochs: 6, steps: 3 * steps, schedule: `cosine(t_max: ${steps}, every: step) then cosine(t_max: ${steps}) then cosine()` });
    expect(report.members.map((m: { epoch: number }) => m.epoch)).toEqual([2, 4, 6]);
    for (const [i, path] of members(out, 3).entries()) {
      const saved = loadCheckpoint(path);
      expect(saved.progress).toEqual({ epoch: 2 * (i + 1), step: steps * (i + 1) });
      // The whole run's schedule has advanced to the end of this cycle.
      expect(saved.scheduleState).toEqual({ t: steps * (i + 1) });
    }
    expect(result.stderr).toContain(`snapshot 1: the end of cycle 1 (epoch 2) saved as ${members(out, 3)[0]}`);
  });

  it("refuses a number of members that is not one", () => {
    for (const seeds of ["1", "0", "x", "2.5", "101"]) {
      expectError(nnc("ensemble", FILE, "--seeds", seeds), `nnc ensemble: --seeds needs a whole number from 2 to 100, but got \`${seeds}\``);
    }
    expectError(nnc("ensemble", FILE, "--snapshots", "1"), "nnc ensemble: --snapshots needs a whole number from 2 to 100, but got `1`");
  });

  it("needs exactly one way of forming the ensemble", () => {
    expectError(nnc("ensemble", FILE), "nnc ensemble: choose how the members differ: --seeds N (members differ by seed), --train A --train B (by train block) or --snapshots N");
    expectError(nnc("ensemble", FILE, "--train", "1"), "nnc ensemble: one --train makes one member; give --train once per member (at least two), or add --seeds N");
    expectError(nnc("ensemble", FILE, "--seeds", "2", "--snapshots", "2"), "nnc ensemble: choose one way to form the ensemble, but got --seeds and --snapshots");
    expectError(nnc("ensemble", FILE, "--seeds", "2", "--train", "1", "--train", "2"), "nnc ensemble: choose one way to form the ensemble, but got --seeds and several --train");
  });

  it("refuses train blocks that do not make one ensemble", () => {
    expectError(nnc("ensemble", FILE, "--train", "1", "--train", "3"), "nnc ensemble: the train blocks of --train 1 and --train 3 differ in `data`");
    expectError(nnc("ensemble", FILE, "--train", "2", "--train", "2"), "nnc ensemble: --train 2 and --train 2 are the same train block");
    expectError(nnc("ensemble", TWO_MODELS, "--train", "a", "--train", "b"), "nnc ensemble: --train a trains `a` but --train b trains `b`; the members of an ensemble are one model");
  });

  it("refuses snapshots it cannot take", () => {
    expectError(nnc("ensemble", FILE, "--snapshots", "5", "--epochs", "3"), "nnc ensemble: --snapshots 5 needs at least 5 epochs (a cycle is at least one epoch), but the run has 3; raise --epochs");
    expectError(nnc("ensemble", FILE, "--snapshots", "2", "--set", "schedule=constant"), "nnc ensemble: --snapshots sets the schedule itself");
  });

  it("needs a test split, a classifier for a vote, and a folder that holds only nnc checkpoints", () => {
    expectError(nnc("ensemble", FILE, "--seeds", "2", "--set", "split=validation: 0.2"), "has no test split to compare the members on");
    expectError(nnc("ensemble", REGRESSION, "--seeds", "2", "--combine", "vote"), "nnc ensemble: --combine vote counts the members' classes, but the model is a regression");
    expectError(nnc("ensemble", FILE, "--seeds", "2", "--combine", "median"), "nnc ensemble: --combine must be `mean` or `vote`, not `median`");
    const taken = join(scratch, "taken");
    mkdirSync(taken, { recursive: true });
    writeFileSync(join(taken, "member-2.safetensors"), "my notes");
    expectError(nnc("ensemble", FILE, "--seeds", "2", "--out", taken), `nnc ensemble: refusing to write the checkpoint to ${join(taken, "member-2.safetensors")}`);
    expect(readFileSync(join(taken, "member-2.safetensors"), "utf8")).toBe("my notes");
    expect(existsSync(join(taken, "member-1.safetensors"))).toBe(false);
  });

  it.skipIf(!gpu)("trains and evaluates the members on WebGPU with the CPU runtime's numbers", () => {
    const run = (backend: string) => {
      const result = nnc("ensemble", FILE, "--seeds", "2", "--epochs", "1", "--backend", backend, "--out", join(scratch, backend), "--json");
      expect(result.code, result.stderr).toBe(0);
      return json(result.stdout);
    };
    const [cpu, webgpu] = [run("cpu"), run("webgpu")];
    expect(webgpu.backend).toBe("webgpu");
    expect(webgpu.ensemble.accuracy).toBe(cpu.ensemble.accuracy);
    expect(webgpu.ensemble.loss).toBeCloseTo(cpu.ensemble.loss, 4);
    expect(webgpu.disagreement).toBe(cpu.disagreement);
  });

  it("examples/ensemble.nn: the ensemble beats every member, as its comments say", () => {
    const result = nnc("ensemble", "examples/ensemble.nn", "--seeds", "5", "--out", join(scratch, "example"), "--json");
    expect(result.code, result.stderr).toBe(0);
    const report = json(result.stdout);
    const best = Math.max(...report.members.map((m: { accuracy: number }) => m.accuracy));
    expect(report.ensemble.accuracy).toBeGreaterThan(best);
    expect(report.ensemble.accuracy).toBeGreaterThan(report.average_member.accuracy + 0.005);
    expect(report.ensemble.loss).toBeLessThan(report.average_member.loss - 0.1);
    expect(report.disagreement).toBeGreaterThan(0.1);
  });

  it("says what it does for --help", () => {
    const { code, stdout } = nnc("ensemble", "--help");
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: nnc ensemble FILE --seeds N [options]");
    expect(stdout).toContain("--snapshots N");
  });
});

describe("nnc eval and nnc predict with several checkpoints", () => {
  it("eval combines them as nnc ensemble did, by the mean and by a vote", () => {
    const trained = json(nnc("ensemble", FILE, "--seeds", "3", "--out", SEEDS, "--json").stdout);
    const mean = json(nnc("eval", FILE, ...checkpointArgs(members(SEEDS, 3)), "--json").stdout);
    expect(mean).toMatchObject({ model: "mlp", split: "test", combine: "mean", examples: 60 });
    expect(mean.ensemble).toEqual(trained.ensemble);
    expect(mean.members.map((m: { accuracy: number }) => m.accuracy)).toEqual(trained.members.map((m: { accuracy: number }) => m.accuracy));
    expect(mean.disagreement).toBe(trained.disagreement);
    const vote = json(nnc("eval", FILE, ...checkpointArgs(members(SEEDS, 3)), "--combine", "vote", "--json").stdout);
    expect(vote.combine).toBe("vote");
    expect(vote.ensemble.loss).toBeNull();
    expect(vote.ensemble.accuracy).toBeGreaterThan(0.7);
    // Each member alone, as `nnc eval` has always reported it.
    const alone = json(nnc("eval", FILE, "--checkpoint", members(SEEDS, 3)[1]!, "--json").stdout);
    expect(alone.test.accuracy).toBe(mean.members[1].accuracy);
  });

  it("predict averages the members' probabilities, or counts their votes", () => {
    const input = join(scratch, "inputs.csv");
    writeFileSync(input, "0.5,0.2\n-1,0.5\n1.5,-0.3\n0.2,0.9\n");
    const single = members(SEEDS, 3).map((path) => json(nnc("predict", FILE, "--checkpoint", path, "--input", input, "--json").stdout));
    const mean = json(nnc("predict", FILE, ...checkpointArgs(members(SEEDS, 3)), "--input", input, "--json").stdout);
    expect(mean.columns).toEqual(["class", "p0", "p1"]);
    for (const [i, row] of mean.rows.entries()) {
      const p1 = single.reduce((sum, s) => sum + s.rows[i][2], 0) / 3;
      expect(row[2]).toBeCloseTo(p1, 4);
      expect(row[0]).toBe(row[2] > row[1] ? 1 : 0);
    }
    const vote = json(nnc("predict", FILE, ...checkpointArgs(members(SEEDS, 3)), "--input", input, "--combine", "vote", "--json").stdout);
    expect(vote.columns).toEqual(["class", "votes", "p0", "p1"]);
    for (const [i, row] of vote.rows.entries()) {
      const classes = single.map((s) => s.rows[i][0]);
      const ones = classes.filter((c) => c === 1).length;
      expect(row[0]).toBe(ones >= 2 ? 1 : 0);
      expect(row[1]).toBe(Math.max(ones, 3 - ones));
    }
  });

  it("refuses checkpoints that are not one ensemble", () => {
    const [first, second] = members(SEEDS, 3);
    const other = join(scratch, "other.safetensors");
    expect(nnc("run", OTHER, "--save", other).code).toBe(0);
    expectError(nnc("eval", FILE, "--checkpoint", first!, "--checkpoint", other), `nnc eval: the checkpoints are of different models: ${first} holds \`mlp\`, ${other} holds \`other\``);
    expectError(nnc("eval", FILE, "--checkpoint", first!, "--checkpoint", first!), `nnc eval: the checkpoint ${first} is given twice; each member counts once`);
    const regression = join(scratch, "regression.safetensors");
    expect(nnc("run", REGRESSION, "--save", regression).code).toBe(0);
    expectError(nnc("eval", FILE, "--checkpoint", first!, "--checkpoint", regression), `nnc eval: ${regression} does not fit the model`);
    expectError(nnc("eval", FILE, "--checkpoint", first!, "--combine", "vote"), "nnc eval: --combine combines an ensemble, so it needs several --checkpoint options, but got 1");
    expectError(nnc("predict", FILE, "--checkpoint", first!, "--input", "x.csv", "--combine", "mean"), "nnc predict: --combine combines an ensemble, so it needs several --checkpoint options, but got 1");
    expectError(nnc("eval", FILE, "--checkpoint", first!, "--checkpoint", second!, "--combine", "avg"), "nnc eval: --combine must be `mean` or `vote`, not `avg`");
    const regression2 = join(scratch, "regression-2.safetensors");
    expect(nnc("run", REGRESSION, "--save", regression2, "--seed", "2").code).toBe(0);
    expectError(nnc("eval", REGRESSION, "--checkpoint", regression, "--checkpoint", regression2, "--combine", "vote"), "nnc eval: --combine vote counts the members' classes, but the model is a regression");
    // A regression ensemble is the mean of the members' outputs.
    const mean = json(nnc("eval", REGRESSION, "--checkpoint", regression, "--checkpoint", regression2, "--json").stdout);
    expect(mean.ensemble.mse).toBe(mean.ensemble.loss);
    expect(mean.disagreement).toBeNull();
  });
});
