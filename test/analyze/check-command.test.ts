// `nnc check` end to end, through the real command line.

import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

function nnc(...args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync("node", ["bin/nnc.js", ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    return { code: 0, stdout, stderr: "" };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("nnc check", () => {
  it("prints the summary and exits 0 on a good file", () => {
    const result = nnc("check", "test/analyze/fixtures/mlp.nn");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("model mnist_mlp");
    expect(result.stdout).toMatch(/total\s+269,322/);
    expect(result.stdout).toContain("training: data mnist, batch 128, 15 epochs, adam(lr: 0.001)");
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

  it("reports a missing file without a stack trace", () => {
    const result = nnc("check", "no/such/file.nn");
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe("nnc check: cannot read `no/such/file.nn`: no such file");
  });
});
