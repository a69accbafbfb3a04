// Buffer sharing by liveness (compiler/codegen/wgsl/buffers.ts), on the real plans of the
// examples' training steps: no kernel reads and writes one buffer, no value is overwritten before
// its last reader ran, kept values have buffers of their own, and sharing saves buffers.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { shareBuffers } from "../../compiler/codegen/wgsl/buffers.ts";
import { planKernels } from "../../compiler/codegen/wgsl/kernels.ts";
import { compile } from "../../compiler/index.ts";
import { stepOutputs } from "../../compiler/step/programs.ts";
import { compilePrograms } from "../../runtime/session.ts";

describe("buffers shared by liveness", () => {
  for (const file of readdirSync("examples").filter((f) => f.endsWith(".nn"))) {
    it(file, () => {
      const c = compile(readFileSync(`examples/${file}`, "utf8"), `examples/${file}`);
      const programs = compilePrograms({ model: c.model!, trainGraph: c.trainGraph!, evalGraph: c.evalGraph! }, c.config!);
      const graph = programs.step.graph;
      const outputs = stepOutputs(graph);
      const keep = new Set([...outputs.read.map((r) => r.node), ...outputs.updates.map((u) => u.node)]);
      const plan = planKernels(graph, [...keep]);
      const bytes = (id: number) => 4 * graph.nodes[id]!.shape.reduce<number>((n, d) => n * (typeof d === "number" ? d : 7), 1);
      const { slotOf, slotBytes } = shareBuffers(plan, keep, bytes);
      const produced = plan.kernels.flatMap((k) => k.outputs);
      expect(slotBytes.length).toBeLessThanOrEqual(produced.length);
      // Walk the kernels: which value each slot holds, and that every read finds its own value.
      const holder = new Map<number, number>();
      for (const kernel of plan.kernels) {
        const written = new Set(kernel.outputs.map((id) => slotOf.get(id)!));
        for (const id of kernel.reads) {
          const slot = slotOf.get(id);
          if (slot === undefined) continue; // a source
          expect(written.has(slot), `${kernel.name} reads and writes one buffer`).toBe(false);
          expect(holder.get(slot), `${kernel.name} reads a value that was overwritten`).toBe(id);
        }
        for (const id of kernel.outputs) {
          expect(slotBytes[slotOf.get(id)!]).toBe(bytes(id));
          holder.set(slotOf.get(id)!, id);
        }
      }
      for (const id of keep) if (slotOf.has(id)) expect([...slotOf.values()].filter((s) => s === slotOf.get(id))).toHaveLength(1);
    });
  }
});
