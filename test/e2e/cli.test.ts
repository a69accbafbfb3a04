// The training commands as a user runs them: `nnc run`, `nnc eval`, `nnc predict`, including their
// error paths (a loss that becomes NaN, malformed data, a checkpoint that does not fit, a missing
// file), each with exit code 1, a readable message and no stack trace.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../runtime/train/safetensors.ts";

function nnc(...args: string[]) {
  const result = spawnSync(process.execPath, ["bin/nnc.js", ...args], { encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectNoStackTrace(text: string) {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

const scratch = mkdtempSync(join(tmpdir(), "nnc-cli-"));

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

describe("nnc run", () => {
  it("trains and prints one JSON object as its last line with --json", () => {
    const { code, stdout, stderr } = nnc("run", "examples/linear_regression.nn", "--json", "--epochs", "50");
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout.trim().split("\n").pop()!);
    expect(result).toMatchObject({ backend: "cpu", epochs: 50, steps: 50, validation: null });
    expect(Object.keys(result.train)).toEqual(expect.arrayContaining(["loss", "data_loss", "reg_loss"]));
    expect(result.test.mse).toBeLessThan(0.1);
    expect(result.seconds).toBeGreaterThan(0);
    expect(result.samples_per_second).toBeGreaterThan(0);
  });

  it("prints a table row per epoch and the final evaluation", () => {
    const { code, stdout } = nnc("run", "examples/softmax_regression.nn", "--epochs", "3");
    expect(code).toBe(0);
    expect(stdout).toContain("backend: cpu");
    expect(stdout).toMatch(/epoch\s+train loss/);
    expect(stdout).toMatch(/^test\s+loss .* accuracy/m);
  });

  it("stops on a NaN loss, names the epoch and step, and keeps the last good checkpoint", () => {
    const file = join(scratch, "explode.nn");
    // The rate grows 10^6-fold each epoch: the first epoch is fine, the second diverges.
    writeFileSync(file, REGRESSION(`  data linear(n: 64, weights: [1, 2], seed: 1)\n  batch 16\n  epochs 5\n  optimizer sgd(lr: 0.01)\n  schedule exponential(gamma: 1e6)`));
    const checkpoint = join(scratch, "explode.safetensors");
    const { code, stderr } = nnc("run", file, "--save", checkpoint);
    expect(code).toBe(1);
    expect(stderr).toMatch(/the loss became (NaN|infinite) at epoch \d+, step \d+/);
    expect(stderr).toContain(`The last good checkpoint is ${checkpoint}`);
    expectNoStackTrace(stderr);
    const saved = readSafetensors(checkpoint).tensors["pred.weight"]!.data;
    expect(Array.from(saved).every(Number.isFinite)).toBe(true);
  });

  it("reports malformed CSV data with its file, row and column", () => {
    const data = join(scratch, "bad.csv");
    writeFileSync(data, "a,b,y\n1,2,3\n4,abc,6\n");
    const file = join(scratch, "bad-data.nn");
    writeFileSync(file, REGRESSION(`  data csv("bad.csv", label: "y")\n  optimizer sgd(lr: 0.1)`));
    const { code, stderr } = nnc("run", file);
    expect(code).toBe(1);
    expect(stderr).toMatch(/bad\.csv:3: column "b": "abc" is not a number/);
    expectNoStackTrace(stderr);
  });

  it("reports a missing file and bad options without a stack trace", () => {
    for (const args of [["run", "no-such-file.nn"], ["run", "examples/linear_regression.nn", "--epochs", "zero"], ["run", "examples/linear_regression.nn", "--frobnicate"]]) {
      const { code, stderr } = nnc(...args);
      expect(code, args.join(" ")).toBe(1);
      expect(stderr.length).toBeGreaterThan(0);
      expectNoStackTrace(stderr);
    }
  });

  it("prints the file's diagnostics and exits 1 when the file has errors", () => {
    const file = join(scratch, "broken.nn");
    writeFileSync(file, REGRESSION("  data linear(n: 10, weights: [1, 2])\n  optimizer sgd(lr: -1)"));
    const { code, stderr } = nnc("run", file);
    expect(code).toBe(1);
    expect(stderr).toMatch(/broken\.nn:\d+:\d+: error\[E0406\]/);
  });
});

describe("nnc eval and nnc predict", () => {
  const checkpoint = join(scratch, "iris.safetensors");

  it("evaluate and predict with a saved checkpoint", () => {
    expect(nnc("run", "examples/softmax_regression.nn", "--save", checkpoint).code).toBe(0);
    const evaluated = nnc("eval", "examples/softmax_regression.nn", "--checkpoint", checkpoint, "--json");
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).test.accuracy).toBeGreaterThanOrEqual(0.9);

    const inputs = join(scratch, "flowers.csv");
    writeFileSync(inputs, "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n");
    const predicted = nnc("predict", "examples/softmax_regression.nn", "--checkpoint", checkpoint, "--input", inputs);
    expect(predicted.code, predicted.stderr).toBe(0);
    const rows = predicted.stdout.trim().split("\n");
    expect(rows[0]).toBe("class,label,p0,p1,p2");
    expect(rows.slice(1).map((r) => r.split(",").slice(0, 2).join(","))).toEqual(["0,setosa", "2,virginica"]);
  });

  it("refuses a checkpoint that does not fit the model, naming the tensor and both shapes", () => {
    const other = join(scratch, "linear.safetensors");
    expect(nnc("run", "examples/linear_regression.nn", "--epochs", "2", "--save", other).code).toBe(0);
    const { code, stderr } = nnc("eval", "examples/softmax_regression.nn", "--checkpoint", other);
    expect(code).toBe(1);
    expect(stderr).toMatch(/missing parameter `logits\.weight` \(the model has \[3, 4\]\)/);
    expect(stderr).toMatch(/unexpected tensor `pred\.weight`/);
    expectNoStackTrace(stderr);
  });

  it("refuses a file that is not a checkpoint", () => {
    const junk = join(scratch, "junk.safetensors");
    writeFileSync(junk, "this is not a safetensors file at all");
    const { code, stderr } = nnc("eval", "examples/softmax_regression.nn", "--checkpoint", junk);
    expect(code).toBe(1);
    expect(stderr).toContain("junk.safetensors");
    expectNoStackTrace(stderr);
  });

  it("reports malformed prediction inputs with their row", () => {
    const inputs = join(scratch, "short.csv");
    writeFileSync(inputs, "5.1,3.5,1.4\n");
    const { code, stderr } = nnc("predict", "examples/softmax_regression.nn", "--checkpoint", checkpoint, "--input", inputs);
    expect(code).toBe(1);
    expect(stderr).toMatch(/short\.csv:1: expected 4 values/);
    expect(readFileSync(inputs, "utf8")).toBe("5.1,3.5,1.4\n");
  });
});

describe("nnc run --resume", () => {
  it("refuses to resume from weights without optimizer state, with a hint", () => {
    const checkpoint = join(scratch, "iris-weights.safetensors");
    expect(nnc("run", "examples/softmax_regression.nn", "--epochs", "2", "--save", checkpoint).code).toBe(0);
    // The same weights resumed by a run with another optimizer.
    const file = join(scratch, "iris-adam.nn");
    writeFileSync(file, readFileSync("examples/softmax_regression.nn", "utf8").replace(/optimizer\s+[^\n]+/, "optimizer adam(lr: 1e-2)"));
    const { code, stderr } = nnc("run", file, "--resume", checkpoint);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot resume .* the run uses `adam`/);
    expectNoStackTrace(stderr);
  });
});

describe("nnc run --init and overrides", () => {
  it("starts from given weights with a fresh optimizer", () => {
    const weights = join(scratch, "iris-init.safetensors");
    expect(nnc("run", "examples/softmax_regression.nn", "--save", weights).code).toBe(0);
    // One epoch from trained weights already classifies well; from scratch it would not.
    const { code, stdout } = nnc("run", "examples/softmax_regression.nn", "--init", weights, "--epochs", "1", "--json");
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim().split("\n").pop()!).test.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it("--batch full and --batch 1 choose full-batch and per-sample gradient descent", () => {
    const full = JSON.parse(nnc("run", "examples/softmax_regression.nn", "--batch", "full", "--epochs", "3", "--json").stdout.trim().split("\n").pop()!);
    expect(full.steps).toBe(3);
    const single = JSON.parse(nnc("run", "examples/softmax_regression.nn", "--batch", "1", "--epochs", "1", "--json").stdout.trim().split("\n").pop()!);
    expect(single.steps).toBe(90);
  });
});
