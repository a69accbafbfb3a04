// Finite-difference checks of the gradient rule of every differentiable op, with broadcasting,
// several shapes and symbolic batch dims bound at run time. Composite losses live in
// composite.test.ts; Hessian-vector products in hvp.test.ts.

import { describe, expect, it } from "vitest";
import { ALL_OPS, NON_DIFFERENTIABLE_OPS, type Op } from "../../compiler/ir/ops.ts";
import { awayFromZero, Case, gradcheck, positive, uniform, type Generator } from "./check.ts";

const TOLERANCE = 1e-6;

interface Operand {
  shape: (number | string)[]; // may use "B"
  gen?: Generator;
}

// y = build(x₀, x₁, …) on inputs with the given shapes (B = 3), checked with respect to all of them.
function check(operands: Operand[], build: (c: Case, xs: number[]) => number, batch = 3): void {
  const c = new Case();
  // Most cases leave B to be inferred from the inputs' sizes; broadcasting to [B, …] needs it given.
  if (operands.every((o) => o.shape.every((d) => typeof d === "number"))) c.bindings.B = batch;
  const xs = operands.map((o, i) =>
    c.input(`x${i}`, o.shape, o.shape.map((d) => (typeof d === "number" ? d : batch)), o.gen ?? uniform),
  );
  const loss = c.probe(build(c, xs));
  const { maxError, worst } = gradcheck(c, loss, xs);
  expect(maxError, worst).toBeLessThan(TOLERANCE);
}

const tested = new Set<Op>();
function op(name: Op, body: () => void): void {
  tested.add(name);
  it(name, body);
}

describe("gradient of each op matches finite differences", () => {
  const unaryCases: [Op, Generator][] = [
    ["neg", uniform],
    ["exp", uniform],
    ["log", positive],
    ["sqrt", positive],
    ["abs", awayFromZero],
    ["relu", awayFromZero],
    ["sigmoid", uniform],
    ["tanh", uniform],
    ["softplus", uniform],
  ];
  for (const [name, gen] of unaryCases) {
    op(name, () => {
      for (const shape of [[], [5], ["B", 4]]) {
        check([{ shape, gen }], (c, [x]) => c.b.unary(name as "neg", x!));
      }
    });
  }
  op("leaky_relu", () => check([{ shape: ["B", 6], gen: awayFromZero }], (c, [x]) => c.b.add("leaky_relu", [x!], { slope: 0.1 })));

  const binaryShapes: [Operand["shape"], Operand["shape"]][] = [
    [[2, 3], [2, 3]],
    [["B", 4], [4]], // bias
    [["B", 4], ["B", 1]], // per-row scale
    [[], [3, 2]], // scalar on the left
    [[2, 1, 3], [4, 1]], // both sides broadcast
    [["B", 2, 2, 3], [1, 2, 1, 1]], // per-channel
  ];
  for (const name of ["add", "sub", "mul", "div", "maximum"] as const) {
    op(name, () => {
      for (const [sa, sb] of binaryShapes) {
        const gen = name === "div" ? positive : uniform;
        check([{ shape: sa }, { shape: sb, gen }], (c, [a, b]) => c.b.binary(name, a!, b!));
      }
    });
  }

  for (const name of ["sum", "mean", "max"] as const) {
    op(name, () => {
      for (const [axes, keepdims] of [[[0], false], [[1], true], [[0, 2], false], [[-1], true], [[0, 1, 2], false]] as const) {
        check([{ shape: ["B", 3, 4] }], (c, [x]) => c.b.add(name, [x!], { axes: [...axes], keepdims }));
      }
    });
  }
  for (const name of ["softmax", "log_softmax"] as const) {
    op(name, () => {
      check([{ shape: ["B", 5] }], (c, [x]) => c.b.add(name, [x!], { axis: -1 }));
      check([{ shape: [2, 3, 4] }], (c, [x]) => c.b.add(name, [x!], { axis: 1 }));
    });
  }

  op("reshape", () => check([{ shape: ["B", 2, 3] }], (c, [x]) => c.b.reshape(x!, ["B", 6])));
  op("transpose", () => check([{ shape: [2, 3, 4] }], (c, [x]) => c.b.add("transpose", [x!], { perm: [2, 0, 1] })));
  op("broadcast", () => {
    check([{ shape: [3, 1] }], (c, [x]) => c.b.broadcastTo(x!, [2, 3, 4]));
    check([{ shape: [1, 4] }], (c, [x]) => c.b.broadcastTo(x!, ["B", 4]));
  });
  op("concat", () => {
    check([{ shape: ["B", 2] }, { shape: ["B", 3] }], (c, [a, b]) => c.b.add("concat", [a!, b!], { axis: 1 }));
    check([{ shape: [1, 3] }, { shape: [2, 3] }, { shape: [1, 3] }], (c, xs) => c.b.add("concat", xs, { axis: 0 }));
  });
  op("slice", () => {
    check([{ shape: ["B", 6] }], (c, [x]) => c.b.add("slice", [x!], { axis: 1, start: 2, end: 5 }));
    check([{ shape: [4, 3] }], (c, [x]) => c.b.add("slice", [x!], { axis: 0, start: 0, end: 2 }));
  });

  op("matmul", () => {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const [m, k, n] = [3, 4, 5];
        check([{ shape: ta ? [k, m] : [m, k] }, { shape: tb ? [n, k] : [k, n] }], (c, [a, b]) => c.b.matmul(a!, b!, ta, tb));
      }
    }
    check([{ shape: ["B", 4] }, { shape: [2, 4] }], (c, [x, w]) => c.b.matmul(x!, w!, false, true)); // dense
  });

  const convs = [
    { x: ["B", 2, 5, 5], w: [3, 2, 3, 3], stride: [1, 1], padding: [0, 0] },
    { x: [2, 2, 6, 5], w: [2, 2, 3, 2], stride: [2, 1], padding: [1, 0] },
    { x: [1, 1, 7, 7], w: [2, 1, 3, 3], stride: [2, 2], padding: [1, 1] },
  ] as const;
  op("conv2d", () => {
    for (const v of convs) {
      const attrs = { stride: [...v.stride] as [number, number], padding: [...v.padding] as [number, number] };
      check([{ shape: [...v.x] }, { shape: [...v.w] }], (c, [x, w]) => c.b.add("conv2d", [x!, w!], attrs));
    }
  });
  op("conv2d_grad_input", () => {
    for (const v of convs) {
      const attrs = { stride: [...v.stride] as [number, number], padding: [...v.padding] as [number, number] };
      // The shape of g is conv2d's output: build a conv2d once to read it.
      const probe = new Case();
      const y = probe.b.add("conv2d", [probe.b.source("input", { name: "x" }, [...v.x]), probe.b.source("param", { name: "w" }, [...v.w])], attrs);
      const gShape = probe.b.node(y).shape;
      check([{ shape: gShape }, { shape: [...v.w] }], (c, [g, w]) => c.b.add("conv2d_grad_input", [g!, w!], { ...attrs, inputShape: [...v.x] }));
    }
  });
  op("conv2d_grad_weight", () => {
    for (const v of convs) {
      const attrs = { stride: [...v.stride] as [number, number], padding: [...v.padding] as [number, number] };
      const probe = new Case();
      const y = probe.b.add("conv2d", [probe.b.source("input", { name: "x" }, [...v.x]), probe.b.source("param", { name: "w" }, [...v.w])], attrs);
      const gShape = probe.b.node(y).shape;
      check([{ shape: [...v.x] }, { shape: gShape }], (c, [x, g]) =>
        c.b.add("conv2d_grad_weight", [x!, g!], { ...attrs, weightShape: [...v.w] }),
      );
    }
  });

  const pools = [
    { x: ["B", 2, 4, 4], kernel: [2, 2], stride: [2, 2], padding: [0, 0], pooled: ["B", 2, 2, 2] },
    { x: [1, 2, 5, 6], kernel: [3, 2], stride: [2, 1], padding: [1, 1], pooled: [1, 2, 3, 7] },
    { x: [2, 1, 5, 5], kernel: [3, 3], stride: [1, 1], padding: [1, 1], pooled: [2, 1, 5, 5] }, // overlapping windows
  ] as const;
  const window = (v: (typeof pools)[number]) => ({
    kernel: [...v.kernel] as [number, number],
    stride: [...v.stride] as [number, number],
    padding: [...v.padding] as [number, number],
  });
  op("maxpool2d", () => {
    for (const v of pools) check([{ shape: [...v.x] }], (c, [x]) => c.b.add("maxpool2d", [x!], window(v)));
  });
  // x only chooses the argmax, so its derivative is zero; the numeric one is too (no ties).
  op("maxpool2d_grad", () => {
    for (const v of pools) check([{ shape: [...v.x] }, { shape: [...v.pooled] }], (c, [x, g]) => c.b.add("maxpool2d_grad", [x!, g!], window(v)));
  });
  op("maxpool2d_gather", () => {
    for (const v of pools) check([{ shape: [...v.x] }, { shape: [...v.x] }], (c, [x, u]) => c.b.add("maxpool2d_gather", [x!, u!], window(v)));
  });
  op("avgpool2d", () => {
    for (const v of pools) check([{ shape: [...v.x] }], (c, [x]) => c.b.add("avgpool2d", [x!], window(v)));
  });
  op("avgpool2d_grad", () => {
    for (const v of pools) {
      check([{ shape: [...v.pooled] }], (c, [g]) => c.b.add("avgpool2d_grad", [g!], { ...window(v), inputShape: [...v.x] }));
    }
  });

  it("covers every differentiable op", () => {
    const missing = ALL_OPS.filter((o) => !NON_DIFFERENTIABLE_OPS.has(o) && !tested.has(o));
    expect(missing).toEqual([]);
  });
});

describe("batch size bound at run time", () => {
  it("checks the same graph at batch 1 and batch 4", () => {
    for (const batch of [1, 4]) {
      check([{ shape: ["B", 3] }, { shape: [3] }], (c, [x, w]) => c.b.mean(c.b.binary("mul", x!, w!), [0, 1]), batch);
    }
  });
});
