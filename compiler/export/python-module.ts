// The checked model as a PyTorch nn.Module. Every parametric layer becomes the torch.nn module
// with the same parameters in the same layouts (nn.Linear, nn.Conv2d, nn.BatchNorm1d/2d), placed
// in nested nn.ModuleDicts along its dotted path, so the module's state_dict keys are exactly nnc's
// parameter and state names (plus batch norm's num_batches_tracked). The other layers become
// torch functions in forward(). One row per layer, as in compiler/analyze/layers.

import type { CheckedModel, LayerNode } from "../analyze/model-types.ts";
import type { Initializer, Shape } from "../ir/graph.ts";
import { ExportError } from "./errors.ts";
import { Identifiers, isKeyword, pyBool, pyFloat, pyNumber, pyString } from "./python-names.ts";

interface LayerCode {
  // The torch.nn module that holds the layer's parameters (parametric layers only).
  module?(node: LayerNode, model: CheckedModel): string;
  // The expression computing the layer from its inputs' variables and its module's expression.
  call(node: LayerNode, args: string[], module: string, model: CheckedModel): string;
}

const inputShape = (node: LayerNode, model: CheckedModel, i = 0): Shape => model.nodes[node.inputs[i]!]!.shape;
const pair = (value: unknown) => {
  const [a, b] = value as [number, number];
  return `(${a}, ${b})`;
};

const LAYER_CODE: Record<string, LayerCode> = {
  dense: {
    module: (node) => `nn.Linear(${node.params[0]!.shape[1]}, ${node.params[0]!.shape[0]}, bias=${pyBool(Boolean(node.config.bias))})`,
    call: (_node, [x], module) => `${module}(${x})`,
  },
  // k affine pieces in one Linear; row j·units + u is piece j of unit u.
  maxout: {
    module: (node) => `nn.Linear(${node.params[0]!.shape[1]}, ${node.params[0]!.shape[0]}, bias=${pyBool(Boolean(node.config.bias))})`,
    call: (node, [x], module) => `${module}(${x}).reshape(-1, ${node.config.k}, ${node.config.units}).max(dim=1).values`,
  },
  conv2d: {
    module: (node) => {
      const [out, inChannels, kh, kw] = node.params[0]!.shape;
      return `nn.Conv2d(${inChannels}, ${out}, kernel_size=(${kh}, ${kw}), stride=${pair(node.config.stride)}, padding=${pair(node.config.padding)}, bias=${pyBool(Boolean(node.config.bias))})`;
    },
    call: (_node, [x], module) => `${module}(${x})`,
  },
  batchnorm: {
    module: (node, model) => {
      const kind = inputShape(node, model).length === 4 ? "BatchNorm2d" : "BatchNorm1d";
      return `nn.${kind}(${node.config.channels}, eps=${pyFloat(node.config.eps as number)}, momentum=${pyFloat(node.config.momentum as number)})`;
    },
    call: (_node, [x], module) => `${module}(${x})`,
  },
  maxpool: {
    call: (node, [x]) => `F.max_pool2d(${x}, kernel_size=${pair(node.config.kernel)}, stride=${pair(node.config.stride)}, padding=${pair(node.config.padding)})`,
  },
  avgpool: {
    call: (node, [x]) =>
      `F.avg_pool2d(${x}, kernel_size=${pair(node.config.kernel)}, stride=${pair(node.config.stride)}, padding=${pair(node.config.padding)}, count_include_pad=True)`,
  },
  flatten: { call: (_node, [x]) => `torch.flatten(${x}, 1)` },
  reshape: { call: (node, [x]) => `${x}.reshape(${reshapeDims(node)})` },
  concat: { call: (node, args) => `torch.cat([${args.join(", ")}], dim=${node.config.axis})` },
  matmul: { call: (_node, [a, b]) => `${a} @ ${b}` },
  relu: { call: (_node, [x]) => `torch.relu(${x})` },
  sigmoid: { call: (_node, [x]) => `torch.sigmoid(${x})` },
  tanh: { call: (_node, [x]) => `torch.tanh(${x})` },
  identity: { call: (_node, [x]) => x! },
  softplus: { call: (_node, [x]) => `F.softplus(${x})` },
  leaky_relu: { call: (node, [x]) => `F.leaky_relu(${x}, negative_slope=${pyFloat(node.config.slope as number)})` },
  softmax: { call: (node, [x]) => `torch.softmax(${x}, dim=${node.config.axis})` },
  log_softmax: { call: (node, [x]) => `torch.log_softmax(${x}, dim=${node.config.axis})` },
  dropout: { call: (node, [x]) => `F.dropout(${x}, p=${pyFloat(node.config.p as number)}, training=self.training)` },
  const: { call: (node) => pyFloat(node.config.value as number) },
  neg: { call: (_node, [x]) => `-${x}` },
  add: { call: (_node, [a, b]) => `${a} + ${b}` },
  sub: { call: (_node, [a, b]) => `${a} - ${b}` },
  mul: { call: (_node, [a, b]) => `${a} * ${b}` },
  div: { call: (_node, [a, b]) => `${a} / ${b}` },
  pow: { call: (node, [x]) => `${x} ** ${pyFloat(node.config.exponent as number)}` },
  index: { call: (node, [x]) => `${x}[${(node.config.indices as number[]).join(", ")}]` },
  exp: { call: (_node, [x]) => `torch.exp(${x})` },
  log: { call: (_node, [x]) => `torch.log(${x})` },
  sqrt: { call: (_node, [x]) => `torch.sqrt(${x})` },
  abs: { call: (_node, [x]) => `torch.abs(${x})` },
  sum: { call: (_node, [x]) => `${x}.sum()` },
  mean: { call: (_node, [x]) => `${x}.mean()` },
  rosenbrock: { call: (node, [x, y]) => `(${pyFloat(node.config.a as number)} - ${x}) ** 2 + ${pyFloat(node.config.b as number)} * (${y} - ${x} ** 2) ** 2` },
  beale: { call: (_node, [x, y]) => `(1.5 - ${x} + ${x} * ${y}) ** 2 + (2.25 - ${x} + ${x} * ${y} ** 2) ** 2 + (2.625 - ${x} + ${x} * ${y} ** 3) ** 2` },
  himmelblau: { call: (_node, [x, y]) => `(${x} ** 2 + ${y} - 11) ** 2 + (${x} + ${y} ** 2 - 7) ** 2` },
  saddle: { call: (_node, [x, y]) => `${x} ** 2 - ${y} ** 2` },
  monkey_saddle: { call: (_node, [x, y]) => `${x} ** 3 - 3 * ${x} * ${y} ** 2` },
  bowl: { call: (node, [w]) => `0.5 * (torch.tensor([${(node.config.eigenvalues as number[]).map(pyFloat).join(", ")}]) * ${w} ** 2).sum()` },
};

// The layers the export knows; a test checks that this covers the layer table.
export const EXPORTED_LAYERS: readonly string[] = Object.keys(LAYER_CODE);

// reshape's target: the batch's symbolic dim becomes -1 (only one dim can be left to PyTorch).
function reshapeDims(node: LayerNode): string {
  const symbolic = node.shape.filter((d) => typeof d === "string");
  if (symbolic.length > 1) {
    throw new ExportError(`\`reshape\` to ${JSON.stringify(node.shape)} has ${symbolic.length} symbolic sizes; PyTorch's reshape can infer only one`, node.span);
  }
  return node.shape.map((d) => (typeof d === "string" ? "-1" : `${d}`)).join(", ");
}

// nn.Module's own attributes (torch 1.13 … 2.x): a top-level layer of one of these names would
// replace a method of the module.
const MODULE_ATTRIBUTES = new Set(
  (
    "T_destination add_module apply bfloat16 buffers children cpu cuda double dump_patches eval extra_repr float forward get_buffer " +
    "get_extra_state get_parameter get_submodule half ipu load_state_dict modules named_buffers named_children named_modules " +
    "named_parameters parameters register_backward_hook register_buffer register_forward_hook register_forward_pre_hook " +
    "register_full_backward_hook register_load_state_dict_post_hook register_module register_parameter requires_grad_ " +
    "set_extra_state share_memory state_dict to to_empty train type xpu zero_grad training outputs compile mtia " +
    "register_full_backward_pre_hook register_state_dict_pre_hook register_load_state_dict_pre_hook call_super_init"
  ).split(" "),
);
// nn.ModuleDict's methods: a nested layer of one of these names cannot be a key.
const MODULE_DICT_ATTRIBUTES = new Set([...MODULE_ATTRIBUTES, "clear", "items", "keys", "pop", "update", "values"]);

interface ModuleTree {
  children: Map<string, ModuleTree>;
  leaf: string | null; // the module constructor, for a layer
}

export interface PythonModule {
  className: string;
  code: string; // the class definition
  batchNorms: number; // how many batch-norm layers (for notes on DDP)
  unusedByLoss: boolean; // some parameter does not reach the loss (DDP needs find_unused_parameters)
}

export function pythonModule(model: CheckedModel, defaultInit: Initializer | null): PythonModule {
  if (model.objective) {
    throw new ExportError(`the model \`${model.name}\` has no data (its loss is a formula over its parameters); only models trained on data are exported`, model.objective.span);
  }
  const free = model.nodes.find((n) => n.layer === "param");
  if (free) throw new ExportError(`the parameter \`${free.path}\` belongs to no layer, which the PyTorch export does not write yet`, free.span);
  if (model.inputs.length !== 1) {
    throw new ExportError(`the model \`${model.name}\` has ${model.inputs.length} inputs; training (in nnc and in the export) feeds exactly one`, model.span);
  }
  const loss = model.loss;
  if (!loss) throw new ExportError(`the model \`${model.name}\` has no loss`, model.span);

  // The module tree, from every parametric layer's path.
  const root: ModuleTree = { children: new Map(), leaf: null };
  const access = new Map<number, string>();
  for (const node of model.nodes) {
    if (node.params.length === 0 && node.state.length === 0) continue;
    const code = LAYER_CODE[node.layer];
    if (!code?.module) throw new ExportError(`the layer \`${node.layer}\` has no PyTorch module in the export`, node.span);
    const segments = node.path.split(".");
    let tree = root;
    let expression = "self";
    segments.forEach((segment, depth) => {
      const reserved = depth === 0 ? MODULE_ATTRIBUTES : MODULE_DICT_ATTRIBUTES;
      if (reserved.has(segment) || (depth === 0 && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment))) {
        throw new ExportError(
          `the layer path \`${node.path}\` has the part \`${segment}\`, which is a name nn.Module keeps for itself in PyTorch; rename the binding`,
          node.span,
        );
      }
      expression = depth === 0 ? (isKeyword(segment) ? `getattr(self, ${pyString(segment)})` : `self.${segment}`) : `${expression}[${pyString(segment)}]`;
      let child = tree.children.get(segment);
      if (!child) {
        child = { children: new Map(), leaf: null };
        tree.children.set(segment, child);
      }
      tree = child;
    });
    if (tree.leaf !== null || tree.children.size > 0) throw new ExportError(`two layers share the path \`${node.path}\``, node.span);
    tree.leaf = code.module(node, model);
    access.set(node.id, expression);
  }
  for (const [, child] of root.children) if (child.leaf === null && child.children.size === 0) throw new ExportError("an empty module path");

  const needed = (roots: number[]) => {
    const seen = new Set<number>();
    const visit = (id: number) => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const input of model.nodes[id]!.inputs) visit(input);
    };
    roots.forEach(visit);
    return seen;
  };

  const names = new Identifiers();
  const variables = new Map<number, string>();
  const input = model.inputs[0]!;
  const inputName = names.take(input.name);
  const lastOfBinding = new Map<string, number>();
  for (const node of model.nodes) if (node.binding) lastOfBinding.set(node.binding, node.id);
  for (const node of model.nodes) {
    if (node.layer === "input" || node.layer === "target") continue;
    const base = node.binding && lastOfBinding.get(node.binding) === node.id ? node.binding : `${node.binding ?? node.layer}_${node.layer}`;
    variables.set(node.id, names.take(base));
  }
  variables.set(input.node, inputName);

  const body = (ids: Set<number>, indent: string) => {
    const lines: string[] = [];
    for (const node of model.nodes) {
      if (!ids.has(node.id) || node.layer === "input") continue;
      if (node.layer === "target") throw new ExportError("a target is used in the network; only the loss may read a target", node.span);
      const code = LAYER_CODE[node.layer];
      if (!code) throw new ExportError(`the layer \`${node.layer}\` cannot be exported to PyTorch yet`, node.span);
      const args = node.inputs.map((i) => variables.get(i)!);
      lines.push(`${indent}${variables.get(node.id)} = ${code.call(node, args, access.get(node.id) ?? "", model)}`);
    }
    return lines;
  };

  const predictionIds = needed([loss.prediction]);
  const outputs = model.outputs.length > 0 ? model.outputs : [{ name: "prediction", node: loss.prediction }];
  const outputIds = needed(outputs.map((o) => o.node));

  const className = names.take(toClassName(model.name));
  const lines: string[] = [];
  lines.push(`class ${className}(nn.Module):`);
  lines.push(`    """The model \`${model.name}\`.`);
  lines.push("");
  lines.push("    Parameters and buffers under nnc's names, in PyTorch's layouts.");
  lines.push(`    """`);
  lines.push("");
  lines.push("    def __init__(self):");
  lines.push("        super().__init__()");
  for (const [name, child] of root.children) {
    // A Python keyword (`lambda`, `in`, …) is a fine state_dict key but not an attribute name.
    if (isKeyword(name)) lines.push(`        self.add_module(${pyString(name)}, ${renderTree(child, "        ")})`);
    else lines.push(`        self.${name} = ${renderTree(child, "        ")}`);
  }
  lines.push("        self.reset_parameters()");
  lines.push("");
  lines.push("    def reset_parameters(self):");
  lines.push(`        """nnc's initializers with torch.nn.init's formulas (torch's generator: other draws)."""`);
  lines.push("        with torch.no_grad():");
  for (const node of model.nodes) {
    for (const p of node.params) {
      const init = p.init ?? (p.role === "weight" && defaultInit ? defaultInit : { kind: "torch_default" as const });
      lines.push(`            ${initCall(`self.get_parameter(${pyString(p.name)})`, init, p.fanIn, p.fanOut)}`);
    }
  }
  if (!model.nodes.some((n) => n.params.length > 0)) lines.push("            pass");
  lines.push("");
  lines.push(`    def forward(self, ${inputName}):`);
  lines.push(`        """The loss's prediction (${predictionKind(model)})."""`);
  lines.push(...body(predictionIds, "        "));
  lines.push(`        return ${variables.get(loss.prediction)}`);
  lines.push("");
  lines.push(`    def outputs(self, ${inputName}):`);
  lines.push(`        """The model's outputs, by name."""`);
  lines.push(...body(outputIds, "        "));
  lines.push(`        return {${outputs.map((o) => `${pyString(o.name)}: ${variables.get(o.node)}`).join(", ")}}`);

  const reachesLoss = new Set<string>();
  for (const id of predictionIds) for (const p of model.nodes[id]!.params) reachesLoss.add(p.name);
  return {
    className,
    code: lines.join("\n"),
    batchNorms: model.nodes.filter((n) => n.layer === "batchnorm").length,
    unusedByLoss: model.params.some((p) => !reachesLoss.has(p.name)),
  };
}

function renderTree(tree: ModuleTree, indent: string): string {
  if (tree.leaf !== null) return tree.leaf;
  const entryIndent = `${indent}        `;
  const entries = [...tree.children].map(([key, child]) => `${entryIndent}${pyString(key)}: ${renderTree(child, entryIndent)},`);
  return `nn.ModuleDict(\n${indent}    {\n${entries.join("\n")}\n${indent}    }\n${indent})`;
}

function toClassName(name: string): string {
  const camel = name.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9_]/g, "");
  return /^[A-Za-z_]/.test(camel) ? camel : `Model${camel}`;
}

function predictionKind(model: CheckedModel): string {
  switch (model.loss!.kind) {
    case "cross_entropy":
      return "logits";
    case "bce_with_logits":
      return "logits";
    case "mse":
      return "values";
    default:
      return "scores";
  }
}

// torch.nn.init with nnc's formulas (runtime/train/init.ts).
function initCall(target: string, init: Initializer, fanIn: number, fanOut: number): string {
  switch (init.kind) {
    case "zeros":
      return `nn.init.zeros_(${target})`;
    case "ones":
      return `nn.init.ones_(${target})`;
    case "constant":
      return `nn.init.constant_(${target}, ${pyFloat(init.value)})`;
    case "values":
      return `${target}.copy_(torch.tensor([${init.values.map(pyFloat).join(", ")}]).reshape(${target}.shape))`;
    case "uniform":
      return `nn.init.uniform_(${target}, ${pyFloat(init.low)}, ${pyFloat(init.high)})`;
    case "normal":
      return `nn.init.normal_(${target}, mean=${pyFloat(init.mean)}, std=${pyFloat(init.std)})`;
    case "glorot_uniform":
      return `nn.init.uniform_(${target}, -${bound(init.gain, `math.sqrt(6 / ${fanIn + fanOut})`)}, ${bound(init.gain, `math.sqrt(6 / ${fanIn + fanOut})`)})`;
    case "glorot_normal":
      return `nn.init.normal_(${target}, mean=0.0, std=${bound(init.gain, `math.sqrt(2 / ${fanIn + fanOut})`)})`;
    case "he_uniform":
      return `nn.init.uniform_(${target}, -${bound(init.gain, `math.sqrt(3 / ${fanIn})`)}, ${bound(init.gain, `math.sqrt(3 / ${fanIn})`)})`;
    case "he_normal":
      return `nn.init.normal_(${target}, mean=0.0, std=${pyFloat(init.gain)} / math.sqrt(${fanIn}))`;
    case "torch_default":
      // kaiming_uniform_(a=√5) for weights is U(±1/√fan_in); biases use the same bound.
      return fanIn > 0 ? `nn.init.uniform_(${target}, -1 / math.sqrt(${fanIn}), 1 / math.sqrt(${fanIn}))` : `nn.init.zeros_(${target})`;
  }
}

const bound = (gain: number, root: string) => (gain === 1 ? root : `(${pyNumber(gain)} * ${root})`);
