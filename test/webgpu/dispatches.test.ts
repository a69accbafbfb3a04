// The dispatch plans of every example's programs (compiler/codegen/wgsl/dispatches.ts), without a
// device: every kernel runs once; no kernel of a dispatch reads what another kernel of it writes,
// or a place another one writes; every value a kernel reads is still in its place (liveness-shared
// slots, in-place updates); a dispatch binds at most eight storage buffers. Runs where no adapter
// exists too.

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { planProgram, type ProgramPlan, type ResidentPlace } from "../../compiler/codegen/wgsl/dispatches.ts";
import { packArenas, type Place } from "../../compiler/codegen/wgsl/layout.ts";
import { compile } from "../../compiler/index.ts";
import { concreteShape, type Graph, type IRNode } from "../../compiler/ir/graph.ts";
import { stepOutputs } from "../../compiler/step/programs.ts";
import { compilePrograms } from "../../runtime/session.ts";

const MAX_ELEMENTS = 2 ** 25;

function plan(graph: Graph, read: number[], updates: { node: number; name: string }[], maxBindingElements = MAX_ELEMENTS): ProgramPlan {
  const tensors = [...graph.params, ...graph.state];
  const packed = packArenas(tensors.map((t) => t.shape.reduce((a, b) => a * b, 1)), maxBindingElements);
  const places = new Map<string, ResidentPlace>(tensors.map((t, i) => [t.name, packed.places[i]!]));
  const resident = (node: IRNode) => places.get((node.attrs as { name: string }).name) ?? null;
  return planProgram(graph, { read, updates: updates.map((u) => ({ node: u.node, target: places.get(u.name)! })), resident, maxBindingElements });
}

function programsOf(file: string) {
  const c = compile(readFileSync(file, "utf8"), file);
  return compilePrograms({ model: c.model!, trainGraph: c.trainGraph!, evalGraph: c.evalGraph! }, c.config!);
}

// Walks the dispatches, tracking which value holds each element range of each buffer.
function checkPlan(graph: Graph, p: ProgramPlan, read: number[]): void {
  const size = (id: number) => concreteShape(graph.nodes[id]!.shape, { B: 7 }).reduce((a, b) => a * b, 1);
  const key = (place: Place) => `${place.buffer.kind}${place.buffer.index}`;
  const overlaps = (a: number, b: number) => {
    const [pa, pb] = [p.places.get(a)!, p.places.get(b)!];
    return key(pa) === key(pb) && pa.offset < pb.offset + size(b) && pb.offset < pa.offset + size(a);
  };
  const holders: number[] = p.order.filter((n) => p.places.has(n.id) && ["input", "param", "state"].includes(n.op)).map((n) => n.id);
  const ran = p.dispatches.flatMap((d) => d.kernels).sort((a, b) => a - b);
  expect(ran).toEqual(p.kernels.map((_, k) => k));
  for (const d of p.dispatches) {
    expect(d.bindings.length, d.name).toBeLessThanOrEqual(8);
    const writes = d.kernels.map((k) => p.kernels[k]!.outputs);
    d.kernels.forEach((k, i) => {
      for (const id of p.kernels[k]!.reads) {
        expect(holders.includes(id), `${d.name}: ${p.kernels[k]!.name} reads %${id}, which is no longer in its place`).toBe(true);
        writes.forEach((outputs, j) => {
          if (j === i) return;
          for (const out of outputs) expect(overlaps(id, out), `${d.name}: %${id} is read where another kernel writes %${out}`).toBe(false);
        });
      }
    });
    for (const out of writes.flat()) {
      for (let h = holders.length - 1; h >= 0; h--) if (overlaps(holders[h]!, out)) holders.splice(h, 1);
      holders.push(out);
    }
  }
  for (const id of read) expect(holders.includes(id), `%${id} is read back but was overwritten`).toBe(true);
}

describe("dispatch plans", () => {
  for (const file of readdirSync("examples").filter((f) => f.endsWith(".nn"))) {
    it(file, () => {
      const programs = programsOf(`examples/${file}`);
      const step = programs.step.graph;
      const outputs = stepOutputs(step);
      const stepPlan = plan(step, outputs.read.map((r) => r.node), outputs.updates);
      checkPlan(step, stepPlan, outputs.read.map((r) => r.node));
      expect(stepPlan.dispatches.length).toBeLessThan(stepPlan.kernels.length);
      const evaluation = programs.evaluation;
      const evalUpdates = [...evaluation.paramUpdates, ...evaluation.stateUpdates];
      checkPlan(evaluation, plan(evaluation, [], evalUpdates), []);
      const inference = programs.inference;
      checkPlan(inference, plan(inference, Object.values(inference.outputs), []), Object.values(inference.outputs));
    });
  }

  it("splits values over several arenas when one binding cannot hold them, within the buffer limit", () => {
    const step = programsOf("examples/mnist_mlp.nn").step.graph;
    const outputs = stepOutputs(step);
    const small = plan(step, outputs.read.map((r) => r.node), outputs.updates, 784 * 256);
    expect(small.arenas.length).toBeGreaterThan(1);
    checkPlan(step, small, outputs.read.map((r) => r.node));
  });

  it("copies an update instead of writing it in place when a later kernel reads the old value", () => {
    const step = programsOf("examples/mnist_mlp.nn").step.graph;
    const outputs = stepOutputs(step);
    // Reading a parameter back after the step needs its old value in place.
    const param = step.nodes.find((n) => n.op === "param")!;
    const read = [...outputs.read.map((r) => r.node), param.id];
    const p = plan(step, read, outputs.updates);
    const update = outputs.updates.find((u) => u.name === (param.attrs as { name: string }).name)!;
    expect(p.inPlace.has(update.node)).toBe(false);
    checkPlan(step, p, read);
  });
});
