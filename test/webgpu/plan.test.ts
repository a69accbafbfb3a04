// The kernel plan with blocked matmuls, without a device: a blocked variant changes how a matmul's
// kernel covers its output, never which kernels there are, and the fused epilogue is written once
// per kernel whatever the block size. Runs where no adapter exists too.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { planKernels } from "../../compiler/codegen/wgsl/kernels.ts";
import { matmulCandidates, parseVariant, variantName, type MatmulVariant } from "../../compiler/codegen/wgsl/matmul.ts";
import { compile } from "../../compiler/index.ts";
import { buildStepGraph } from "../../compiler/step/build.ts";
import { runPasses, STANDARD_PIPELINE } from "../../compiler/passes/index.ts";

function mlpStep() {
  const file = "examples/mnist_mlp.nn";
  const { trainGraph, config } = compile(readFileSync(file, "utf8"), file);
  const graph = runPasses(buildStepGraph(trainGraph!, config!).graph, STANDARD_PIPELINE);
  const outputs = [graph.outputs.loss!, ...graph.paramUpdates.map((u) => u.node), ...graph.stateUpdates.map((u) => u.node)];
  return (variant: MatmulVariant) => planKernels(graph, outputs, { matmulVariant: () => variant });
}

describe("kernel plans with blocked matmuls", () => {
  const plan = mlpStep();
  const naive = plan(parseVariant("naive")!);

  for (const variant of matmulCandidates({ subgroupSize: 8 }).filter((v) => v.kind !== "naive")) {
    it(`${variantName(variant)}: the same kernels, each matmul a tile root with its epilogue once`, () => {
      const blocked = plan(variant);
      expect(blocked.kernels.map((k) => k.outputs)).toEqual(naive.kernels.map((k) => k.outputs));
      const tiles = blocked.kernels.filter((k) => k.mode === "tile");
      expect(tiles).toHaveLength(naive.kernels.filter((k) => k.nodes.some((id) => blocked.order.find((n) => n.id === id)?.op === "matmul")).length);
      for (const kernel of tiles) {
        expect(kernel.matmul?.variant).toBe(variantName(variant));
        expect(kernel.name.startsWith("matmul")).toBe(true);
        expect(kernel.code.match(/tile_value = /g)).toHaveLength(1);
        expect(kernel.code.includes("enable subgroups;")).toBe(variant.kind === "subgroup");
        expect(kernel.code).not.toMatch(/var<workgroup>/);
      }
      // The forward layers write the pre-activation and the activation from one block.
      expect(tiles.find((k) => k.name === "matmul+add+relu")?.outputs).toHaveLength(2);
    });
  }
});

describe("matmul variant names", () => {
  it("round-trip, and refuse blocks the kernels cannot have", () => {
    for (const name of ["naive", "blocked8x4", "blocked1x1", "subgroup8x2@8", "subgroup16x1@32"]) expect(variantName(parseVariant(name)!)).toBe(name);
    for (const name of ["blocked0x4", "blocked9x9", "subgroup8x2", "blocked8x4@8", "subgroup8x2@0", "subgroup8x2@128", "subgroup4x4@3", "tiled"]) expect(parseVariant(name)).toBeNull();
  });
});
