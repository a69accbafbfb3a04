// A model's weights as bytes: the weights file of an nnc checkpoint (format nnc-checkpoint-3,
// runtime/train/checkpoint.ts), which `nnc run --save` writes and `nnc eval`, `nnc predict` and
// `nnc run --init` read, with its standardization in the metadata. The optimizer's state, which
// `nnc run` keeps in a companion file for `--resume`, is not part of it: a module saves weights
// only, so `nnc run --init` takes its files and `--resume` refuses them.

import type { ParamInfo, StateInfo } from "../../compiler/ir/graph.ts";
import type { ModelPrograms } from "../../compiler/step/programs.ts";
import type { Standardizer } from "../data/standardize.ts";
import type { TensorState } from "../train/backend.ts";
import { checkCompatible, checkpointTensors } from "../train/checkpoint-format.ts";
import { checkStandardizer } from "../train/checkpoint-metadata.ts";
import { decodeCheckpoint } from "../train/checkpoint-read.ts";
import { CheckpointError, decodeSafetensors, encodeSafetensors } from "../train/safetensors-codec.ts";

export interface Weights {
  params: Float32Array[]; // in the model's parameter order
  state: Float32Array[]; // its batch-norm statistics, in order
  standardizer: Standardizer | null;
}

// The model's batch-norm statistics as the step graph declares them, in the model's order.
export function modelState(programs: ModelPrograms): StateInfo[] {
  return programs.modelState.map((name) => programs.step.graph.state.find((s) => s.name === name)!);
}

export function encodeWeights(
  programs: ModelPrograms,
  model: string,
  tensors: Pick<TensorState, "params" | "state">,
  about: { standardizer: Standardizer | null; progress: { epoch: number; step: number }; seed: number },
): Uint8Array {
  const shapes = Object.fromEntries([...programs.params, ...modelState(programs)].map((t) => [t.name, t.shape]));
  const content = { model, params: tensors.params, state: tensors.state, optimizer: null, scheduleState: null, earlyStoppingState: null, ...about };
  const { tensors: file, metadata } = checkpointTensors(content, shapes);
  return encodeSafetensors(file, metadata);
}

// Reads a weights file (any checkpoint nnc reads, or a PyTorch state_dict with the model's names)
// for the model; `name` names it in messages. One that does not fit throws a CheckpointError
// listing every mismatch; batch-norm statistics it lacks keep their initial values.
export function decodeWeights(programs: ModelPrograms, bytes: Uint8Array, name: string, inputWidth: number): Weights {
  const content = decodeCheckpoint(decodeSafetensors(bytes, name), name, null);
  const params: ParamInfo[] = programs.params;
  const state = modelState(programs);
  const problems = checkCompatible(content, params, state);
  if (problems.length > 0) throw new CheckpointError(name, `it does not fit the model: ${problems.join("; ")}`);
  if (content.standardizer) checkStandardizer(name, content.standardizer, inputWidth);
  return {
    params: params.map((p) => content.params[p.name]!),
    state: state.map((s) => content.state[s.name] ?? new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(s.init)),
    standardizer: content.standardizer,
  };
}
