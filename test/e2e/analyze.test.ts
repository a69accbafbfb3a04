// `nnc analyze` and `nnc run --analyze` as a user runs them, on the examples whose results the
// README states: the saddle found, left and followed downhill; the network stuck at zero weights;
// and every mistake with exit code 1, a message and no stack trace.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function nnc(...args: string[]) {
  const result = spawnSync(process.execPath, ["bin/nnc.js", ...args], { encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const json = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!);
const scratch = mkdtempSync(join(tmpdir(), "nnc-analyze-"));

describe("nnc analyze", () => {
  it("stalls at the saddle, finds it, escapes it, and training continues downhill to a minimum", () => {
    const stalled = join(scratch, "saddle.safetensors");
    const escaped = join(scratch, "saddle.escaped.safetensors");
    const trained = nnc("run", "examples/saddle.nn", "--backend", "cpu", "--save", stalled, "--json");
    expect(trained.code, trained.stderr).toBe(0);
    expect(json(trained.stdout).train.loss).toBeLessThan(1e-30);

    const analyzed = nnc("analyze", "examples/saddle.nn", "--checkpoint", stalled, "--escape", "--save", escaped, "--json", "--backend", "cpu");
    expect(analyzed.code, analyzed.stderr).toBe(0);
    const report = json(analyzed.stdout);
    expect(report.verdict.kind).toBe("saddle");
    expect(report.exact.eigenvalues).toEqual([-1, 2]);
    expect(report.escape.chosen.loss).toBeCloseTo(-0.004975, 6);
    expect(report.escape.tries.map((t: { sign: number }) => t.sign)).toEqual([1, -1]);
    expect(report.saved).toBe(escaped);
    expect(analyzed.stderr).toContain("saddle point");

    const continued = nnc("run", "examples/saddle.nn", "--backend", "cpu", "--init", escaped, "--json", "--analyze");
    expect(continued.code, continued.stderr).toBe(0);
    const after = json(continued.stdout);
    expect(after.train.loss).toBeCloseTo(-0.25, 6);
    expect(after.analysis.verdict.kind).toBe("minimum");
  });

  it("prints the loss it studies, the eigenvalues and the verdict in words", () => {
    const { code, stdout } = nnc("analyze", "examples/zigzag.nn", "--backend", "cpu");
    expect(code).toBe(0);
    expect(stdout).toContain("the loss: the model's formula over its parameters (no data)");
    expect(stdout).toMatch(/largest eigenvalue +50 /);
    expect(stdout).toMatch(/smallest eigenvalue +1 /);
    expect(stdout).toContain("spectral density");
    expect(stdout).toMatch(/verdict: not a critical point: ‖∇L‖ = 50\.99 > 0\.001/);
  });

  it("states the data term, the regularizer and evaluation mode for a network, and finds the zero-weight saddle", () => {
    const { code, stdout, stderr } = nnc("run", "examples/critical_points.nn", "--train", "2", "--backend", "cpu", "--analyze", "--json");
    expect(code, stderr).toBe(0);
    const result = json(stdout);
    expect(result.analysis.verdict.kind).toBe("saddle");
    expect(result.analysis.verdict.negative.count).toBe(8);
    expect(result.analysis.loss_description).toContain("bce_with_logits (mean) + l2(0.001) on h.weight, logits.weight");
    expect(result.analysis.loss_description).toContain("evaluation mode: dropout off, batch norm on its running statistics");
    expect(stderr).toMatch(/loss +0\.693147 = data term 0\.693147 \+ regularizer 0/);
  });

  it("run --analyze --report puts the analysis and its spectral density in the run's report", () => {
    const report = join(scratch, "critical.html");
    const { code, stdout, stderr } = nnc("run", "examples/critical_points.nn", "--train", "2", "--backend", "cpu", "--analyze", "--report", report);
    expect(code, stderr).toBe(0);
    const page = readFileSync(report, "utf8");
    expect(page).toMatch(/verdict: saddle point/);
    expect(page).toContain("critical.density.svg");
    expect(readFileSync(join(scratch, "critical.density.csv"), "utf8").split("\n").length).toBeGreaterThan(10);
    expect(stdout.indexOf("verdict:")).toBeGreaterThan(-1);
    expect(stdout.indexOf("verdict:")).toBeLessThan(stdout.indexOf("report:"));
  });

  it("refuses mistakes with exit code 1 and no stack trace", () => {
    const bad = (args: string[], message: RegExp) => {
      const result = nnc(...args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    };
    bad(["analyze", "examples/saddle.nn", "--save", join(scratch, "x.safetensors")], /--save writes the weights after the escape step; add --escape/);
    bad(["analyze", "examples/saddle.nn", "--checkpoint", "a", "--init", "b"], /--checkpoint or --init, not both/);
    bad(["analyze", "examples/saddle.nn", "--checkpoint", join(scratch, "missing.safetensors")], /missing\.safetensors/);
    bad(["analyze", "examples/saddle.nn", "--escape", "--save", "examples/saddle.nn"], /refusing to write the checkpoint to examples\/saddle\.nn/);
    bad(["analyze", "examples/saddle.nn", "--eig-tol", "-1"], /--eig-tol needs a positive number/);
    bad(["analyze", "examples/saddle.nn", "--lanczos-steps", "0"], /--lanczos-steps needs a whole number ≥ 1/);
    bad(["eval", "examples/saddle.nn", "--checkpoint", join(scratch, "saddle.safetensors")], /has no data .*`nnc run`.*`nnc analyze`/);
    bad(["export", "examples/saddle.nn", "--to", "pytorch", "-o", join(scratch, "s.py")], /has no data/);
    const file = join(scratch, "broken.nn");
    writeFileSync(file, "model m {\n  param w: [2]\n  loss w ^ 2\n}\ntrain m {\n  data none\n  optimizer sgd(lr: 0.1)\n}\n");
    bad(["analyze", file], /error\[E0510\]/);
  });

  it("has --help", () => {
    const { code, stdout } = nnc("analyze", "--help");
    expect(code).toBe(0);
    expect(stdout).toContain("--escape");
    expect(stdout).toContain("--exact-limit");
  });
});
