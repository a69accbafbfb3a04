// `nnc check` end to end, through the real command line.

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../cli/load.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

function nnc(...args: string[]): { code: number; stdout: string; stderr: string } {
  const result = spawnSync("node", ["bin/nnc.js", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

describe("nnc check", () => {
  it("prints the summary and exits 0 on a good file", () => {
    const result = nnc("check", "test/analyze/fixtures/mlp.nn");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("model mnist_mlp");
    expect(result.stdout).toMatch(/total\s+269,322/);
    expect(result.stdout).toContain("  train block 1 (`--train 1`):\n    data       mnist(");
    expect(result.stdout).toMatch(/optimizer\s+adam\(lr: 1e-3\)/);
  });

  it("lists every train block, numbered, with its settings in full", () => {
    const result = nnc("check", "test/analyze/fixtures/two-trains.nn");
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n").map((l) => l.trim().replace(/\s+/g, " "));
    expect(lines).toContain("train block 1 (`--train 1`):");
    expect(lines).toContain("optimizer sgd(lr: 0.1, momentum: 0.9, nesterov: true)");
    expect(lines).toContain("train block 2 (`--train 2`):");
    expect(lines).toContain("schedule warmup(steps: 20) then cosine(to: 1e-5)");
    expect(lines).toContain("init he_normal");
    expect(lines).toContain("seed 0 (default)");
    const json = JSON.parse(nnc("check", "test/analyze/fixtures/two-trains.nn", "--json").stdout);
    expect(json.models[0].trains.map((t: { number: number }) => t.number)).toEqual([1, 2]);
    expect(json.models[0].trains[1].settings).toContainEqual({ key: "schedule", value: "warmup(steps: 20) then cosine(to: 1e-5)", default: false });
  });

  it("says that a file without a model has none", () => {
    const result = nnc("check", "test/errors/no-model/input.nn");
    expect(result.stderr).toContain("warning[no-model]: this file declares no model");
  });

  it("prints the first 50 of many diagnostics and counts the rest; --json lists 1,000", () => {
    const text = `model m {\n  input x: [B, 4]\n${"  h = = \n".repeat(3000)}}\n`;
    const file = join(mkdtempSync(join(tmpdir(), "nnc-check-")), "many.nn");
    writeFileSync(file, text);
    const result = nnc("check", file);
    expect(result.code).toBe(1);
    expect(result.stderr.match(/error\[E0105\]/g)).toHaveLength(50);
    expect(result.stderr).toContain("... and 2,950 more errors, not shown\n\n3000 errors\n");
    const json = JSON.parse(nnc("check", file, "--json").stdout);
    expect(json.diagnostics).toHaveLength(1000);
    expect(json.omitted).toBe(2000);
  });

  it("refuses a source past 1 MiB, and files that are not regular files", () => {
    const file = join(mkdtempSync(join(tmpdir(), "nnc-check-")), "big.nn");
    writeFileSync(file, "#".repeat(1024 * 1024 + 1));
    expect(nnc("check", file).stderr.trim()).toBe(`nnc check: cannot read \`${file}\`: it is 1.0 MiB, more than the 1.0 MiB this kind of file may have`);
    expect(nnc("check", "/dev/zero").stderr.trim()).toBe("nnc check: cannot read `/dev/zero`: it is not a regular file (a device, a pipe or a socket)");
  });

  it("raises the size budget with --max-params", () => {
    const file = join(mkdtempSync(join(tmpdir(), "nnc-check-")), "wide.nn");
    writeFileSync(file, "model m {\n  input x: [B, 100]\n  target y: [B, 1]\n  h = dense(x, 10000)\n  loss mse(dense(h, 1), y)\n}\n");
    expect(nnc("check", file, "--max-params", "1000000").code).toBe(1);
    expect(nnc("check", file, "--max-params", "1000000").stderr).toContain("error[E0318]");
    expect(nnc("check", file, "--max-params", "2000000").code).toBe(0);
    expect(nnc("check", file, "--max-params", "lots").stderr).toContain("--max-params needs a whole number");
  });

  it("prints every diagnostic and exits 1 on a bad file", () => {
    const result = nnc("check", "test/errors/several-errors/input.nn");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[E0302]");
    expect(result.stderr).toContain("4 errors, 2 warnings");
  });

  it("prints JSON with --json and the IR with --dump-ir", () => {
    const json = JSON.parse(nnc("check", "test/analyze/fixtures/mlp.nn", "--json").stdout);
    expect(json).toMatchObject({ ok: true, diagnostics: [], models: [{ name: "mnist_mlp", totalParams: 269322 }] });
    const bad = JSON.parse(nnc("check", "test/errors/unknown-name/input.nn", "--json").stdout);
    expect(bad.diagnostics[1]).toMatchObject({ code: "E0201", line: 5, column: 13, endLine: 5, endColumn: 18, hint: "did you mean `hidden`?" });
    const ir = nnc("check", "test/analyze/fixtures/mlp.nn", "--dump-ir=eval").stdout;
    expect(ir).toContain("graph test/analyze/fixtures/mlp.nn (eval)");
    expect(ir).toMatch(/matmul\(%0, %2\) \{transposeB\} : f32\[B, 256\]\s+# line 6/);
  });

  it("prints the training step with --dump-ir=step and after any pass with --dump-ir=after:PASS", () => {
    const step = nnc("check", "examples/mnist_mlp.nn", "--dump-ir=step").stdout;
    expect(step).toContain("graph examples/mnist_mlp.nn (step)");
    expect(step).toMatch(/optimizer\.h1\.weight\.exp_avg <- %\d+/);
    expect(step).toMatch(/h1\.weight <- %\d+/);
    expect(step).toMatch(/%\d+ lr: scalar|%\d+ step_size: scalar/);
    const afterCse = nnc("check", "examples/mnist_mlp.nn", "--dump-ir=after:cse").stdout;
    const nodes = (text: string) => (text.match(/^ {2}%\d+ = /gm) ?? []).length;
    expect(nodes(afterCse)).toBeLessThan(nodes(step));
    const unknown = nnc("check", "examples/mnist_mlp.nn", "--dump-ir=after:fuse-everything");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("there is no pass `fuse-everything`");
  });

  it("reports a missing file without a stack trace", () => {
    const result = nnc("check", "no/such/file.nn");
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("nnc check: cannot read `no/such/file.nn`: no such file");
  });
});

describe("what the commands that run a model say when there is nothing to run", () => {
  const dir = mkdtempSync(join(tmpdir(), "nnc-load-"));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it("an empty file declares no model", () => {
    const file = write("empty.nn", "");
    expect(() => loadModel("run", file, undefined)).toThrow(`nnc run: \`${file}\` declares no model, so there is nothing to run`);
  });

  it("a train block number past the last says how many there are", () => {
    expect(() => loadModel("run", "test/analyze/fixtures/two-trains.nn", "7")).toThrow(
      "nnc run: `test/analyze/fixtures/two-trains.nn` has no train block number 7: it has 2 train blocks (1 to 2)",
    );
  });

  it("several models and no train block: choose one", () => {
    const file = write("two.nn", "model a {\n  input x: [B, 1]\n  target y: [B, 1]\n  loss mse(x, y)\n}\nmodel b {\n  input x: [B, 1]\n  target y: [B, 1]\n  loss mse(x, y)\n}\n");
    expect(() => loadModel("run", file, undefined)).toThrow("has several models (`a`, `b`) and no train block; choose one with `--train MODEL`");
  });
});
