// Generated modules imported in Node and run: they train with `nnc run`'s numbers (every step's
// loss and the final metrics, on the CPU runtime exactly; on WebGPU to the backends' tolerance),
// their WebGPU programs are the ones the backend compiles on a device, their saved weights are
// what `nnc eval` reads, and with embedded weights (`--weights`) they predict what `nnc predict`
// prints.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildModelSpec } from "../../compiler/codegen/ts/spec.ts";
import { portableVariant } from "../../compiler/codegen/ts/webgpu.ts";
import { compile } from "../../compiler/index.ts";
import { stepScalars } from "../../compiler/step/build.ts";
import { targetInfo } from "../../cli/session.ts";
import type { Dataset } from "../../runtime/data/dataset.ts";
import { decodeModelSpec, encodeModelSpec, type ModelSpec } from "../../runtime/model/spec.ts";
import { Rng } from "../../runtime/rng.ts";
import { compilePrograms } from "../../runtime/session.ts";
import { CpuBackend } from "../../runtime/train/cpu-backend.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { prepareData } from "../../runtime/train/prepare.ts";
import { compileProgram } from "../../runtime/webgpu/compile.ts";
import { programKeys, programRequest, residentLayout } from "../../runtime/webgpu/resident.ts";
import { testGpu } from "../webgpu/gpu.ts";
import { CASES, generated, importable, removeImportables, specOf } from "./cases.ts";

const gpu = await testGpu();
afterAll(() => gpu?.destroy());
const scratch = mkdtempSync(join(tmpdir(), "nnc-module-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterAll(removeImportables);

function nnc(args: string[]) {
  const result = spawnSync(process.execPath, ["bin/nnc.js", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

// What a generated module exports, as these tests use it.
interface Module {
  createModel(options?: Record<string, unknown>): Promise<{
    backend: string;
    trainStep(data: unknown, options?: unknown): Promise<{ step: number; loss: number } | null>;
    fit(data: unknown, options?: unknown): Promise<{ steps: number; test: { loss: number; accuracy: number | null } | null; validation: { loss: number } | null }>;
    evaluate(examples: unknown): Promise<{ loss: number; accuracy: number | null; mse: number | null }>;
    predict(x: Float32Array, options?: { output?: string }): Promise<Float32Array>;
    saveWeights(): Promise<Uint8Array>;
    loadWeights(bytes: Uint8Array, name?: string): Promise<void>;
    dispose(): void;
  }>;
  spec: ModelSpec;
}

async function moduleFor(file: string, extra: { weights?: string } = {}): Promise<Module> {
  const [module] = await generated(file, { output: "model.ts", ...extra });
  return (await import(importable(module!.text, `${file.replace(/\W/g, "_")}${extra.weights ? "_weights" : ""}`))) as Module;
}

// The train block's splits before standardization, as a module takes them (it standardizes).
function rawSplits(file: string) {
  const c = compile(readFileSync(file, "utf8"), file);
  const data = prepareData({ ...c.config!, standardize: false }, targetInfo(c.model!), dirname(file));
  const examples = (d: Dataset | null) => (d ? { x: d.features, y: d.targetKind === "class" ? Int32Array.from(d.targets) : d.targets } : null);
  return { train: examples(data.train)!, validation: examples(data.validation), test: examples(data.test) };
}

interface RunJson {
  steps: number;
  test: { loss: number; accuracy: number | null };
  validation: { loss: number; accuracy: number | null } | null;
  history: { steps: { step: number; loss: number }[]; step_stride: number };
}

describe("a generated module on the CPU runtime trains as `nnc run` does", () => {
  it("softmax_regression (Iris, standardized, a validation split): every step's loss and the final metrics", async () => {
    const file = "examples/softmax_regression.nn";
    const cli = JSON.parse(nnc(["run", file, "--backend", "cpu", "--epochs", "4", "--json"]).trim().split("\n").at(-1)!) as RunJson;
    const { createModel } = await moduleFor(file);
    const model = await createModel({ backend: "cpu" });
    const data = rawSplits(file);
    const losses: number[] = [];
    for (let step; (step = await model.trainStep(data, { epochs: 4 })); ) losses.push(step.loss);
    const summary = await model.fit(data); // the run trainStep ended: its summary
    expect(cli.history.step_stride).toBe(1);
    expect(losses).toEqual(cli.history.steps.map((s) => s.loss));
    expect(summary.steps).toBe(cli.steps);
    expect(summary.test).toMatchObject({ loss: cli.test.loss, accuracy: cli.test.accuracy });
    expect(summary.validation!.loss).toBe(cli.validation!.loss);
    model.dispose();
  });

  it("starts a second run from the trained weights with a fresh optimizer, as `nnc run --init` does", async () => {
    // Adam's moments carry over from step to step (SGD's momentum restarts at a run's first step).
    const file = join(scratch, "adam.nn");
    writeFileSync(
      file,
      `model adam_moons {\n  input x: [B, 2]\n  target y: [B, 1]\n  score = dense(x, 8) |> relu |> dense(1)\n  loss bce_with_logits(score, y)\n}\n` +
        `train adam_moons {\n  data moons(n: 200, noise: 0.1, seed: 1)\n  split validation: 0.2, test: 0.2\n  batch 32\n  epochs 2\n  optimizer adam(lr: 0.01)\n  seed 3\n}\n`,
    );
    const { createModel } = await moduleFor(file);
    const data = rawSplits(file);
    const model = await createModel({ backend: "cpu" });
    await model.fit(data, { epochs: 2 });
    const weights = await model.saveWeights();
    const second = await model.fit(data, { epochs: 2 });
    const fresh = await createModel({ backend: "cpu", weights });
    expect(await fresh.fit(data, { epochs: 2 })).toMatchObject({ test: second.test, validation: second.validation, steps: second.steps });
    fresh.dispose();
    model.dispose();
  });

  it("mnist_mlp: an epoch's steps, and saved weights that `nnc eval` reads with the same test metrics", async () => {
    const file = "examples/mnist_mlp.nn";
    const cli = JSON.parse(nnc(["run", file, "--backend", "cpu", "--epochs", "1", "--json"]).trim().split("\n").at(-1)!) as RunJson;
    const { createModel } = await moduleFor(file);
    const model = await createModel({ backend: "cpu" });
    const data = rawSplits(file);
    const losses: number[] = [];
    const summary = await model.fit(data, { epochs: 1, onStep: (s: { loss: number }) => losses.push(s.loss) });
    expect(losses).toEqual(cli.history.steps.map((s) => s.loss));
    expect(summary.test).toMatchObject({ loss: cli.test.loss, accuracy: cli.test.accuracy });

    const checkpoint = join(scratch, "mnist_mlp.safetensors");
    writeFileSync(checkpoint, await model.saveWeights());
    const evaluated = JSON.parse(nnc(["eval", file, "--checkpoint", checkpoint, "--backend", "cpu", "--json"]).trim().split("\n").at(-1)!) as { test: { loss: number; accuracy: number } };
    const own = await model.evaluate(data.test!);
    expect(evaluated.test).toMatchObject({ loss: own.loss, accuracy: own.accuracy });

    // The bytes load back into a fresh model, which then predicts the same.
    const fresh = await createModel({ backend: "cpu", weights: readFileSync(checkpoint) });
    const rows = data.test!.x.subarray(0, 3 * 784);
    expect(await fresh.predict(rows)).toEqual(await model.predict(rows));
    fresh.dispose();
    model.dispose();
  });

  it("refuses inputs of the wrong size and weights of another model with messages naming them", async () => {
    const { createModel } = await moduleFor("examples/mnist_mlp.nn");
    const model = await createModel({ backend: "cpu" });
    await expect(model.predict(new Float32Array(100))).rejects.toThrow("mnist_mlp: predict takes rows of 784 values (the input `x` is [B, 784], B examples), but got 100 values");
    await expect(model.predict(new Float32Array(784), { output: "logits" })).rejects.toThrow("mnist_mlp has no output `logits`; it has `probs`, `prediction`");
    await expect(model.trainStep({ train: { x: new Float32Array(784 * 2), y: [3] } })).rejects.toThrow("has 2 examples in x but 1 values in y");
    await expect(model.trainStep({ train: { x: new Float32Array(784), y: [10] } })).rejects.toThrow("y[0] is 10, not a class label (a whole number from 0 to 9)");
    const other = await (await (await moduleFor("examples/linear_regression.nn")).createModel({ backend: "cpu" })).saveWeights();
    await expect(model.loadWeights(other, "linear.safetensors")).rejects.toThrow(/^linear\.safetensors: it does not fit the model: missing parameter `h1\.weight`/);
    model.dispose();
  });
});

describe("a module compiled with --weights predicts what `nnc predict` prints", () => {
  it("softmax_regression trained by `nnc run --save`", async () => {
    const file = "examples/softmax_regression.nn";
    const checkpoint = join(scratch, "iris.safetensors");
    nnc(["run", file, "--backend", "cpu", "--epochs", "5", "--save", checkpoint]);
    const { createModel, spec } = await moduleFor(file, { weights: checkpoint });
    expect(spec.weights).not.toBeNull();
    const model = await createModel({ backend: "cpu" });
    const rows = rawSplits(file).test!.x.subarray(0, 5 * 4);
    const csv = join(scratch, "rows.csv");
    writeFileSync(csv, `sepal_length,sepal_width,petal_length,petal_width\n${Array.from({ length: 5 }, (_, i) => Array.from(rows.subarray(4 * i, 4 * i + 4)).join(",")).join("\n")}\n`);
    const printed = JSON.parse(nnc(["predict", file, "--checkpoint", checkpoint, "--input", csv, "--backend", "cpu", "--json"])) as { columns: string[]; rows: (string | number)[][] };
    const probs = await model.predict(rows);
    expect(printed.columns).toEqual(["class", "label", "p0", "p1", "p2"]);
    printed.rows.forEach((row, i) => {
      const mine = Array.from(probs.subarray(3 * i, 3 * i + 3));
      expect(row[0]).toBe(mine.indexOf(Math.max(...mine)));
      expect(row[1]).toBe(spec.io.classNames![row[0] as number]);
      (row.slice(2) as number[]).forEach((p, k) => expect(p).toBeCloseTo(mine[k]!, 5));
    });
    model.dispose();
  });
});

describe("the spec is JSON that keeps every number", () => {
  it("round-trips non-finite numbers, and the programs run the same after the round trip", async () => {
    const [module] = await generated("examples/mnist_cnn.nn", { output: "model.ts" });
    const spec = specOf(module!.text);
    const nodes = spec.programs.step.graph.nodes;
    const planted = { ...nodes[0]!, op: "const" as const, attrs: { value: -Infinity } };
    const text = encodeModelSpec({ ...spec, programs: { ...spec.programs, step: { ...spec.programs.step, graph: { ...spec.programs.step.graph, nodes: [planted, ...nodes.slice(1)] } } } });
    expect(decodeModelSpec(text).programs.step.graph.nodes[0]!.attrs).toEqual({ value: -Infinity });
    expect(decodeModelSpec(encodeModelSpec(spec))).toEqual(spec);
  });
});

describe("every example's programs survive the spec's JSON", () => {
  // The CPU runtime runs the graphs a module decodes exactly as the ones the compiler built: two
  // steps on the same batch give the same losses and tensors, bit for bit.
  for (const file of readdirSync("examples").filter((f) => f.endsWith(".nn"))) {
    it(file, async () => {
      const source = compile(readFileSync(`examples/${file}`, "utf8"), `examples/${file}`);
      if (!source.model || !source.config || !source.trainGraph || !source.evalGraph) throw new Error(`${file} does not compile`);
      const input = source.trainGraph.inputs.find((i) => i.role === "input");
      const target = source.trainGraph.inputs.find((i) => i.role === "target");
      if (!input || !target) return; // a model without data: nothing for a module to run
      const spec = buildModelSpec({ file, ...source, model: source.model, config: source.config, trainGraph: source.trainGraph, evalGraph: source.evalGraph }, { matmul: portableVariant("blocked8x4")! });
      const decoded = decodeModelSpec(encodeModelSpec(spec));
      const built = compilePrograms({ model: source.model, trainGraph: source.trainGraph, evalGraph: source.evalGraph }, source.config);
      const initial = () => ({ params: initializeParams(built.params, 3), state: initializeState(source.trainGraph!.state) });
      const [a, b] = [new CpuBackend(built, initial()), new CpuBackend(decoded.programs, initial())];
      const rng = new Rng(4);
      const size = (shape: (number | string)[]) => shape.slice(1).reduce<number>((n, d) => n * Number(d), 1);
      const batch = {
        size: 6,
        features: Float32Array.from({ length: 6 * size(input.shape) }, () => rng.uniform() * 2 - 1),
        targets: target.dtype === "i32" ? Int32Array.from({ length: 6 }, () => rng.int(target.classes!)) : Float32Array.from({ length: 6 * size(target.shape) }, () => rng.int(2)),
      };
      for (let t = 1; t <= 2; t++) {
        if (built.step.optimizer.kind === "lbfgs") {
          expect((await b.lossAndGradient(batch, t)).gradient).toEqual((await a.lossAndGradient(batch, t)).gradient);
          continue;
        }
        const scalars = stepScalars(built.step, { step: t, lr: source.config.optimizer.lr, momentum: null });
        expect(await b.step(batch, scalars, t)).toEqual(await a.step(batch, scalars, t));
      }
      expect(await b.readState()).toEqual(await a.readState());
      expect(await b.predict(batch.features, 6, "prediction")).toEqual(await a.predict(batch.features, 6, "prediction"));
    });
  }
});

describe.skipIf(!gpu)("a generated module on WebGPU", () => {
  it("holds the programs the backend compiles on a device with the same matmul variant", async () => {
    for (const c of CASES.filter((c) => c.target === "ts")) {
      const [module] = await generated(c.file, { output: "model.ts" });
      const spec = specOf(module!.text);
      const source = compile(readFileSync(c.file, "utf8"), c.file);
      const programs = compilePrograms({ model: source.model!, trainGraph: source.trainGraph!, evalGraph: source.evalGraph! }, source.config!);
      const layout = residentLayout(programs, Math.floor(gpu!.device.limits.maxStorageBufferBindingSize / 4));
      const keys = programKeys(programs, spec.io.outputs.map((o) => o.name));
      expect(Object.keys(spec.webgpu.programs).sort()).toEqual([...keys].sort());
      for (const key of keys) {
        const request = programRequest(programs, layout, key);
        const onDevice = await compileProgram(gpu!, request.graph, { ...request, matmul: spec.webgpu.matmul });
        expect(spec.webgpu.programs[key], `${c.name}: ${key}`).toEqual(JSON.parse(JSON.stringify(onDevice.program)));
      }
    }
  });

  it("trains mnist_mlp with the CPU runtime's numbers (1e-4) and predicts the same", async () => {
    const { createModel } = await moduleFor("examples/mnist_mlp.nn");
    const data = rawSplits("examples/mnist_mlp.nn");
    const [cpu, webgpu] = await Promise.all([createModel({ backend: "cpu" }), createModel({ device: gpu!.device })]);
    expect(webgpu.backend).toBe("webgpu");
    for (let i = 0; i < 5; i++) {
      const [a, b] = [await cpu.trainStep(data), await webgpu.trainStep(data)];
      expect(b!.step).toBe(a!.step);
      expect(Math.abs(b!.loss - a!.loss)).toBeLessThan(1e-4 * Math.max(1, a!.loss));
    }
    const rows = data.test!.x.subarray(0, 8 * 784);
    const [p, q] = [await cpu.predict(rows), await webgpu.predict(rows)];
    p.forEach((v, i) => expect(Math.abs(q[i]! - v)).toBeLessThan(1e-4));
    cpu.dispose();
    webgpu.dispose();
  });
});

