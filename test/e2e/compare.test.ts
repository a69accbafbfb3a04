// `nnc compare` end to end on small data: the train blocks of a file, or one block under --vary
// variations (their cross product), trained on one split, shown in one table, one JSON object and
// one report whose plots overlay the runs; a diverging run shown as such; and every mistake in
// what to compare, refused before any training with a message of its own (an override's located
// in the --vary text).

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testGpu } from "../webgpu/gpu.ts";

function nnc(...args: string[]) {
  const result = spawnSync(process.execPath, ["bin/nnc.js", ...args], { encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json(stdout: string) {
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

function expectError(result: { code: number | null; stderr: string }, message: string) {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toContain(message);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

const scratch = mkdtempSync(join(tmpdir(), "nnc-compare-"));
const gpu = await testGpu();
const MODEL = `model mlp {
  input  x: [B, 2]
  target y: class[B] of 2
  h      = dense(x, 8) |> relu
  logits = dense(h, 2)
  loss   cross_entropy(logits, y)
}
`;
const block = (lines: string, data = "moons(n: 120, noise: 0.3, seed: 1)") => `\ntrain mlp {\n  data      ${data}\n  split     validation: 0.25, test: 0.25\n  epochs    3\n${lines}\n}\n`;
const FILE = join(scratch, "blocks.nn");
writeFileSync(FILE, MODEL + block("  batch 8\n  optimizer adam(lr: 1e-2)\n  seed 1") + block("  batch full\n  optimizer sgd(lr: 0.5)\n  seed 1") + block("  optimizer sgd(lr: 0.1)", "moons(n: 60, seed: 2)"));
const ONE = join(scratch, "one.nn");
writeFileSync(ONE, MODEL + block("  batch 8\n  optimizer adam(lr: 1e-2)\n  seed 1"));

describe("nnc compare", () => {
  it("trains the chosen train blocks on one split and overlays them in one report", () => {
    const report = join(scratch, "blocks.html");
    const result = nnc("compare", FILE, "--train", "1", "--train", "2", "--report", report, "--json");
    expect(result.code, result.stderr).toBe(0);
    const out = json(result.stdout);
    expect(out).toMatchObject({ backend: "cpu", models: ["mlp"], report, split: { train: 60, validation: 30, test: 30 } });
    expect(out.runs.map((r: { label: string; block: string; epochs: number; steps: number }) => [r.label, r.block, r.epochs, r.steps])).toEqual([
      ["batch=8, optimizer=adam(lr: 1e-2)", "1", 3, 3 * Math.ceil(60 / 8)],
      ["batch=full, optimizer=sgd(lr: 0.5)", "2", 3, 3],
    ]);
    for (const run of out.runs) {
      expect(run.history.epochs).toHaveLength(3);
      expect(run.validation.examples).toBe(30);
      expect(run.test.accuracy).toBeGreaterThan(0);
    }
    // Run 1 is the run `nnc run --train 1` makes: the same split, weights and batches.
    const alone = json(nnc("run", FILE, "--train", "1", "--json").stdout);
    expect(out.runs[0].test).toEqual(alone.test);
    expect(out.runs[0].validation).toEqual(alone.validation);
    // The table goes to stderr with --json; the report and its plots are written.
    expect(result.stderr).toMatch(/^ {2}run +epochs +steps +time +samples\/s +best epoch +train loss +train acc +val loss +val acc +test loss +test acc$/m);
    expect(result.stderr).toMatch(/^ {2}batch=full, optimizer=sgd\(lr: 0\.5\) +3 +3 +\d+\.\d\ds +\d+ +\d /m);
    expect(result.stderr).toContain(`report: ${report} (and 8 files beside it`);
    for (const id of ["loss", "accuracy", "loss-time", "lr"]) {
      expect(existsSync(join(scratch, `blocks.${id}.svg`)), id).toBe(true);
      expect(existsSync(join(scratch, `blocks.${id}.csv`)), id).toBe(true);
    }
    const loss = readFileSync(join(scratch, "blocks.loss.svg"), "utf8");
    for (const series of ["batch=8, optimizer=adam(lr: 1e-2) · train", "batch=8, optimizer=adam(lr: 1e-2) · validation", "batch=full, optimizer=sgd(lr: 0.5) · validation"]) {
      expect(loss).toContain(`data-series="${series}"`);
    }
    const page = readFileSync(report, "utf8");
    expect(page).toContain('<meta name="generator" content="nnc">');
    expect(page).toContain("Runs (labelled by what differs between them)");
  });

  it("--vary trains the cross product of the values, labelled by them, on stdout as a table", () => {
    const report = join(scratch, "vary.html");
    const result = nnc("compare", ONE, "--vary", "optimizer=sgd(lr: 0.1), adam(lr: 1e-2)", "--vary", "batch=8,full", "--epochs", "2", "--report", report);
    expect(result.code, result.stderr).toBe(0);
    const rows = result.stdout.split("\n").filter((line) => /^ {2}optimizer=/.test(line));
    expect(rows.map((row) => row.trim().split(/ {2,}/).slice(0, 3))).toEqual([
      ["optimizer=sgd(lr: 0.1), batch=8", "2", "16"],
      ["optimizer=sgd(lr: 0.1), batch=full", "2", "2"],
      ["optimizer=adam(lr: 1e-2), batch=8", "2", "16"],
      ["optimizer=adam(lr: 1e-2), batch=full", "2", "2"],
    ]);
    expect(result.stdout).toMatch(/^backend: cpu/);
    expect(result.stdout).toContain("run 4 of 4: optimizer=adam(lr: 1e-2), batch=full");
    expect(result.stdout).toContain(`report: ${report}`);
    expect(readFileSync(report, "utf8")).toContain("# overridden on the command line, for every run\nepochs 2");
  });

  it("shows a run whose loss becomes NaN as diverged and trains the others", () => {
    const result = nnc("compare", ONE, "--vary", "optimizer=sgd(lr: 1e30), adam(lr: 1e-2)", "--report", join(scratch, "nan.html"), "--json");
    expect(result.code, result.stderr).toBe(0);
    const [bad, good] = json(result.stdout).runs;
    expect(bad.diverged).toMatch(/^the loss became (NaN|infinite) at epoch 1, step \d+$/);
    expect(bad.epochs).toBeNull();
    expect(good.diverged).toBeNull();
    expect(good.epochs).toBe(3);
    expect(result.stderr).toMatch(/^ {2}optimizer=sgd\(lr: 1e30\) +diverged: the loss became/m);
  });

  it("locates a --vary value that does not parse or does not check in the --vary text", () => {
    const parsed = nnc("compare", ONE, "--vary", "optimizer=sgd(lr: 0.1), adam(lr:)");
    expect(parsed.code).toBe(1);
    expect(parsed.stderr).toMatch(/^--vary #1:1:33: error\[E0105\]: expected an expression but found `\)`/);
    expect(parsed.stderr).toContain("1 | optimizer=sgd(lr: 0.1), adam(lr:)\n  |                                 ^\n");
    const checked = nnc("compare", ONE, "--vary", "batch=8,full", "--vary", "optimizer=adam(lr: -1), sgd(lr: 0.1)");
    expect(checked.code).toBe(1);
    expect(checked.stderr).toBe("--vary #2:1:20: error[E0406]: `lr` must be > 0, but it is -1\n1 | optimizer=adam(lr: -1), sgd(lr: 0.1)\n  |                    ^^\n\n1 error\n");
    // A setting given by --set and --vary is given twice.
    const twice = nnc("compare", ONE, "--set", "batch=4", "--vary", "batch=8,full");
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/^--vary #1:1:1: error\[E0602\]: the setting `batch` is given twice\n[^]*--set #1:1:1: note: first given here/);
  });

  it("refuses what cannot be compared, before any training", () => {
    expectError(nnc("compare", ONE), "nnc compare: nothing to compare: `" + ONE + "` has one train block; give --train once per block to compare (at least two), or --vary KEY=A,B");
    expectError(nnc("compare", FILE, "--train", "1"), "nnc compare: nothing to compare: one --train chooses one run");
    expectError(nnc("compare", FILE, "--train", "1", "--train", "mlp"), "nnc compare: --train 1 and --train mlp are the same train block");
    expectError(nnc("compare", FILE, "--train", "1", "--train", "3"), "nnc compare: --train 1 and --train 3 differ in `data`; the runs of a comparison train on one data set and one split");
    expectError(nnc("compare", ONE, "--vary", "split=validation: 0.1, validation: 0.3"), "differ in `split`");
    expectError(nnc("compare", FILE, "--train", "1", "--train", "2", "--vary", "batch=1,2"), "nnc compare: --vary varies one train block, but got 2 --train");
    expectError(nnc("compare", ONE, "--vary", "batch=8"), "nnc compare: --vary #1 (`batch=8`) gives one value");
    expectError(nnc("compare", ONE, "--vary", "batch"), "nnc compare: --vary needs KEY=VALUE, VALUE, …");
    expectError(nnc("compare", ONE, "--vary", "batch=1,2", "--report", join(scratch, "r.txt")), "the name must end in .html");
    const notes = join(scratch, "notes.html");
    writeFileSync(notes, "my notes");
    expectError(nnc("compare", ONE, "--vary", "batch=1,2", "--report", notes), `nnc compare: cannot write the report to ${notes} (--report): the file exists and nnc did not write it`);
    expect(readFileSync(notes, "utf8")).toBe("my notes");
  });

  it("--help says what it compares", () => {
    const { code, stdout } = nnc("compare", "--help");
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: nnc compare FILE [--train A --train B ...] [options]");
    expect(stdout).toContain("--vary KEY=V1,V2,...");
  });

  it.skipIf(!gpu)("compares on WebGPU with the CPU runtime's numbers", () => {
    const run = (backend: string) => json(nnc("compare", FILE, "--train", "1", "--train", "2", "--backend", backend, "--report", join(scratch, `${backend}.html`), "--json").stdout);
    const [cpu, webgpu] = [run("cpu"), run("webgpu")];
    expect(webgpu.backend).toBe("webgpu");
    cpu.runs.forEach((r: { test: { loss: number } }, i: number) => expect(webgpu.runs[i].test.loss).toBeCloseTo(r.test.loss, 3));
  });
});
