// Elementwise fusion (runtime/cpu/fuse.ts, fused-kernel.ts) is an optimization of the reference
// kernels, so a fused program must give the very same bits as the same program run node by node:
// on random elementwise graphs (with scalars, shared subexpressions, broadcasts that cannot fuse
// and reductions that a group must not wrap around) and on the whole training step of the examples.

import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.ts";
import { concreteShape, GraphBuilder, type Graph } from "../../compiler/ir/graph.ts";
import { buildPrograms } from "../../compiler/step/programs.ts";
import { stepScalars } from "../../compiler/step/build.ts";
import { CpuProgram } from "../../runtime/cpu/executor.ts";
import { scheduleUnits } from "../../runtime/cpu/fuse.ts";
import type { Feeds, TensorArray } from "../../runtime/cpu/types.ts";
import { Rng } from "../../runtime/rng.ts";
import { initializeParams } from "../../runtime/train/init.ts";

// The first position where two arrays differ bit for bit, or -1. NaNs count as equal whatever
// their sign and payload: JavaScript leaves those to the engine, and V8 may swap the operands of a
// commutative operation, which picks the other operand's NaN on x86.
function firstDifference(a: TensorArray, b: TensorArray): number {
  if (a.length !== b.length || a.constructor !== b.constructor) return 0;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const width = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    for (let byte = i * width; byte < (i + 1) * width; byte++) if (x[byte] !== y[byte]) return i;
  }
  return -1;
}

function expectSameBits(fused: TensorArray[], reference: TensorArray[], what: string): void {
  expect(fused.length).toBe(reference.length);
  fused.forEach((array, k) => {
    const at = firstDifference(array, reference[k]!);
    expect(at, `${what}, output ${k} at ${at}: fused ${array[at]} vs reference ${reference[k]![at]}`).toBe(-1);
  });
}

// Runs `outputs` of `graph` fused and unfused on the same feeds; returns both, copied.
function runBoth(graph: Graph, outputs: number[], feeds: Feeds, bindings: Record<string, number>, precision: "f32" | "f64", seed = 3) {
  const fused = new CpuProgram(graph, outputs, { precision }).run(feeds, bindings, seed).map((a) => a.slice());
  const reference = new CpuProgram(graph, outputs, { precision, fuse: false }).run(feeds, bindings, seed).map((a) => a.slice());
  return { fused, reference };
}

// --- random elementwise graphs ----------------------------------------------------------------

const UNARY = ["neg", "exp", "log", "sqrt", "abs", "sign", "step", "relu", "leaky_relu", "sigmoid", "tanh", "softplus"] as const;
const BINARY = ["add", "sub", "mul", "div", "maximum", "eq"] as const;
// Non-elementwise ops that split groups or feed a group's result back into it as a scalar.
const OTHER = ["sum_all", "sum_last", "softmax"] as const;

const opSpec = fc.record({
  op: fc.constantFrom<string>(...UNARY, ...BINARY, ...BINARY, ...BINARY, ...OTHER),
  a: fc.nat(),
  b: fc.nat(),
  output: fc.integer({ min: 0, max: 3 }).map((k) => k === 0), // a quarter of the nodes are requested
});

const randomGraph = fc.record({
  batch: fc.integer({ min: 1, max: 4 }),
  dims: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
  // Two inputs that broadcast: each keeps the axes its mask marks (else 1), and may drop the
  // leading 1s (numpy's rank padding).
  broadcasts: fc.array(fc.record({ mask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), trim: fc.boolean() }), { minLength: 2, maxLength: 2 }),
  seed: fc.nat(),
  slope: fc.constantFrom(0.01, -0.5, 0.2, 3),
  ops: fc.array(opSpec, { minLength: 1, maxLength: 30 }),
});

// A value that exercises the kernels' branches: mostly ordinary numbers, sometimes zeros of both
// signs, large numbers (exp overflows), tiny ones, infinities and NaN.
function interestingValue(rng: Rng): number {
  const r = rng.uniform();
  if (r < 0.04) return 0;
  if (r < 0.08) return -0;
  if (r < 0.1) return (rng.uniform() - 0.5) * 400;
  if (r < 0.12) return (rng.uniform() - 0.5) * 1e-30;
  if (r < 0.125) return rng.uniform() < 0.5 ? Infinity : -Infinity;
  if (r < 0.13) return NaN;
  if (r < 0.18) return rng.int(3) - 1; // equal values, for eq and maximum's ties
  return (rng.uniform() - 0.5) * 6;
}

type RandomGraph = typeof randomGraph extends fc.Arbitrary<infer T> ? T : never;

function buildRandomGraph({ batch, dims, broadcasts, seed, slope, ops }: RandomGraph) {
  const b = new GraphBuilder("random.nn", "train");
  const shape: (number | string)[] = ["B", ...dims];
  const broadcastShapes = broadcasts.map(({ mask, trim }) => {
    const kept = shape.map((d, i) => (mask[i] ? d : 1));
    while (trim && kept.length > 0 && kept[0] === 1) kept.shift();
    return kept;
  });
  const pool = [
    b.source("input", { name: "x" }, shape),
    b.source("input", { name: "y" }, shape),
    b.source("input", { name: "s" }, []), // a fed scalar (a learning rate)
    b.constant(0.1), // a constant scalar, rounded to float32 in its buffer
    b.source("input", { name: "u" }, broadcastShapes[0]!), // a bias, a batch-norm statistic, …
    b.source("param", { name: "w" }, shape),
    b.source("input", { name: "v" }, broadcastShapes[1]!),
  ];
  const outputs: number[] = [];
  for (const spec of ops) {
    const a = pool[spec.a % pool.length]!;
    const c = pool[spec.b % pool.length]!;
    const rank = b.node(a).shape.length;
    let node: number;
    if (spec.op === "leaky_relu") node = b.add("leaky_relu", [a], { slope });
    else if ((UNARY as readonly string[]).includes(spec.op)) node = b.unary(spec.op as Exclude<(typeof UNARY)[number], "leaky_relu">, a);
    else if ((BINARY as readonly string[]).includes(spec.op)) node = b.binary(spec.op as (typeof BINARY)[number], a, c);
    else if (rank === 0) node = b.unary("neg", a);
    else if (spec.op === "sum_all" || rank < 2) node = b.sum(a, [...Array(rank).keys()]);
    else if (spec.op === "sum_last") node = b.sum(a, [rank - 1], true);
    else node = b.add("softmax", [a], { axis: -1 });
    pool.push(node);
    if (spec.output) outputs.push(node);
  }
  outputs.push(pool[pool.length - 1]!);
  const rng = new Rng(seed);
  const values = (n: number) => Array.from({ length: n }, () => interestingValue(rng));
  const size = (dims: (number | string)[]) => dims.reduce<number>((n, d) => n * (typeof d === "number" ? d : batch), 1);
  const fed = {
    x: values(size(shape)),
    y: values(size(shape)),
    s: values(1),
    u: values(size(broadcastShapes[0]!)),
    w: values(size(shape)),
    v: values(size(broadcastShapes[1]!)),
  };
  return { graph: b.graph, outputs, fed, bindings: { B: batch } };
}

function feedsOf(fed: Record<string, number[]>, Type: Float32ArrayConstructor | Float64ArrayConstructor): Feeds {
  const arrays = Object.fromEntries(Object.entries(fed).map(([name, v]) => [name, Type.from(v)]));
  const { w, ...inputs } = arrays;
  return { inputs, params: { w: w! }, state: {} };
}

describe("elementwise fusion on random graphs", () => {
  for (const precision of ["f32", "f64"] as const) {
    it(`gives the reference kernels' bits (${precision})`, () => {
      fc.assert(
        fc.property(randomGraph, (spec) => {
          const { graph, outputs, fed, bindings } = buildRandomGraph(spec);
          const { fused, reference } = runBoth(graph, outputs, feedsOf(fed, precision === "f32" ? Float32Array : Float64Array), bindings, precision);
          expectSameBits(fused, reference, precision);
        }),
        { numRuns: 300 },
      );
    });
  }

  it("schedules every unit after the units it reads", () => {
    fc.assert(
      fc.property(randomGraph, (spec) => {
        const { graph, outputs, bindings } = buildRandomGraph(spec);
        const shapes = new Map(graph.nodes.map((n) => [n.id, concreteShape(n.shape, bindings)]));
        const units = scheduleUnits(graph.nodes, shapes, outputs, true);
        const done = new Set<number>();
        let count = 0;
        for (const unit of units) {
          const nodes = unit.kind === "node" ? [unit.node] : unit.group.nodes;
          const inside = new Set(nodes.map((n) => n.id));
          for (const node of nodes) for (const id of node.inputs) expect(done.has(id) || inside.has(id)).toBe(true);
          for (const node of nodes) done.add(node.id);
          count += nodes.length;
        }
        expect(count).toBe(graph.nodes.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe("elementwise fusion of small graphs", () => {
  it("stores only what is read outside the group, from one loop", () => {
    // Adam's moments and update: three results from a dozen ops over the same elements.
    const b = new GraphBuilder("adam.nn", "step");
    const [p, g, m, v] = ["p", "g", "m", "v"].map((name) => b.source("param", { name }, [1000]));
    const [beta1, keep1, stepSize, bc2] = ["beta1", "keep1", "step_size", "bc2"].map((name) => b.source("input", { name }, []));
    const m2 = b.binary("add", b.binary("mul", m!, beta1!), b.binary("mul", g!, keep1!));
    const v2 = b.binary("add", b.scale(v!, 0.999), b.scale(b.binary("mul", g!, g!), 1 - 0.999));
    const denom = b.binary("add", b.binary("div", b.unary("sqrt", v2), bc2!), b.constant(1e-8));
    const p2 = b.binary("sub", p!, b.binary("div", b.binary("mul", m2, stepSize!), denom));
    const shapes = new Map(b.graph.nodes.map((n) => [n.id, concreteShape(n.shape, {})]));
    const fused = scheduleUnits(b.graph.nodes, shapes, [p2, m2, v2], true).filter((u) => u.kind === "fused");
    expect(fused).toHaveLength(1);
    const group = fused[0]!.kind === "fused" ? fused[0]!.group : null;
    expect(group!.outputs.sort()).toEqual([p2, m2, v2].sort());
    expect(group!.nodes).toHaveLength(13);

    const rng = new Rng(5);
    const arrays = (n: number) => Float32Array.from({ length: n }, () => rng.uniform() - 0.5);
    const feeds: Feeds = {
      inputs: { beta1: Float32Array.of(0.9), keep1: Float32Array.of(0.1), step_size: Float32Array.of(1e-3 / 0.19), bc2: Float32Array.of(Math.sqrt(1 - 0.999 ** 2)) },
      params: { p: arrays(1000), g: arrays(1000), m: arrays(1000), v: arrays(1000).map(Math.abs) },
      state: {},
    };
    const { fused: a, reference: r } = runBoth(b.graph, [p2, m2, v2], feeds, {}, "f32");
    expectSameBits(a, r, "adam");
    // Only the sources, the constants and the three results have buffers: the ten intermediates
    // live in the loop.
    const sources = 4 * 1000 + 4 + 3;
    expect(new CpuProgram(b.graph, [p2, m2, v2]).plannedBytes({})).toBe(4 * (sources + 3 * 1000));
  });

  it("does not fuse across a reduction that reads the group (softmax by hand)", () => {
    const b = new GraphBuilder("softmax.nn", "train");
    const x = b.source("input", { name: "x" }, [50]);
    const e = b.unary("exp", b.unary("neg", x));
    const y = b.unary("sqrt", b.binary("div", e, b.sum(e, [0])));
    const feeds: Feeds = { inputs: { x: Float32Array.from({ length: 50 }, (_, i) => Math.sin(i)) }, params: {}, state: {} };
    const { fused, reference } = runBoth(b.graph, [y], feeds, {}, "f32");
    expectSameBits(fused, reference, "softmax");
  });
});

// --- the training step of every example ----------------------------------------------------------

const EXAMPLES = new URL("../../examples/", import.meta.url);

describe("elementwise fusion of the training step", () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".nn"));
  for (const file of files) {
    it(`${file}: the step and the evaluation give the same bits fused and unfused`, () => {
      const path = new URL(file, EXAMPLES).pathname;
      const compiled = compile(readFileSync(path, "utf8"), path);
      const { model, config, trainGraph, evalGraph } = compiled;
      // A model without data (examples/saddle.nn) has a formula for its loss and no table loss.
      if (!model || !(model.loss || model.objective) || !config || !trainGraph || !evalGraph) throw new Error(`${file} did not compile`);
      const programs = buildPrograms(trainGraph, evalGraph, config, model.loss, { gradNorms: true });
      const step = programs.step.graph;
      const batch = 6;
      const rng = new Rng(11);
      const inputs: Feeds["inputs"] = {};
      for (const input of step.inputs) {
        if (input.role === "scalar") continue;
        const size = input.shape.reduce<number>((n, d) => n * (typeof d === "number" ? d : batch), 1);
        // Class labels are i32, fed as an Int32Array.
        inputs[input.name] = input.dtype === "i32" ? Int32Array.from({ length: size }, () => rng.int(input.classes!)) : Float32Array.from({ length: size }, () => rng.uniform() * 2 - 1);
      }
      const initial = initializeParams(step.params, 7);
      const params = Object.fromEntries(step.params.map((p, i) => [p.name, initial[i]!]));
      const state = Object.fromEntries(step.state.map((s) => [s.name, new Float32Array(s.shape.reduce((n, d) => n * d, 1)).fill(s.init)]));
      const outputs = [...Object.values(step.outputs), ...step.paramUpdates.map((u) => u.node), ...step.stateUpdates.map((u) => u.node)];
      const fusedProgram = new CpuProgram(step, outputs);
      const referenceProgram = new CpuProgram(step, outputs, { fuse: false });
      // Three steps, each from the state the last one left, so the optimizer slots are non-zero.
      for (let t = 1; t <= 3; t++) {
        for (const [name, value] of Object.entries(stepScalars(programs.step, { step: t, lr: config.optimizer.lr, momentum: null }))) {
          inputs[name] = Float32Array.of(value);
        }
        const feeds = { inputs, params, state };
        const fused = fusedProgram.run(feeds, { B: batch }, t).map((a) => a.slice());
        const reference = referenceProgram.run(feeds, { B: batch }, t).map((a) => a.slice());
        expectSameBits(fused, reference, `${file} step ${t}`);
        const first = Object.keys(step.outputs).length;
        step.paramUpdates.forEach((u, i) => params[u.name]!.set(fused[first + i]!));
        step.stateUpdates.forEach((u, i) => state[u.name]!.set(fused[first + step.paramUpdates.length + i]!));
      }
      const evaluation = programs.evaluation;
      const evalOutputs = [...Object.values(evaluation.outputs), ...evaluation.stateUpdates.map((u) => u.node)];
      const evalState = { ...state, ...Object.fromEntries(evaluation.state.filter((s) => !(s.name in state)).map((s) => [s.name, new Float32Array(1)])) };
      const { fused, reference } = runBoth(evaluation, evalOutputs, { inputs, params, state: evalState }, { B: batch }, "f32");
      expectSameBits(fused, reference, `${file} evaluation`);
    });
  }

  it("mnist_mlp.nn: the step plans fewer bytes fused", () => {
    const path = new URL("mnist_mlp.nn", EXAMPLES).pathname;
    const { model, config, trainGraph, evalGraph } = compile(readFileSync(path, "utf8"), path);
    const programs = buildPrograms(trainGraph!, evalGraph!, config!, model!.loss!);
    const step = programs.step.graph;
    const outputs = [step.outputs.loss!, ...step.paramUpdates.map((u) => u.node), ...step.stateUpdates.map((u) => u.node)];
    const fused = new CpuProgram(step, outputs).plannedBytes({ B: 128 });
    const unfused = new CpuProgram(step, outputs, { fuse: false }).plannedBytes({ B: 128 });
    expect(fused).toBeLessThan(unfused);
  });
});
