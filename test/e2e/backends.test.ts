// Choosing a backend from the command line, `nnc compile --stats`, and the fused plan of
// examples/mnist_mlp.nn's training step (dispatches and submits per step: a property of the
// compiled plan, asserted so that fusion cannot silently regress).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testGpu } from "../webgpu/gpu.ts";

function nnc(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ["bin/nnc.js", ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const gpu = await testGpu();

describe("nnc compile --stats", () => {
  it("reports mnist_mlp's training step as at most 11 dispatches and one submit, and its inference", () => {
    const { code, stdout, stderr } = nnc(["compile", "examples/mnist_mlp.nn", "--stats", "--json"]);
    expect(code, stderr).toBe(0);
    const stats = JSON.parse(stdout);
    expect(stats.submits_per_step).toBe(1);
    // Its longest chain of kernels: three layers forward, the loss, three backward, the update.
    expect(stats.step.dispatches).toBeLessThanOrEqual(11);
    expect(new Set(stats.step.kernels.map((k: { dispatch: number }) => k.dispatch)).size).toBe(stats.step.dispatches);
    // Adam's three tensors per parameter (6 parameters) and the two metric accumulators are
    // written in place.
    expect(stats.step.in_place_updates).toBe(20);
    // The forward matmuls carry their bias and ReLU; the backward ones the ReLU's derivative.
    expect(stats.step.kernels.filter((k: { name: string }) => /matmul/.test(k.name) && /relu/.test(k.name))).toHaveLength(2);
    expect(stats.step.kernels.filter((k: { name: string }) => /matmul/.test(k.name) && /step/.test(k.name))).toHaveLength(2);
    expect(stats.inference.dispatches).toBeGreaterThan(0);
    expect(stats.step.peak_bytes).toBe(stats.step.resident_bytes + stats.step.buffer_bytes);
  });

  it("prints the kernels as text and writes their WGSL with --dump-wgsl", () => {
    const folder = mkdtempSync(join(tmpdir(), "nnc-wgsl-"));
    const { code, stdout } = nnc(["compile", "examples/mnist_cnn.nn", "--stats", "--dump-wgsl", folder]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/training step: \d+ dispatches of \d+ kernels, 1 submit/);
    const files = readdirSync(folder);
    expect(files.some((f) => f.startsWith("step-") && readFileSync(join(folder, f), "utf8").includes("conv2d"))).toBe(true);
    expect(readFileSync(join(folder, files[0]!), "utf8")).toContain("@compute");
  });

  it("refuses a call with nothing to show, and a WGSL folder it cannot write", () => {
    // Writing a module (-o) is test/codegen/cli.test.ts's.
    const nothing = nnc(["compile", "examples/mnist_mlp.nn"]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain("--stats");
    const unwritable = nnc(["compile", "examples/mnist_mlp.nn", "--dump-wgsl", "examples/mnist_mlp.nn/wgsl"]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toContain("cannot write the WGSL");
    expect(unwritable.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

describe("choosing the backend", () => {
  it("says which backend it picked and why on the first line", () => {
    const cpu = nnc(["run", "examples/linear_regression.nn", "--epochs", "1", "--backend", "cpu"]);
    expect(cpu.code).toBe(0);
    expect(cpu.stdout.split("\n")[0]).toBe("backend: cpu (the CPU runtime; as asked)");
    const auto = nnc(["run", "examples/linear_regression.nn", "--epochs", "1"]);
    expect(auto.stdout.split("\n")[0]).toMatch(/^backend: (cpu \(the CPU runtime; .+\)|webgpu \(WebGPU on .+; a hardware GPU\))$/);
  });

  it("rejects an unknown backend", () => {
    const result = nnc(["run", "examples/linear_regression.nn", "--backend", "tpu"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("unknown backend `tpu`; choose `auto`, `cpu` or `webgpu`");
  });

  it("reports a missing WebGPU adapter with --backend webgpu as the user's to fix", () => {
    // NNC_WEBGPU_ADAPTER=none hides every adapter, as on a machine without one.
    const result = nnc(["run", "examples/linear_regression.nn", "--backend", "webgpu"], { NNC_WEBGPU_ADAPTER: "none" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("nnc run: --backend webgpu: the WebGPU backend is not available: no WebGPU adapter was found");
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it.skipIf(!gpu)("trains, evaluates and predicts on WebGPU with the CPU runtime's numbers", () => {
    const folder = mkdtempSync(join(tmpdir(), "nnc-webgpu-"));
    const run = (backend: string) => {
      const save = join(folder, `${backend}.safetensors`);
      const result = nnc(["run", "examples/softmax_regression.nn", "--epochs", "30", "--backend", backend, "--json", "--save", save]);
      expect(result.code, result.stderr).toBe(0);
      return { summary: JSON.parse(result.stdout.trim().split("\n").pop()!), save };
    };
    const webgpu = run("webgpu");
    const cpu = run("cpu");
    expect(webgpu.summary.backend).toBe("webgpu");
    expect(webgpu.summary.test.accuracy).toBe(cpu.summary.test.accuracy);
    expect(webgpu.summary.test.loss).toBeCloseTo(cpu.summary.test.loss, 4);
    // A checkpoint written on WebGPU resumes on the CPU and the other way round.
    const resumed = nnc(["run", "examples/softmax_regression.nn", "--epochs", "32", "--backend", "cpu", "--resume", webgpu.save, "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const back = nnc(["run", "examples/softmax_regression.nn", "--epochs", "32", "--backend", "webgpu", "--resume", cpu.save, "--json"]);
    expect(back.code, back.stderr).toBe(0);
    const evaluated = nnc(["eval", "examples/softmax_regression.nn", "--checkpoint", webgpu.save, "--backend", "webgpu", "--json"]);
    expect(JSON.parse(evaluated.stdout).test.accuracy).toBe(cpu.summary.test.accuracy);
  });
});
