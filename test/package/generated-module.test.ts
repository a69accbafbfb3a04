// Generated modules as a user gets them: written by `nnc compile -o` into a project of their own
// that has nnc installed (its node_modules), type-checked by tsc with strict settings and a page's
// libraries (no @types/node), and the JavaScript form run by Node against the built package
// (`nnc/runtime` resolves through package.json's `exports` to dist/, which `npm test` builds).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(".");
let project: string;

function run(args: string[], cwd = ROOT) {
  const result = spawnSync(process.execPath, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "runtime", "index.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
  project = mkdtempSync(join(tmpdir(), "nnc-module-project-"));
  mkdirSync(join(project, "node_modules", "@webgpu"), { recursive: true });
  symlinkSync(ROOT, join(project, "node_modules", "nnc"), "dir");
  symlinkSync(join(ROOT, "node_modules", "@webgpu", "types"), join(project, "node_modules", "@webgpu", "types"), "dir");
  writeFileSync(join(project, "package.json"), JSON.stringify({ type: "module" }));
  for (const [file, output] of [["examples/mnist_mlp.nn", "mnist_mlp.ts"], ["examples/softmax_regression.nn", "iris.js"]]) {
    const compiled = run(["bin/nnc.js", "compile", file!, "-o", join(project, output!)]);
    expect(compiled.status, compiled.stderr).toBe(0);
  }
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

function typecheck(code: string): string {
  writeFileSync(join(project, "page.ts"), code);
  const options = {
    target: "ES2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    lib: ["ES2023", "DOM"],
    types: [],
    strict: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    noImplicitReturns: true,
    exactOptionalPropertyTypes: true,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
  };
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: options, files: ["page.ts", "mnist_mlp.ts"] }));
  const result = run([join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", project], project);
  return result.stdout + result.stderr;
}

describe("a generated module in a user's project", () => {
  it("type-checks strictly, with the model's shapes and outputs in its types (TypeScript and JavaScript + .d.ts)", () => {
    const page = `import { classes, createModel, inputShape, outputShapes, type Examples, type MnistMlpModel } from "./mnist_mlp.ts";
import { classNames, createModel as createIris, type OutputName } from "./iris.js";

export async function train(device: GPUDevice): Promise<number> {
  const model: MnistMlpModel = await createModel({ device });
  const x = new Float32Array(2 * inputShape[0]);
  const examples: Examples = { x, y: new Int32Array([1, 2]) };
  const step = await model.trainStep({ train: examples });
  const summary = await model.fit({ train: examples, test: examples }, { epochs: 1, onStep: (s) => void s.loss });
  const probs: Float32Array = await model.predict(x, { output: "probs" });
  await model.loadWeights(await model.saveWeights());
  model.dispose();
  const iris = await createIris({ backend: "cpu" });
  const output: OutputName = "prediction";
  const scores = await iris.predict(new Float32Array(4), { output });
  iris.dispose();
  return (step?.loss ?? 0) + (summary.test?.loss ?? 0) + probs.length + outputShapes.probs[0] + classes + classNames.length + scores.length;
}
`;
    expect(typecheck(page)).toBe("");
    // The types are real: an output the model lacks, or labels as strings, are caught.
    expect(typecheck(`import { createModel } from "./mnist_mlp.ts";\nexport const p = createModel().then((m) => m.predict(new Float32Array(784), { output: "logits" }));\n`)).toMatch(/TS2322/);
    expect(typecheck(`import type { Examples } from "./mnist_mlp.ts";\nexport const e: Examples = { x: new Float32Array(784), y: ["3"] };\n`)).toMatch(/TS2322/);
  });

  it("runs in Node against the built package: trains a step, predicts, saves and loads its weights", () => {
    writeFileSync(
      join(project, "main.js"),
      `import { createModel, classNames } from "./iris.js";
const model = await createModel({ backend: "cpu" });
const x = Float32Array.from([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]);
const step = await model.trainStep({ train: { x, y: [0, 2] } }, { epochs: 1 });
const probs = await model.predict(x);
await model.loadWeights(await model.saveWeights());
const again = await model.predict(x);
model.dispose();
console.log(JSON.stringify({ backend: model.backend, step: step.step, loss: step.loss, probs: Array.from(probs), same: Array.from(again).every((v, i) => v === probs[i]), classNames }));
`,
    );
    const result = run(["main.js"], project);
    expect(result.stderr).toBe("");
    const out = JSON.parse(result.stdout) as { backend: string; step: number; loss: number; probs: number[]; same: boolean; classNames: string[] };
    expect(out).toMatchObject({ backend: "cpu", step: 1, same: true, classNames: ["setosa", "versicolor", "virginica"] });
    expect(out.loss).toBeGreaterThan(0);
    expect(out.probs).toHaveLength(6);
    expect(out.probs.slice(0, 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});
