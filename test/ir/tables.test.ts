// Every op has a row in every per-op table: adding an op without its shape rule, gradient rule or
// CPU kernel fails here.

import { describe, expect, it } from "vitest";
import { GRAD_RULES } from "../../compiler/autodiff/grad-rules.ts";
import { ALL_OPS, NON_DIFFERENTIABLE_OPS } from "../../compiler/ir/ops.ts";
import { SHAPE_RULES } from "../../compiler/ir/shape-rules.ts";
import { CPU_KERNELS } from "../../runtime/cpu/kernels.ts";
import { EXPRESSIONS } from "../../compiler/codegen/wgsl/expressions.ts";
import { ROOTS } from "../../compiler/codegen/wgsl/roots.ts";

const tables: [string, Record<string, unknown>][] = [
  ["SHAPE_RULES", SHAPE_RULES],
  ["GRAD_RULES", GRAD_RULES],
  ["CPU_KERNELS", CPU_KERNELS],
];

describe("per-op tables", () => {
  for (const [name, table] of tables) {
    it(`${name} has a row for every op and no other`, () => {
      expect(ALL_OPS.filter((op) => typeof table[op] !== "function")).toEqual([]);
      expect(Object.keys(table).filter((op) => !ALL_OPS.includes(op as never))).toEqual([]);
    });
  }

  it("the WebGPU backend computes every op, inline (EXPRESSIONS) or as a kernel (ROOTS), not both", () => {
    const buffers = new Set(["input", "param", "state"]);
    const missing = ALL_OPS.filter((op) => !buffers.has(op) && !(op in EXPRESSIONS) && !(op in ROOTS));
    expect(missing).toEqual([]);
    expect(ALL_OPS.filter((op) => op in EXPRESSIONS && op in ROOTS)).toEqual([]);
  });

  it("the op list has no duplicates", () => {
    expect(new Set(ALL_OPS).size).toBe(ALL_OPS.length);
  });

  it("non-differentiable ops are ops", () => {
    for (const op of NON_DIFFERENTIABLE_OPS) expect(ALL_OPS).toContain(op);
  });
});
