// The package as a user gets it: docs/API.md's example is examples/api/train.ts word for word, runs
// against the built package (`nnc` resolves through package.json's `exports` to dist/) and gives
// `nnc run`'s numbers; both entries load in Node and their declarations type-check a user's code.
// dist/ comes from `npm run build`, which `npm test` runs first.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(".");

beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "api", "index.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
});

function node(args: string[], cwd = ROOT) {
  const result = spawnSync(process.execPath, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("docs/API.md's example", () => {
  const example = readFileSync(join(ROOT, "examples/api/train.ts"), "utf8");

  it("is examples/api/train.ts, word for word", () => {
    const doc = readFileSync(join(ROOT, "docs/API.md"), "utf8");
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toContain(example);
  });

  it("trains, predicts, and matches `nnc run`'s test accuracy", () => {
    const run = node(["--import", "tsx", "examples/api/train.ts"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toBe("training mnist_mlp on the CPU runtime (as asked)");
    expect(lines.filter((l) => /^step \d+\/\d+: loss \d/.test(l)).length).toBeGreaterThanOrEqual(3);
    expect(lines.filter((l) => /^digit \d: predicted \d \(p = [01]\.\d{3}\), labelled \d$/.test(l))).toHaveLength(5);
    const accuracy = /test accuracy after (\d+) steps: ([\d.]+)%/.exec(run.stdout);
    expect(Number(accuracy![2])).toBeGreaterThan(80);

    const cli = node(["bin/nnc.js", "run", "examples/mnist_mlp.nn", "--epochs", "1", "--backend", "cpu", "--json"]);
    expect(cli.status).toBe(0);
    const summary = JSON.parse(cli.stdout.trim().split("\n").at(-1)!) as { steps: number; test: { accuracy: number } };
    expect(Number(accuracy![1])).toBe(summary.steps);
    expect(accuracy![2]).toBe((100 * summary.test.accuracy).toFixed(2));
  });
});

describe("the package's entries", () => {
  it("load in Node through package.json's exports", () => {
    const script = `
      const api = await import("nnc");
      const runtime = await import("nnc/runtime");
      console.log(JSON.stringify({ api: Object.keys(api).sort(), runtime: Object.keys(runtime).sort() }));`;
    const result = node(["--input-type=module", "-e", script]);
    expect(result.stderr).toBe("");
    const { api, runtime } = JSON.parse(result.stdout) as { api: string[]; runtime: string[] };
    expect(api).toEqual(expect.arrayContaining(["compileFile", "compileModel", "loadData", "createTrainer", "CompileError", "checkSource", "readSafetensors"]));
    expect(runtime).toEqual(expect.arrayContaining(["CpuBackend", "WebGpuBackend", "openGpu", "encodeSafetensors", "decodeSafetensors", "initializeParams"]));
    expect(runtime).not.toContain("compileFile");
  });

  it("reports a file's mistakes as a CompileError with its diagnostics", () => {
    const script = `
      import { compileModel, CompileError } from "nnc";
      try {
        compileModel("model m {\\n  input x: [B, 3]\\n  target y: [B, 1]\\n  h = dense(x, 1) |> rleu\\n  loss mse(h, y)\\n}\\n", "bad.nn");
      } catch (error) {
        console.log(JSON.stringify({ isCompileError: error instanceof CompileError, codes: error.diagnostics.map((d) => d.code), message: error.message }));
      }`;
    const result = node(["--input-type=module", "-e", script]);
    const caught = JSON.parse(result.stdout) as { isCompileError: boolean; codes: string[]; message: string };
    expect(caught.isCompileError).toBe(true);
    expect(caught.codes.length).toBeGreaterThan(0);
    expect(caught.message).toMatch(/bad\.nn:4:\d+/);
    expect(caught.message).toContain("relu");
  });
});

describe("the declarations", () => {
  // A user's project outside this repository, with nnc installed in its node_modules.
  let project: string;
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), "nnc-types-"));
    mkdirSync(join(project, "node_modules", "@webgpu"), { recursive: true });
    symlinkSync(ROOT, join(project, "node_modules", "nnc"), "dir");
    symlinkSync(join(ROOT, "node_modules", "@webgpu", "types"), join(project, "node_modules", "@webgpu", "types"), "dir");
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  function typecheck(code: string): string {
    writeFileSync(join(project, "page.ts"), code);
    // A web page's settings: no @types/node.
    const options = { target: "ES2022", module: "nodenext", moduleResolution: "nodenext", lib: ["ES2023", "DOM"], types: [], strict: true, noEmit: true, skipLibCheck: true };
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: options, files: ["page.ts"] }));
    const result = node([join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", project], project);
    return result.stdout + result.stderr;
  }

  it("type nnc/runtime for a page without Node's types", () => {
    const code = `import { CpuBackend, decodeSafetensors, encodeSafetensors, openGpu, type TrainingBackend } from "nnc/runtime";
export async function weights(url: string): Promise<number[]> {
  const file = decodeSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer()), url);
  const bytes: Uint8Array = encodeSafetensors(file.tensors);
  const gpu = await openGpu({ allowSoftware: false });
  const backend: TrainingBackend | null = null as CpuBackend | null;
  void backend;
  gpu.destroy();
  return [bytes.length, ...file.tensors["w"]!.shape];
}
`;
    expect(typecheck(code)).toBe("");
    // And they are real types, not `any`: a mistake is caught.
    expect(typecheck(`import { encodeSafetensors } from "nnc/runtime";\nexport const n: string = encodeSafetensors({});\n`)).toMatch(/TS2322/);
  });
});
