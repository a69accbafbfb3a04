// Parameter names are unique by construction (DESIGN.md, "Parameter names"): bindings named like
// the automatic names of unnamed layers (`dense`, `dense_1`, a block's name), blocks, repeats and
// the loss's own layers never give two parameters one name. Checked on generated models.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile, hasErrors } from "../../compiler/index.ts";

const NAMES = ["dense", "dense_1", "dense_2", "batchnorm", "res", "res_1", "repeat", "repeat_1", "h"];
const STAGES = ["dense(4)", "batchnorm", "relu", "res(4)", "repeat(2, res(4))", "repeat(2, dense(4))"];

// A block with a binding named like an op, and unnamed layers in its `return`.
const BLOCK = `block res(x, w) {
  dense = dense(x, w) |> relu
  h = dense(dense, w) |> batchnorm |> dense(w)
  return x + dense(dense(h, w), w)
}`;

function source(bindings: { name: string; stages: string[] }[], lossStages: string[]): string {
  const seen = new Set<string>();
  const lines = ["model m {", "  input x: [B, 4]", "  target y: class[B] of 4"];
  let previous = "x";
  for (const { name, stages } of bindings) {
    if (seen.has(name)) continue;
    seen.add(name);
    lines.push(`  ${name} = ${[previous, ...stages].join(" |> ")}`);
    previous = name;
  }
  lines.push(`  loss cross_entropy(${[previous, ...lossStages, "dense(4)"].join(" |> ")}, y)`, "}", BLOCK);
  return lines.join("\n");
}

const stages = fc.array(fc.constantFrom(...STAGES), { minLength: 1, maxLength: 3 });

describe("parameter names", () => {
  it("the issue's example: a binding named `dense` and an unnamed `dense` get different names", () => {
    const text = "model m {\n  input x: [B, 3]\n  target y: class[B] of 2\n  dense = dense(x, 2)\n  loss cross_entropy(dense(dense, 2), y)\n}\n";
    const compiled = compile(text, "m.nn");
    expect(compiled.trainGraph!.params.map((p) => p.name)).toEqual(["dense.weight", "dense.bias", "dense_1.weight", "dense_1.bias"]);
  });

  it("are unique in every generated model, with blocks and repeats", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ name: fc.constantFrom(...NAMES), stages }), { maxLength: 5 }), stages, (bindings, lossStages) => {
        const compiled = compile(source(bindings, lossStages), "m.nn");
        expect(hasErrors(compiled.diagnostics), JSON.stringify(compiled.diagnostics.map((d) => d.message))).toBe(false);
        const names = compiled.trainGraph!.params.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        const state = compiled.trainGraph!.state.map((s) => s.name);
        expect(new Set(state).size).toBe(state.length);
      }),
      { numRuns: 150 },
    );
  });
});
