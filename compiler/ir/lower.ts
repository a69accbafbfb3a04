// Lowers a checked model to an IR graph for training or evaluation. Each layer node becomes the IR
// ops of its row in the layer table (compiler/analyze/layers); then the loss (data loss from the
// losses table, plus the regularization penalty) and the named outputs. Dropout masks, batch
// statistics and the running-statistics updates appear only in the training graph.

import { lowerLoss } from "../analyze/losses.ts";
import { layerRow, type LowerContext } from "../analyze/layers/index.ts";
import type { CheckedModel, LayerNode } from "../analyze/model-types.ts";
import { lowerPenalty } from "../analyze/regularizers.ts";
import { InternalError } from "../diagnostics/diagnostic.ts";
import { GraphBuilder, type Graph, type Initializer, type ParamInfo } from "./graph.ts";
import { lowerIndex, lowerPower } from "./lower-operators.ts";

export interface LowerOptions {
  // The train block's `init` setting: the initializer of every weight whose layer names none.
  defaultInit?: Initializer | null;
}

const OPERATORS = { add: "add", sub: "sub", mul: "mul", div: "div" } as const;

export function lowerModel(model: CheckedModel, mode: "train" | "eval", options: LowerOptions = {}): Graph {
  const b = new GraphBuilder(model.file, mode);
  const ir: number[] = [];
  const params = new Map<string, ParamInfo>();
  for (const node of model.nodes) {
    b.span = node.span;
    const inputs = node.inputs.map((i) => ir[i]!);
    ir[node.id] = lowerNode(b, node, inputs, params, options);
  }

  // The data loss from the losses table, or the formula of a model without data.
  const loss = model.loss;
  const objective = model.objective;
  if (!loss && !objective) throw new InternalError(`model ${model.name} is lowered without a loss`);
  b.span = loss?.span ?? objective!.span;
  const dataLoss = loss ? lowerLoss(b, ir[loss.prediction]!, ir[loss.target]!, loss) : ir[objective!.node]!;

  let regLoss: number | null = null;
  for (const regularizer of model.regularizers) {
    b.span = regularizer.span;
    for (const name of regularizer.params) {
      const param = params.get(name);
      if (!param) throw new InternalError(`regularizer selects unknown parameter ${name}`);
      param.regularizers.push({ kind: regularizer.kind, lambda: regularizer.lambda });
      const penalty = lowerPenalty(b, regularizer.kind, regularizer.lambda, param.node);
      regLoss = regLoss === null ? penalty : b.binary("add", regLoss, penalty);
    }
  }
  b.span = null;
  const reg = regLoss ?? b.constant(0);
  const outputs = b.graph.outputs;
  outputs.data_loss = dataLoss;
  outputs.reg_loss = reg;
  outputs.loss = b.binary("add", dataLoss, reg);
  // A formula's "prediction" is its value, so every graph has the output.
  outputs.prediction = loss ? ir[loss.prediction]! : dataLoss;
  for (const output of model.outputs) outputs[output.name] = ir[output.node]!;
  return b.graph;
}

function lowerNode(b: GraphBuilder, node: LayerNode, inputs: number[], params: Map<string, ParamInfo>, options: LowerOptions): number {
  switch (node.layer) {
    case "input":
    case "target": {
      const name = node.config.name as string;
      const dtype = node.kind === "class" ? "i32" : "f32";
      const id = b.source("input", { name }, node.shape, dtype);
      const classes = node.kind === "class" ? ((node.config.classes as number | undefined) ?? null) : null;
      b.graph.inputs.push({ name, role: node.layer, shape: [...node.shape], dtype, classes, node: id });
      return id;
    }
    case "const":
      return b.constant(node.config.value as number);
    case "neg":
      return b.unary("neg", inputs[0]!);
    case "add":
    case "sub":
    case "mul":
    case "div":
      return b.binary(OPERATORS[node.layer], inputs[0]!, inputs[1]!);
    case "pow":
      return lowerPower(b, inputs[0]!, node.config.exponent as number);
    case "index":
      return lowerIndex(b, inputs[0]!, node.config.indices as number[]);
    case "param":
      return createParams(b, node, params, options).get("")!;
  }
  const row = layerRow(node.layer);
  if (!row) throw new InternalError(`no layer row for ${node.layer}`);
  const local = createParams(b, node, params, options);
  const stateIds = new Map<string, number>();
  for (const s of node.state) {
    const id = b.source("state", { name: s.name }, s.shape);
    stateIds.set(s.local, id);
    b.graph.state.push({ name: s.name, shape: [...s.shape], init: s.init, node: id });
  }
  const ctx: LowerContext = {
    b,
    mode: b.graph.mode === "eval" ? "eval" : "train",
    node,
    param(name) {
      const id = local.get(name);
      if (id === undefined) throw new InternalError(`${node.path} has no parameter ${name}`);
      return id;
    },
    state(name) {
      const id = stateIds.get(name);
      if (id === undefined) throw new InternalError(`${node.path} has no state ${name}`);
      return id;
    },
    updateState(name, value) {
      b.graph.stateUpdates.push({ name: `${node.path}.${name}`, node: value });
    },
  };
  return row.lower(ctx, inputs);
}

// The `param` sources of a node's parameters, by their local names ("weight", or "" for a free
// parameter). Parameters and state are created before the layer's ops, in declaration order, so
// every graph lists them in the same order whatever the layer's lowering reads first.
function createParams(b: GraphBuilder, node: LayerNode, params: Map<string, ParamInfo>, options: LowerOptions): Map<string, number> {
  const local = new Map<string, number>();
  for (const p of node.params) {
    // The analyzer names parameters uniquely by construction (DESIGN.md, "Parameter names"); a
    // repeat would make two layers share one checkpoint entry.
    if (params.has(p.name)) throw new InternalError(`two parameters are named ${p.name}`);
    const id = b.source("param", { name: p.name }, p.shape);
    local.set(p.local, id);
    const init: Initializer = p.init ?? (p.role === "weight" && options.defaultInit ? options.defaultInit : { kind: "torch_default" });
    const info: ParamInfo = {
      name: p.name,
      shape: [...p.shape],
      role: p.role,
      init,
      fanIn: p.fanIn,
      fanOut: p.fanOut,
      regularizers: [],
      node: id,
      layer: p.layer,
      span: p.span,
    };
    b.graph.params.push(info);
    params.set(p.name, info);
  }
  return local;
}
