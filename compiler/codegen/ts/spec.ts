// A checked model and its train block as the spec a generated module holds (runtime/model/spec.ts):
// the programs a run needs, built as `nnc run` builds them (runtime/session.ts), the same programs
// compiled for WebGPU (webgpu.ts), the settings the training loop reads, the model's inputs and
// outputs with their shapes, and trained weights when given.

import type { CheckedModel } from "../../analyze/model-types.ts";
import type { TrainConfig } from "../../ir/config.ts";
import type { Graph } from "../../ir/graph.ts";
import type { ModelPrograms } from "../../step/programs.ts";
import type { MatmulVariant } from "../wgsl/matmul.ts";
import { compilePrograms } from "../../../runtime/session.ts";
import { NNC_VERSION } from "../../../runtime/train/checkpoint-format.ts";
import { decodeWeights } from "../../../runtime/model/weights.ts";
import { MODEL_SPEC_FORMAT, toBase64, type ModelConfig, type ModelIo, type ModelSpec } from "../../../runtime/model/spec.ts";
import { compileForWebGpu } from "./webgpu.ts";

export interface SpecSource {
  file: string;
  model: CheckedModel;
  config: TrainConfig;
  trainGraph: Graph;
  evalGraph: Graph;
}

export interface SpecOptions {
  matmul: MatmulVariant;
  // A weights file to embed; it must fit the model (decodeWeights throws a CheckpointError naming
  // `weightsName` otherwise).
  weights?: { bytes: Uint8Array; name: string } | null;
  names?: { featureNames: string[] | null; classNames: string[] | null };
}

export function buildModelSpec(source: SpecSource, options: SpecOptions): ModelSpec {
  const { model, config } = source;
  const programs = embeddable(compilePrograms(source, config));
  const io = modelIo(source, programs, options.names ?? { featureNames: null, classNames: null });
  if (options.weights) decodeWeights(programs, options.weights.bytes, options.weights.name, io.input.shape.reduce((a, b) => a * b, 1));
  const { batch, epochs, shuffle, seed, optimizer, schedule, early_stopping, clip_grad_norm, metrics, standardize, target_encoding } = config;
  const settings: ModelConfig = { model: model.name, batch, epochs, shuffle, seed, optimizer, schedule, early_stopping, clip_grad_norm, metrics, standardize, target_encoding };
  return {
    format: MODEL_SPEC_FORMAT,
    nnc: NNC_VERSION,
    name: model.name,
    file: source.file,
    io,
    config: settings,
    programs,
    webgpu: compileForWebGpu(programs, io.outputs.map((o) => o.name), options.matmul),
    weights: options.weights ? toBase64(options.weights.bytes) : null,
  };
}

// The programs as JSON data: the spans that point into the .nn file are dropped (nothing at run
// time reads them), everything else is kept as it is.
function embeddable(programs: ModelPrograms): ModelPrograms {
  const copy = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(copy);
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, key === "span" ? null : copy(v)]));
  };
  return copy(programs) as ModelPrograms;
}

function modelIo(source: SpecSource, programs: ModelPrograms, names: NonNullable<SpecOptions["names"]>): ModelIo {
  const { trainGraph, model } = source;
  const input = trainGraph.inputs.find((i) => i.role === "input")!;
  const target = trainGraph.inputs.find((i) => i.role === "target")!;
  const shapeOf = (shape: (number | string)[]) => shape.slice(1).map(Number);
  const inference = programs.inference;
  const outputs = [...model.outputs.map((o) => o.name), "prediction"].map((name) => ({ name, shape: shapeOf(inference.nodes[inference.outputs[name]!]!.shape) }));
  return {
    input: { name: input.name, shape: shapeOf(input.shape) },
    target: { name: target.name, shape: shapeOf(target.shape), kind: target.dtype === "i32" ? "class" : "real", classes: target.classes },
    outputs,
    loss: model.loss!.kind,
    featureNames: names.featureNames,
    classNames: names.classNames,
  };
}
