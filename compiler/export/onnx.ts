// `nnc export --to onnx`: the evaluation graph (dropout off, batch norm on its running statistics)
// cut down to the model's declared outputs (or its prediction when it declares none), with the
// checkpoint's weights as initializers and its standardization applied to the raw input first.
// The batch dimension stays symbolic. The protobuf encoding is onnx-proto's (protobufjs code
// generated from ONNX's own onnx.proto), not hand-written bytes.

import onnxProto from "onnx-proto";
import type { CheckedModel } from "../analyze/model-types.ts";
import type { Graph, IRNode, Shape } from "../ir/graph.ts";
import type { CheckpointContent } from "../../runtime/train/checkpoint.ts";
import { ExportError } from "./errors.ts";
import { ONNX_ROWS, type OnnxBuilder } from "./onnx-ops.ts";

const { onnx } = onnxProto;

export const ONNX_OPSET = 13;
const IR_VERSION = 7; // the IR version of opset 13 (ONNX 1.8)
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

export interface OnnxExportInput {
  model: CheckedModel;
  graph: Graph; // the evaluation graph
  checkpoint: CheckpointContent;
}

export function exportOnnx(input: OnnxExportInput): Uint8Array {
  const { model, graph, checkpoint } = input;
  if (model.objective) throw new ExportError(`the model \`${model.name}\` has no data (its loss is a formula over its parameters), so it has nothing to serve`, model.objective.span);
  const outputs = model.outputs.length > 0 ? model.outputs.map((o) => o.name) : ["prediction"];
  const roots = outputs.map((name) => graph.outputs[name]!);

  const needed = new Set<number>();
  const visit = (id: number) => {
    if (needed.has(id)) return;
    needed.add(id);
    for (const i of graph.nodes[id]!.inputs) visit(i);
  };
  roots.forEach(visit);

  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  const inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  const names = new Map<number, string>(); // IR node → its ONNX tensor name
  let counter = 0;
  const fresh = (hint: string) => `${hint}_${counter++}`;

  const floatTensor = (name: string, values: ArrayLike<number>, dims: number[]) => {
    const data = Float32Array.from(values);
    initializers.push(onnx.TensorProto.create({ name, dataType: FLOAT, dims, rawData: new Uint8Array(data.buffer) }));
    return name;
  };
  const int64Tensor = (name: string, values: number[]) => {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    initializers.push(onnx.TensorProto.create({ name, dataType: INT64, dims: [values.length], rawData: new Uint8Array(data.buffer) }));
    return name;
  };
  const attribute = (name: string, value: number | number[]) => {
    const A = onnx.AttributeProto.AttributeType;
    if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: A.INTS, ints: value });
    if (Number.isInteger(value) && name !== "alpha") return onnx.AttributeProto.create({ name, type: A.INT, i: value });
    return onnx.AttributeProto.create({ name, type: A.FLOAT, f: value });
  };

  // Where each symbolic size can be read at run time: an axis of a graph input.
  const symbolic = new Map<string, { input: string; axis: number }>();
  const shapeSlices = new Map<string, string>();
  const builder: OnnxBuilder = {
    node(opType, nodeInputs, attributes = {}, output) {
      const out = output ?? fresh(opType.toLowerCase());
      nodes.push(
        onnx.NodeProto.create({
          opType,
          name: out,
          input: nodeInputs,
          output: [out],
          attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
        }),
      );
      return out;
    },
    int64s: (values) => int64Tensor(fresh("ints"), values),
    floats: (values, dims) => floatTensor(fresh("const"), values, dims),
    shapeOf(shape: Shape) {
      if (shape.every((d) => typeof d === "number")) return int64Tensor(fresh("shape"), shape as number[]);
      const pieces = shape.map((d) => {
        if (typeof d === "number") return int64Tensor(fresh("dim"), [d]);
        const source = symbolic.get(d);
        if (!source) throw new ExportError(`the size \`${d}\` is not the size of any input, so ONNX cannot read it at run time`);
        const key = `${source.input}:${source.axis}`;
        if (!shapeSlices.has(key)) {
          const full = this.node("Shape", [source.input]);
          shapeSlices.set(key, this.node("Slice", [full, this.int64s([source.axis]), this.int64s([source.axis + 1]), this.int64s([0])]));
        }
        return shapeSlices.get(key)!;
      });
      return this.node("Concat", pieces, { axis: 0 });
    },
    input: (node, i) => names.get(node.inputs[i]!)!,
    rank: (node, i) => graph.nodes[node.inputs[i]!]!.shape.length,
  };

  for (const node of graph.nodes) {
    if (!needed.has(node.id)) continue;
    names.set(node.id, source(node) ?? row(node));
  }

  function source(node: IRNode): string | null {
    switch (node.op) {
      case "input": {
        const name = (node.attrs as { name: string }).name;
        const declared = graph.inputs.find((i) => i.node === node.id);
        if (!declared || declared.role !== "input") throw new ExportError(`the target \`${name}\` is needed to compute an output`);
        inputs.push(valueInfo(name, node.shape));
        node.shape.forEach((d, axis) => {
          if (typeof d === "string" && !symbolic.has(d)) symbolic.set(d, { input: name, axis });
        });
        if (!checkpoint.standardizer) return name;
        // The standardization saved with the weights, on the raw input: (x − mean) / std.
        const features = node.shape.slice(1) as number[];
        const mean = floatTensor(fresh("standardize_mean"), checkpoint.standardizer.mean, features);
        const std = floatTensor(fresh("standardize_std"), checkpoint.standardizer.std, features);
        return builder.node("Div", [builder.node("Sub", [name, mean]), std], {}, "standardized_" + name);
      }
      case "param":
      case "state": {
        const name = (node.attrs as { name: string }).name;
        const values = node.op === "param" ? checkpoint.params[name] : checkpoint.state[name];
        if (!values) throw new ExportError(`the checkpoint has no \`${name}\``);
        return floatTensor(name, values, node.shape as number[]);
      }
      case "const": {
        const value = (node.attrs as { value: number }).value;
        if (node.shape.some((d) => typeof d !== "number")) throw new ExportError(`a constant of symbolic shape ${JSON.stringify(node.shape)}`);
        const size = (node.shape as number[]).reduce((a, b) => a * b, 1);
        return floatTensor(fresh("const"), new Float32Array(size).fill(value), node.shape as number[]);
      }
      default:
        return null;
    }
  }

  function row(node: IRNode): string {
    const write = ONNX_ROWS[node.op];
    if (!write) throw new ExportError(`the op \`${node.op}\` has no ONNX form (it is not part of an inference graph)`, node.span);
    return write(builder, node);
  }

  const graphOutputs = outputs.map((name, i) => {
    builder.node("Identity", [names.get(roots[i]!)!], {}, name);
    return valueInfo(name, graph.nodes[roots[i]!]!.shape);
  });

  const onnxGraph = onnx.GraphProto.create({
    name: model.name,
    node: nodes,
    initializer: initializers,
    input: inputs,
    output: graphOutputs,
    docString: `The inference graph of the model \`${model.name}\`, exported by nnc.`,
  });
  const onnxModel = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: ONNX_OPSET })],
    producerName: "nnc",
    producerVersion: "0.1.0",
    graph: onnxGraph,
  });
  return onnx.ModelProto.encode(onnxModel).finish();
}

function valueInfo(name: string, shape: Shape) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: shape.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        }),
      }),
    }),
  });
}
