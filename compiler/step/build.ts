// The training step as one graph: the model's training graph (forward, loss, regularizers,
// batch-norm statistics), its gradients (a pure differentiation of that graph), gradient clipping
// and the optimizer's update of every parameter. Optimizer slots are state of the graph
// (`optimizer.<param>.<slot>`, the names checkpoints use); the learning rate and the other
// numbers that change from step to step are scalar inputs the host feeds each step. Every backend
// runs this same graph, so the CPU runtime is the reference for the whole step, update included.
//
// L-BFGS keeps its two-loop recursion and line search on the host: its step graph stops at the
// (clipped) gradients, which it names as outputs `grad:<param>`.

import { differentiate } from "../autodiff/autodiff.ts";
import { InternalError } from "../diagnostics/diagnostic.ts";
import type { TrainConfig } from "../ir/config.ts";
import { GraphBuilder, type Graph } from "../ir/graph.ts";
import { clipByGlobalNorm } from "./clip.ts";
import { optimizerRule, type FirstOrderConfig, type StepScalarsInput } from "./optimizer-rules.ts";

export interface StepGraph {
  graph: Graph; // mode "step"
  optimizer: TrainConfig["optimizer"];
  scalars: string[]; // the scalar inputs, fed every step (see `stepScalars`)
  // Each optimizer slot: the state buffer's name, its parameter and PyTorch's key for it.
  slots: { state: string; param: string; slot: string }[];
}

export function slotStateName(param: string, slot: string): string {
  return `optimizer.${param}.${slot}`;
}

export interface StepOptions {
  // Outputs `grad_norm:<param>`, the 2-norm of each weight's (clipped) gradient, for --grad-norms.
  gradNorms?: boolean;
}

export function buildStepGraph(trainGraph: Graph, config: Pick<TrainConfig, "optimizer" | "clip_grad_norm">, options: StepOptions = {}): StepGraph {
  if (trainGraph.mode !== "train") throw new InternalError(`a step is built from a training graph, not a ${trainGraph.mode} graph`);
  const loss = trainGraph.outputs.loss;
  if (loss === undefined) throw new InternalError("the training graph has no loss");
  const { graph, grads: raw } = differentiate(trainGraph, loss, trainGraph.params.map((p) => p.node));
  graph.mode = "step";
  const b = GraphBuilder.extend(graph);
  b.span = null;

  let grads = raw;
  if (config.clip_grad_norm !== null) {
    const clipped = clipByGlobalNorm(b, grads, config.clip_grad_norm);
    grads = clipped.grads;
    graph.outputs.grad_norm = clipped.norm;
  }

  if (options.gradNorms) {
    graph.params.forEach((p, i) => {
      if (p.role !== "weight") return;
      const g = grads[i]!;
      const rank = b.node(g).shape.length;
      graph.outputs[`grad_norm:${p.name}`] = b.unary("sqrt", b.sum(b.binary("mul", g, g), [...Array(rank).keys()]));
    });
  }

  const optimizer = config.optimizer;
  const step: StepGraph = { graph, optimizer, scalars: [], slots: [] };
  if (optimizer.kind === "lbfgs") {
    graph.params.forEach((p, i) => (graph.outputs[`grad:${p.name}`] = grads[i]!));
    return step;
  }

  const rule = optimizerRule(optimizer);
  const scalarNodes = new Map<string, number>();
  for (const name of rule.scalars(optimizer)) {
    const node = b.source("input", { name }, []);
    graph.inputs.push({ name, role: "scalar", shape: [], dtype: "f32", classes: null, node });
    scalarNodes.set(name, node);
  }
  step.scalars = [...scalarNodes.keys()];
  const slotSpecs = rule.slots(optimizer);
  graph.params.forEach((p, i) => {
    const slotNodes = new Map<string, number>();
    for (const spec of slotSpecs) {
      const name = slotStateName(p.name, spec.name);
      const node = b.source("state", { name }, p.shape);
      graph.state.push({ name, shape: [...p.shape], init: spec.init, node });
      slotNodes.set(spec.name, node);
      step.slots.push({ state: name, param: p.name, slot: spec.name });
    }
    const result = rule.update(
      {
        b,
        param: p.node,
        grad: grads[i]!,
        slot: (name) => slotNodes.get(name) ?? missing("slot", name),
        scalar: (name) => scalarNodes.get(name) ?? missing("scalar", name),
      },
      optimizer,
    );
    graph.paramUpdates.push({ name: p.name, node: result.param });
    for (const spec of slotSpecs) {
      const updated = result.slots[spec.name];
      if (updated === undefined) throw new InternalError(`the ${optimizer.kind} rule gives no new value for its slot ${spec.name}`);
      graph.stateUpdates.push({ name: slotStateName(p.name, spec.name), node: updated });
    }
  });
  return step;
}

// The values of a step graph's scalar inputs at one step, computed on the host.
export function stepScalars(step: StepGraph, at: StepScalarsInput): Record<string, number> {
  if (step.optimizer.kind === "lbfgs") return {};
  const values = optimizerRule(step.optimizer as FirstOrderConfig).hostScalars(step.optimizer as FirstOrderConfig, at);
  for (const name of step.scalars) if (values[name] === undefined) throw new InternalError(`no value for the step scalar ${name}`);
  return values;
}

function missing(what: string, name: string): never {
  throw new InternalError(`an optimizer rule asked for the undeclared ${what} ${name}`);
}
