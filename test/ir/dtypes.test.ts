// dtypes in the IR: the shape rules check every operand's dtype and give the result's (class
// labels and argmax are i32, everything else f32), the builder turns a mismatch into an
// InternalError, and every graph nnc builds from the examples is consistent with the rules.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.ts";
import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import { GraphBuilder, type DType, type Graph, type IRNode, type Shape } from "../../compiler/ir/graph.ts";
import { ALL_OPS, type Op, type OpAttrs } from "../../compiler/ir/ops.ts";
import { printGraph } from "../../compiler/ir/print.ts";
import { inferShape } from "../../compiler/ir/shape-rules.ts";
import { buildPrograms } from "../../compiler/step/programs.ts";

const node = (shape: Shape, dtype: DType, id = 0): IRNode => ({ id, op: "input", dtype, shape, inputs: [], attrs: { name: `x${id}` }, span: null });

const window = { kernel: [2, 2] as [number, number], stride: [2, 2] as [number, number], padding: [0, 0] as [number, number] };
const conv = { stride: [1, 1] as [number, number], padding: [0, 0] as [number, number] };

// Ops with no operands: the builder gives them the dtype it is told (i32 only for inputs).
const LEAVES = ["input", "param", "state", "const"] as const;
const isLeaf = (op: Op) => (LEAVES as readonly Op[]).includes(op);

// A valid call of every other op: its operands' shapes and its attributes.
const CALLS: { [K in Exclude<Op, (typeof LEAVES)[number]>]: { shapes: Shape[]; attrs: OpAttrs[K] } } = {
  neg: { shapes: [[2, 3]], attrs: {} },
  exp: { shapes: [[2, 3]], attrs: {} },
  log: { shapes: [[2, 3]], attrs: {} },
  sqrt: { shapes: [[2, 3]], attrs: {} },
  abs: { shapes: [[2, 3]], attrs: {} },
  sign: { shapes: [[2, 3]], attrs: {} },
  step: { shapes: [[2, 3]], attrs: {} },
  relu: { shapes: [[2, 3]], attrs: {} },
  leaky_relu: { shapes: [[2, 3]], attrs: { slope: 0.1 } },
  sigmoid: { shapes: [[2, 3]], attrs: {} },
  tanh: { shapes: [[2, 3]], attrs: {} },
  softplus: { shapes: [[2, 3]], attrs: {} },
  add: { shapes: [[2, 3], [3]], attrs: {} },
  sub: { shapes: [[2, 3], [3]], attrs: {} },
  mul: { shapes: [[2, 3], [3]], attrs: {} },
  div: { shapes: [[2, 3], [3]], attrs: {} },
  maximum: { shapes: [[2, 3], [3]], attrs: {} },
  eq: { shapes: [["B"], ["B"]], attrs: {} },
  one_hot: { shapes: [["B"]], attrs: { classes: 4 } },
  sum: { shapes: [[2, 3]], attrs: { axes: [1], keepdims: false } },
  mean: { shapes: [[2, 3]], attrs: { axes: [0], keepdims: true } },
  max: { shapes: [[2, 3]], attrs: { axes: [1], keepdims: false } },
  argmax: { shapes: [["B", 4]], attrs: { axis: -1 } },
  softmax: { shapes: [["B", 4]], attrs: { axis: -1 } },
  log_softmax: { shapes: [["B", 4]], attrs: { axis: 1 } },
  reshape: { shapes: [["B", 2, 3]], attrs: { shape: ["B", 6] } },
  transpose: { shapes: [[2, 3]], attrs: { perm: [1, 0] } },
  broadcast: { shapes: [[1, 3]], attrs: { shape: ["B", 3] } },
  concat: { shapes: [["B", 2], ["B", 3]], attrs: { axis: 1 } },
  slice: { shapes: [["B", 5]], attrs: { axis: 1, start: 1, end: 3 } },
  matmul: { shapes: [["B", 3], [4, 3]], attrs: { transposeA: false, transposeB: true } },
  conv2d: { shapes: [["B", 2, 6, 6], [3, 2, 3, 3]], attrs: conv },
  conv2d_grad_input: { shapes: [["B", 3, 4, 4], [3, 2, 3, 3]], attrs: { ...conv, inputShape: ["B", 2, 6, 6] } },
  conv2d_grad_weight: { shapes: [["B", 2, 6, 6], ["B", 3, 4, 4]], attrs: { ...conv, weightShape: [3, 2, 3, 3] } },
  maxpool2d: { shapes: [["B", 2, 4, 4]], attrs: window },
  maxpool2d_grad: { shapes: [["B", 2, 4, 4], ["B", 2, 2, 2]], attrs: window },
  maxpool2d_gather: { shapes: [["B", 2, 4, 4], ["B", 2, 4, 4]], attrs: window },
  avgpool2d: { shapes: [["B", 2, 4, 4]], attrs: window },
  avgpool2d_grad: { shapes: [["B", 2, 2, 2]], attrs: { ...window, inputShape: ["B", 2, 4, 4] } },
  dropout_mask: { shapes: [["B", 3]], attrs: { p: 0.5, key: 1 } },
  dim_size: { shapes: [["B", 3]], attrs: { axes: [0] } },
};

// What each op takes and gives: the operands' dtype (all alike) and the result's, for every
// accepted combination. Ops not listed take f32 and give f32 only.
const ACCEPTS: Partial<Record<Op, [DType, DType][]>> = {
  one_hot: [["i32", "f32"]],
  argmax: [["f32", "i32"]],
  eq: [["f32", "f32"], ["i32", "f32"]],
  reshape: [["f32", "f32"], ["i32", "i32"]],
  transpose: [["f32", "f32"], ["i32", "i32"]],
  broadcast: [["f32", "f32"], ["i32", "i32"]],
  concat: [["f32", "f32"], ["i32", "i32"]],
  slice: [["f32", "f32"], ["i32", "i32"]],
  // These read only their operand's shape.
  dropout_mask: [["f32", "f32"], ["i32", "f32"]],
  dim_size: [["f32", "f32"], ["i32", "f32"]],
};

function infer(op: Op, dtypes: DType[]) {
  const call = CALLS[op as keyof typeof CALLS];
  return inferShape(op, call.shapes.map((s, i) => node(s, dtypes[i]!, i)), call.attrs as never);
}

describe("the shape rules' dtypes", () => {
  const ops = ALL_OPS.filter((op) => !isLeaf(op));

  it("have a call for every op with operands", () => {
    expect(ops.filter((op) => !(op in CALLS))).toEqual([]);
  });

  for (const op of ops) {
    const accepted = ACCEPTS[op] ?? [["f32", "f32"]];
    const arity = CALLS[op as keyof typeof CALLS].shapes.length;
    it(`${op} takes ${accepted.map(([from, to]) => `${from} → ${to}`).join(", ")} and refuses other operands`, () => {
      for (const [from, to] of accepted) {
        const result = infer(op, Array<DType>(arity).fill(from));
        expect(result, `${op} on ${from}`).toMatchObject({ dtype: to });
      }
      // Every other assignment of dtypes to the operands (mixed ones included) is refused, with a
      // sentence that names the dtypes.
      const all: DType[][] = [[]];
      for (let i = 0; i < arity; i++) all.splice(0, all.length, ...all.flatMap((d) => [[...d, "f32" as DType], [...d, "i32" as DType]]));
      for (const dtypes of all) {
        if (accepted.some(([from]) => dtypes.every((d) => d === from))) continue;
        const result = infer(op, dtypes);
        expect(typeof result, `${op} on ${dtypes.join(", ")}`).toBe("string");
        expect(result).toMatch(/i32|f32/);
      }
    });
  }
});

describe("GraphBuilder", () => {
  it("gives each node the dtype of its rule: labels i32, one_hot f32, argmax i32, eq f32, movement ops keep theirs", () => {
    const b = new GraphBuilder("dtypes.nn", "train");
    const labels = b.source("input", { name: "y" }, ["B"], "i32");
    const logits = b.source("input", { name: "z" }, ["B", 3]);
    const dtype = (id: number) => b.node(id).dtype;
    expect(dtype(labels)).toBe("i32");
    expect(dtype(b.add("one_hot", [labels], { classes: 3 }))).toBe("f32");
    const predicted = b.add("argmax", [logits], { axis: -1 });
    expect(dtype(predicted)).toBe("i32");
    expect(dtype(b.binary("eq", predicted, labels))).toBe("f32");
    const column = b.reshape(labels, ["B", 1]);
    expect(dtype(column)).toBe("i32");
    expect(dtype(b.add("concat", [column, column], { axis: 1 }))).toBe("i32");
    expect(dtype(b.add("slice", [b.add("transpose", [column], { perm: [1, 0] })], { axis: 0, start: 0, end: 1 }))).toBe("i32");
    expect(dtype(b.broadcastTo(column, ["B", 3]))).toBe("i32");
  });

  it("throws an InternalError for an operand of the wrong dtype, naming the op", () => {
    const b = new GraphBuilder("dtypes.nn", "train");
    const labels = b.source("input", { name: "y" }, ["B"], "i32");
    const scores = b.source("input", { name: "s" }, ["B"]);
    expect(() => b.binary("mul", labels, scores)).toThrow(InternalError);
    expect(() => b.binary("mul", labels, scores)).toThrow(/mul: operand 0 \(%0\) is i32, but this op takes f32/);
    expect(() => b.add("one_hot", [scores], { classes: 2 })).toThrow(/one_hot: .* is f32, but this op takes i32/);
    expect(() => b.binary("eq", labels, scores)).toThrow(/eq: cannot compare i32 with f32/);
    expect(() => b.add("concat", [labels, scores], { axis: 0 })).toThrow(/concat: operands of different dtypes/);
    expect(() => b.sum(labels, [0])).toThrow(InternalError);
  });

  it("makes only inputs i32: parameters, state and constants are f32", () => {
    const b = new GraphBuilder("dtypes.nn", "train");
    expect(() => b.source("param", { name: "w" }, [2], "i32")).toThrow(InternalError);
    expect(() => b.source("state", { name: "s" }, [2], "i32")).toThrow(InternalError);
    expect(() => b.source("const", { value: 1 }, [], "i32")).toThrow(InternalError);
  });
});

// Every node of a graph has the dtype its rule gives its operands.
function expectConsistent(graph: Graph, what: string): void {
  for (const n of graph.nodes) {
    if (isLeaf(n.op)) continue;
    const result = inferShape(n.op, n.inputs.map((i) => graph.nodes[i]!), n.attrs as never);
    expect(typeof result === "string" ? result : result.dtype, `${what} %${n.id} ${n.op}`).toBe(n.dtype);
  }
}

describe("the examples' graphs", () => {
  const examples = new URL("../../examples/", import.meta.url);
  for (const file of readdirSync(examples).filter((f) => f.endsWith(".nn"))) {
    it(`${file}: class targets are i32 and every node's dtype follows its rule, in the step too`, () => {
      const path = new URL(file, examples).pathname;
      const { model, config, trainGraph, evalGraph } = compile(readFileSync(path, "utf8"), path);
      if (!model || !(model.loss || model.objective) || !config || !trainGraph || !evalGraph) throw new Error(`${file} did not compile`);
      // A model without data (examples/saddle.nn) has no target, and its one metric is the loss.
      const target = trainGraph.inputs.find((i) => i.role === "target");
      if (target) {
        expect(target.dtype).toBe(target.classes !== null ? "i32" : "f32");
        expect(trainGraph.nodes[target.node]!.dtype).toBe(target.dtype);
      }
      const programs = buildPrograms(trainGraph, evalGraph, { ...config, metrics: model.loss ? ["loss", "accuracy"] : ["loss"] }, model.loss, { gradNorms: true });
      for (const [what, graph] of [["train", trainGraph], ["eval", evalGraph], ["step", programs.step.graph], ["evaluation", programs.evaluation]] as const) {
        expectConsistent(graph, `${file} ${what}`);
        // Only labels and what is computed from them exactly are i32.
        for (const n of graph.nodes.filter((n) => n.dtype === "i32")) expect(["input", "argmax", "reshape", "slice"]).toContain(n.op);
        for (const n of graph.nodes.filter((n) => n.op === "one_hot")) expect(graph.nodes[n.inputs[0]!]!.dtype).toBe("i32");
      }
      // A classifier's step compares predicted with true classes, both i32.
      if (target?.dtype === "i32" && model.loss?.kind === "cross_entropy") {
        const eq = programs.step.graph.nodes.find((n) => n.op === "eq" && n.inputs.some((i) => programs.step.graph.nodes[i]!.op === "argmax"));
        expect(eq?.inputs.map((i) => programs.step.graph.nodes[i]!.dtype)).toEqual(["i32", "i32"]);
      }
    });
  }
});

describe("--dump-ir", () => {
  it("prints i32 for the class target, one_hot's operand and argmax", () => {
    const source = `model m {\n  input x: [B, 4]\n  target y: class[B] of 3\n  logits = dense(x, 3)\n  loss cross_entropy(logits, y)\n}\ntrain m {\n  data iris\n  optimizer sgd(lr: 0.1)\n  metrics loss, accuracy\n}\n`;
    const { model, config, trainGraph, evalGraph } = compile(source, "m.nn");
    const step = buildPrograms(trainGraph!, evalGraph!, config!, model!.loss!).step.graph;
    const text = printGraph(step, { source });
    expect(text).toContain("%1 y: target i32[B] of 3");
    expect(text).toMatch(/%1 = input\(\) \{name=y\} : i32\[B\]/);
    expect(text).toMatch(/one_hot\(%1\) \{classes=3\} : f32\[B, 3\]/);
    expect(text).toMatch(/%(\d+) = argmax\(%\d+\) \{axis=-1\} : i32\[B\]/);
    expect(text).toMatch(/eq\(%\d+, %1\) : f32\[B\]/);
  });
});
