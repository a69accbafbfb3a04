// Where a model's tensors live on WebGPU, and what each of its programs is asked to compute. The
// backend (backend.ts) packs the resident tensors and requests its programs through these two
// functions, and so does `nnc compile` when it compiles the programs ahead of time for a generated
// module (compiler/codegen/ts/webgpu.ts): a program compiled ahead of time addresses the arenas at
// fixed offsets, so both sides must pack the same tensors in the same order into arenas of the same
// size and ask for the same values.
//
// The resident tensors, in order: the step graph's parameters, then its state (batch-norm
// statistics, optimizer slots, the training metrics' accumulators), then the evaluation's own
// metric accumulators under the prefix EVAL.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import type { ResidentPlace } from "../../compiler/codegen/wgsl/dispatches.ts";
import { packArenas } from "../../compiler/codegen/wgsl/layout.ts";
import type { Graph, IRNode } from "../../compiler/ir/graph.ts";
import { stepOutputs, type ModelPrograms } from "../../compiler/step/programs.ts";

// The evaluation keeps its metric accumulators apart from training's, under this prefix.
export const EVAL = "eval.";

// What a program is: the training step, the evaluation pass, L-BFGS's loss and gradient, or one
// output of the inference graph.
export type ProgramKey = "step" | "evaluation" | "gradient" | `predict:${string}`;

export interface ProgramRequest {
  key: ProgramKey;
  graph: Graph;
  read: number[];
  updates: { node: number; target: ResidentPlace }[];
  resident: (source: IRNode) => ResidentPlace | null;
}

// A resident tensor: where it lives in the arenas, its size in elements, and where its first
// value comes from (a parameter or a model state of the starting weights, or a constant fill).
export interface ResidentTensor extends ResidentPlace {
  name: string;
  shape: number[];
  size: number;
  start: { param: number } | { state: number } | { fill: number };
}

export interface ResidentLayout {
  tensors: Map<string, ResidentTensor>; // in packing order
  arenas: number[]; // each arena's size in elements
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

// Packs the model's resident tensors into arenas of at most `maxArenaElements` elements.
export function residentLayout(programs: ModelPrograms, maxArenaElements: number): ResidentLayout {
  const step = programs.step.graph;
  const list: Omit<ResidentTensor, "arena" | "offset" | "size">[] = [];
  step.params.forEach((p, i) => list.push({ name: p.name, shape: p.shape, start: { param: i } }));
  for (const s of step.state) {
    const k = programs.modelState.indexOf(s.name);
    list.push({ name: s.name, shape: s.shape, start: k >= 0 ? { state: k } : { fill: s.init } });
  }
  for (const s of programs.evaluation.state) if (s.name.startsWith("metric.")) list.push({ name: EVAL + s.name, shape: s.shape, start: { fill: 0 } });
  const packed = packArenas(list.map((t) => sizeOf(t.shape)), maxArenaElements);
  const tensors = new Map(list.map((t, i) => [t.name, { ...t, ...packed.places[i]!, size: sizeOf(t.shape) }]));
  return { tensors, arenas: packed.arenas };
}

// The request for one of the model's programs: the values it reads back, the updates it writes
// into resident tensors, and where its parameter and state sources live.
export function programRequest(programs: ModelPrograms, layout: ResidentLayout, key: ProgramKey): ProgramRequest {
  const step = programs.step.graph;
  const evaluation = programs.evaluation;
  // The evaluation's metrics live under EVAL; everything else is shared by name.
  const tensorOf = (graph: Graph, name: string) => layout.tensors.get(graph === evaluation && name.startsWith("metric.") ? EVAL + name : name);
  const resident = (graph: Graph) => (node: IRNode) => (node.op === "param" || node.op === "state" ? (tensorOf(graph, (node.attrs as { name: string }).name) ?? null) : null);
  const place = (t: ResidentTensor | undefined, name: string): ResidentPlace => (t ? { arena: t.arena, offset: t.offset } : missing(name));
  const updates = (graph: Graph) => [...graph.paramUpdates, ...graph.stateUpdates].map((u) => ({ node: u.node, target: place(tensorOf(graph, u.name), u.name) }));
  const request = (graph: Graph, read: number[], withUpdates: boolean): ProgramRequest => ({ key, graph, read, updates: withUpdates ? updates(graph) : [], resident: resident(graph) });
  if (key === "step") return request(step, stepOutputs(step).read.map((r) => r.node), true);
  if (key === "evaluation") return request(evaluation, [], true);
  if (key === "gradient") {
    return request(step, [step.outputs.loss!, ...programs.params.map((p) => step.outputs[`grad:${p.name}`] ?? missing(`grad:${p.name}`))], false);
  }
  const output = key.slice("predict:".length);
  const node = programs.inference.outputs[output];
  if (node === undefined) throw new InternalError(`the model has no output ${output}`);
  return request(programs.inference, [node], false);
}

// Every program a model may run: the step and the evaluation, L-BFGS's gradient, and a prediction
// of each output of the inference graph (its declared outputs and "prediction").
export function programKeys(programs: ModelPrograms, outputs: string[]): ProgramKey[] {
  const keys: ProgramKey[] = ["step", "evaluation"];
  if (programs.step.optimizer.kind === "lbfgs") keys.push("gradient");
  for (const output of outputs) keys.push(`predict:${output}`);
  return keys;
}

function missing(name: string): never {
  throw new InternalError(`no tensor named ${name}`);
}
