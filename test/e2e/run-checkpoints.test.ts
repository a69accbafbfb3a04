// `nnc run`'s checkpoints lose nothing: a save never replaces the run's own files or any file that
// is not an nnc checkpoint; a resumed run leaves the checkpoint it started from as it was; a NaN
// is never written, so "the last good checkpoint" names a file with finite weights; temp files
// of killed saves do not pile up; a relative `checkpoint` path is under the working directory; the
// optimizer state's companion file is needed by --resume only, and must belong with its checkpoint.

import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../runtime/train/safetensors.ts";

const NNC = resolve("bin/nnc.js");

function nnc(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [NNC, ...args], { encoding: "utf8", cwd });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectNoStackTrace(text: string) {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), "nnc-save-"));
}

const REGRESSION = (settings: string) => `
model reg {
  input  x: [B, 2]
  target y: [B, 1]
  pred = dense(x, 1)
  loss mse(pred, y)
}

train reg {
${settings}
}
`;

const CSV_MODEL = `
model reg {
  input  x: [B, 2]
  target y: [B, 1]
  pred = dense(x, 1)
  loss mse(pred, y)
}

train reg {
  data      csv("points.csv", label: "y")
  batch     4
  epochs    1
  optimizer sgd(lr: 0.01)
}
`;

describe("nnc run --save refuses to overwrite what is not an nnc checkpoint", () => {
  it("refuses the run's own .nn file, and leaves it as it was", () => {
    const dir = scratch();
    copyFileSync("examples/softmax_regression.nn", join(dir, "m.nn"));
    const before = readFileSync(join(dir, "m.nn"), "utf8");
    const { code, stderr } = nnc(dir, "run", "m.nn", "--epochs", "1", "--save", "./m.nn");
    expect(code).toBe(1);
    expect(stderr).toContain("refusing to write the checkpoint to ./m.nn: it is the run's own .nn file");
    expect(stderr).toContain("--save runs/softmax_regression.safetensors");
    expect(readFileSync(join(dir, "m.nn"), "utf8")).toBe(before);
    expectNoStackTrace(stderr);
  });

  it("refuses the training CSV, also when named by the train block's `checkpoint`", () => {
    const dir = scratch();
    writeFileSync(join(dir, "points.csv"), "a,b,y\n1,2,3\n2,1,4\n0,1,1\n1,1,2\n");
    writeFileSync(join(dir, "m.nn"), CSV_MODEL);
    const byOption = nnc(dir, "run", "m.nn", "--save", "points.csv");
    expect(byOption.code).toBe(1);
    expect(byOption.stderr).toContain("it is the run's training data");
    writeFileSync(join(dir, "m.nn"), CSV_MODEL.replace("optimizer", 'checkpoint "points.csv"\n  optimizer'));
    const bySetting = nnc(dir, "run", "m.nn");
    expect(bySetting.code).toBe(1);
    expect(bySetting.stderr).toContain("it is the run's training data");
    expect(readFileSync(join(dir, "points.csv"), "utf8")).toBe("a,b,y\n1,2,3\n2,1,4\n0,1,1\n1,1,2\n");
  });

  it("refuses any other file, a safetensors file nnc did not write, a folder and a device", () => {
    const dir = scratch();
    copyFileSync("examples/softmax_regression.nn", join(dir, "m.nn"));
    writeFileSync(join(dir, "notes.txt"), "keep me");
    // A safetensors file without nnc's format marker (as PyTorch's save_file writes).
    const header = Buffer.from(JSON.stringify({ w: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(join(dir, "torch.safetensors"), Buffer.concat([length, header, Buffer.alloc(4)]));
    mkdirSync(join(dir, "folder"));
    for (const [target, reason] of [
      ["notes.txt", "the file exists and is not an nnc checkpoint"],
      ["torch.safetensors", "it is a safetensors file that nnc did not write"],
      ["folder", "it is a folder"],
      ["/dev/null", "it is not a regular file"],
      ["notes.txt/run.safetensors", "notes.txt is a file, not a folder"],
    ]) {
      const { code, stderr } = nnc(dir, "run", "m.nn", "--epochs", "1", "--save", target!);
      expect(code, target).toBe(1);
      expect(stderr, target).toContain(reason);
      expectNoStackTrace(stderr);
    }
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("keep me");
  });

  it("replaces an earlier nnc checkpoint, and rejects empty paths", () => {
    const dir = scratch();
    copyFileSync("examples/softmax_regression.nn", join(dir, "m.nn"));
    expect(nnc(dir, "run", "m.nn", "--epochs", "1", "--save", "a.safetensors").code).toBe(0);
    expect(nnc(dir, "run", "m.nn", "--epochs", "2", "--save", "a.safetensors").code).toBe(0);
    expect(JSON.parse(readSafetensors(join(dir, "a.safetensors")).metadata.progress!).epoch).toBe(2);
    for (const option of ["--save", "--resume", "--init"]) {
      const { code, stderr } = nnc(dir, "run", "m.nn", option, "");
      expect(code, option).toBe(1);
      expect(stderr, option).toContain(`${option} needs a file name, but got an empty one`);
    }
  });
});

describe("nnc run --resume leaves its checkpoint as it was", () => {
  it("writes to NAME.from-epoch-E.safetensors by default, and to the same file only with --save", () => {
    const dir = scratch();
    copyFileSync("examples/softmax_regression.nn", join(dir, "m.nn"));
    expect(nnc(dir, "run", "m.nn", "--epochs", "2", "--save", "runs/m.safetensors").code).toBe(0);
    const original = readFileSync(join(dir, "runs/m.safetensors"));
    const resumed = nnc(dir, "run", "m.nn", "--epochs", "4", "--resume", "runs/m.safetensors");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("checkpoints go to runs/m.from-epoch-2.safetensors; runs/m.safetensors is left as it is");
    expect(resumed.stdout).toContain("trained epochs 3 to 4");
    expect(readFileSync(join(dir, "runs/m.safetensors")).equals(original)).toBe(true);
    expect(JSON.parse(readSafetensors(join(dir, "runs/m.from-epoch-2.safetensors")).metadata.progress!).epoch).toBe(4);
    // Resuming the resumed file replaces its suffix rather than adding another.
    expect(nnc(dir, "run", "m.nn", "--epochs", "5", "--resume", "runs/m.from-epoch-2.safetensors").stdout).toContain("runs/m.from-epoch-4.safetensors");
    // Asked for explicitly, the run continues in the file it resumed from.
    expect(nnc(dir, "run", "m.nn", "--epochs", "3", "--resume", "runs/m.safetensors", "--save", "runs/m.safetensors").code).toBe(0);
    expect(JSON.parse(readSafetensors(join(dir, "runs/m.safetensors")).metadata.progress!).epoch).toBe(3);
  });

  it("a resumed run that diverges names the last checkpoint with finite weights, and the resumed one is unchanged", () => {
    const dir = scratch();
    // The rate grows 10^6-fold each epoch: epochs 1 and 2 are fine, the third diverges.
    writeFileSync(join(dir, "explode.nn"), REGRESSION(`  data linear(n: 64, weights: [1, 2], seed: 1)\n  batch 16\n  epochs 1\n  optimizer sgd(lr: 0.01)\n  schedule exponential(gamma: 1e6)`));
    expect(nnc(dir, "run", "explode.nn", "--save", "good.safetensors").code).toBe(0);
    const good = readFileSync(join(dir, "good.safetensors"));
    const finiteAt = (file: string) => {
      const saved = readSafetensors(join(dir, file));
      expect(Array.from(saved.tensors["pred.weight"]!.data).every(Number.isFinite), file).toBe(true);
      return JSON.parse(saved.metadata.progress!).epoch;
    };
    const { code, stderr } = nnc(dir, "run", "explode.nn", "--epochs", "5", "--resume", "good.safetensors");
    expect(code).toBe(1);
    expect(stderr).toContain("at epoch 3");
    expect(stderr).toContain("The last good checkpoint is good.from-epoch-1.safetensors.");
    expect(finiteAt("good.from-epoch-1.safetensors")).toBe(2);
    expect(readFileSync(join(dir, "good.safetensors")).equals(good)).toBe(true);
    // Diverging before this run saved anything: the last good one is the file it resumed from.
    const early = nnc(dir, "run", "explode.nn", "--epochs", "5", "--resume", "good.from-epoch-1.safetensors");
    expect(early.stderr).toContain("The last good checkpoint is good.from-epoch-1.safetensors.");
    // Told to continue in the same file, the run replaces it with finite weights only.
    expect(nnc(dir, "run", "explode.nn", "--epochs", "5", "--resume", "good.safetensors", "--save", "good.safetensors").code).toBe(1);
    expect(finiteAt("good.safetensors")).toBe(2);
  });

  it("never writes weights that are no longer finite, even when the loss still was", () => {
    const dir = scratch();
    // One full-batch step with a rate beyond float32 takes every weight to ±Infinity.
    writeFileSync(join(dir, "inf.nn"), REGRESSION(`  data linear(n: 16, weights: [1, 2], seed: 1)\n  batch full\n  epochs 1\n  optimizer sgd(lr: 1e39)`));
    const { code, stderr } = nnc(dir, "run", "inf.nn", "--save", "inf.safetensors");
    expect(code).toBe(1);
    expect(stderr).toContain("the weights became NaN or infinite in epoch 1");
    expect(stderr).toContain("No checkpoint was written.");
    expect(existsSync(join(dir, "inf.safetensors"))).toBe(false);
  });

  it("says so when there is nothing left to train, and writes nothing", () => {
    const dir = scratch();
    copyFileSync("examples/softmax_regression.nn", join(dir, "m.nn"));
    expect(nnc(dir, "run", "m.nn", "--epochs", "2", "--save", "a.safetensors").code).toBe(0);
    const { code, stdout } = nnc(dir, "run", "m.nn", "--epochs", "2", "--resume", "a.safetensors");
    expect(code).toBe(0);
    expect(stdout).toContain("nothing to train: a.safetensors already holds epoch 2 of 2; raise --epochs to train further (no checkpoint written)");
    expect(stdout).not.toContain("checkpoint: ");
    expect(stdout).not.toMatch(/^trained/m);
    expect(readdirSync(dir).sort()).toEqual(["a.optimizer.safetensors", "a.safetensors", "m.nn"]);
  });
});

describe("the optimizer state's companion file (NAME.optimizer.safetensors)", () => {
  it("--resume without it: exit 1 naming both files, no stack trace; --init and eval need only the checkpoint", () => {
    const dir = scratch();
    copyFileSync("examples/softmax_regression.nn", join(dir, "m.nn"));
    expect(nnc(dir, "run", "m.nn", "--epochs", "1", "--save", "runs/m.safetensors").code).toBe(0);
    rmSync(join(dir, "runs/m.optimizer.safetensors"));
    const resumed = nnc(dir, "run", "m.nn", "--epochs", "2", "--resume", "runs/m.safetensors");
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toContain(`nnc run: runs/m.safetensors: its optimizer state is missing: resuming needs ${join("runs", "m.optimizer.safetensors")}`);
    expect(resumed.stderr).toContain("--init runs/m.safetensors");
    expectNoStackTrace(resumed.stderr);
    const init = nnc(dir, "run", "m.nn", "--epochs", "1", "--init", "runs/m.safetensors", "--save", "runs/n.safetensors");
    expect(init.code, init.stderr).toBe(0);
    const evaluated = nnc(dir, "eval", "m.nn", "--checkpoint", "runs/m.safetensors");
    expect(evaluated.code, evaluated.stderr).toBe(0);
  });

  it("--resume with a companion of another save: exit 1 naming both files", () => {
    const dir = scratch();
    copyFileSync("examples/softmax_regression.nn", join(dir, "m.nn"));
    expect(nnc(dir, "run", "m.nn", "--epochs", "1", "--save", "a.safetensors").code).toBe(0);
    expect(nnc(dir, "run", "m.nn", "--epochs", "2", "--save", "b.safetensors").code).toBe(0);
    copyFileSync(join(dir, "b.optimizer.safetensors"), join(dir, "a.optimizer.safetensors"));
    const { code, stderr } = nnc(dir, "run", "m.nn", "--epochs", "3", "--resume", "a.safetensors");
    expect(code).toBe(1);
    expect(stderr).toContain("nnc run: a.safetensors: it does not belong with a.optimizer.safetensors, which holds the optimizer state of another save");
    expectNoStackTrace(stderr);
  });

  it("--save refuses to replace a file at the companion's path that is not an earlier companion", () => {
    const dir = scratch();
    copyFileSync("examples/softmax_regression.nn", join(dir, "m.nn"));
    writeFileSync(join(dir, "a.optimizer.safetensors"), "keep me");
    const { code, stderr } = nnc(dir, "run", "m.nn", "--epochs", "1", "--save", "a.safetensors");
    expect(code).toBe(1);
    expect(stderr).toContain("refusing to write the checkpoint to a.safetensors: its optimizer state would go to a.optimizer.safetensors, and the file exists and is not an nnc checkpoint");
    expect(readFileSync(join(dir, "a.optimizer.safetensors"), "utf8")).toBe("keep me");
    expect(existsSync(join(dir, "a.safetensors"))).toBe(false);
    expectNoStackTrace(stderr);
  });
});

describe("checkpoint files", () => {
  it("removes the temp files of earlier killed saves and leaves none of its own", () => {
    const dir = scratch();
    copyFileSync("examples/softmax_regression.nn", join(dir, "m.nn"));
    mkdirSync(join(dir, "runs"));
    // Left by killed saves: the fixed-name temp file, one named by a process long gone, and a
    // companion's.
    writeFileSync(join(dir, "runs/.a.safetensors.tmp"), "half");
    writeFileSync(join(dir, "runs/.a.safetensors.2147483646.tmp"), "half");
    writeFileSync(join(dir, "runs/.a.optimizer.safetensors.tmp"), "half");
    writeFileSync(join(dir, "runs/.other.safetensors.tmp"), "not ours");
    expect(nnc(dir, "run", "m.nn", "--epochs", "2", "--save", "runs/a.safetensors").code).toBe(0);
    expect(readdirSync(join(dir, "runs")).sort()).toEqual([".other.safetensors.tmp", "a.optimizer.safetensors", "a.safetensors"]);
  });

  it("a relative `checkpoint` path is relative to the working directory, not to the .nn file", () => {
    const dir = scratch();
    mkdirSync(join(dir, "models"));
    writeFileSync(join(dir, "models/m.nn"), readFileSync("examples/softmax_regression.nn", "utf8").replace(/^(train .*\{)$/m, '$1\n  checkpoint "runs/m.safetensors"'));
    const { code, stdout, stderr } = nnc(dir, "run", "models/m.nn", "--epochs", "1");
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`checkpoint: ${join(dir, "runs/m.safetensors")}`);
    expect(existsSync(join(dir, "runs/m.safetensors"))).toBe(true);
    expect(existsSync(join(dir, "models/runs"))).toBe(false);
  });
});
