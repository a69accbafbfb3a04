// What a generated module holds (`nnc compile model.nn -o model.ts`): a model compiled ahead of
// time, as plain JSON data, that runtime/model/model.ts runs with nothing of the compiler:
//
//   - `programs`: the IR graphs of the training step, the evaluation and inference
//     (compiler/step/programs.ts), which the CPU runtime executes;
//   - `webgpu`: the same programs compiled for WebGPU (the WGSL of every dispatch, its bindings,
//     every value's place: compiler/codegen/wgsl/dispatches.ts), planned for WebGPU's default
//     limits and for resident arenas of `maxArenaElements`, with a matmul variant that every
//     adapter runs (no subgroups, whose sizes differ between adapters);
//   - `config`: the train block's settings the training loop reads, and `io`: the input, the
//     target and the outputs with their shapes, and the names the training data gave features
//     and classes;
//   - `weights`: trained weights (`--weights`), a weights file as base64, or null.
//
// The text is JSON, except that non-finite numbers (a constant −∞ in a graph) are written as
// {"nnc:number": "-Infinity"}, which no other value of the spec looks like.

import type { CompiledProgram } from "../../compiler/codegen/wgsl/dispatches.ts";
import type { LossKind } from "../train/metrics.ts";
import type { TrainConfig } from "../../compiler/ir/config.ts";
import type { ModelPrograms } from "../../compiler/step/programs.ts";
import type { ProgramKey } from "../webgpu/resident.ts";

export const MODEL_SPEC_FORMAT = "nnc-model-1";

export interface ModelSpec {
  format: typeof MODEL_SPEC_FORMAT;
  nnc: string; // the nnc version that compiled it
  name: string; // the model's name in its .nn file
  file: string; // the .nn file, as given to `nnc compile`
  io: ModelIo;
  config: ModelConfig;
  programs: ModelPrograms;
  webgpu: WebGpuPrograms;
  weights: string | null; // a weights file (nnc-checkpoint-3) in base64
}

// The train block's settings a model needs to train as `nnc run` does.
export type ModelConfig = Pick<
  TrainConfig,
  "model" | "batch" | "epochs" | "shuffle" | "seed" | "optimizer" | "schedule" | "early_stopping" | "clip_grad_norm" | "metrics" | "standardize" | "target_encoding"
>;

export interface ModelIo {
  input: { name: string; shape: number[] }; // one example's shape, without the batch dimension
  // "class": integer labels 0..classes−1, one per example; "real": `shape` values per example.
  target: { name: string; shape: number[]; kind: "class" | "real"; classes: number | null };
  outputs: { name: string; shape: number[] }[]; // the model's outputs, then "prediction"
  loss: LossKind;
  featureNames: string[] | null; // the training data's names for the input's features, when it has them
  classNames: string[] | null; // the training data's names for the classes, when it has them
}

export interface WebGpuPrograms {
  maxArenaElements: number; // the resident arenas' size the programs address (resident.ts)
  matmul: string; // the matmul variant they compute with
  programs: Partial<Record<ProgramKey, CompiledProgram>>;
}

const NON_FINITE = "nnc:number";

export function encodeModelSpec(spec: ModelSpec): string {
  return JSON.stringify(spec, (_key, value: unknown) => (typeof value === "number" && !Number.isFinite(value) ? { [NON_FINITE]: String(value) } : value));
}

export function decodeModelSpec(text: string): ModelSpec {
  const spec = JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    return keys.length === 1 && keys[0] === NON_FINITE ? Number((value as Record<string, string>)[NON_FINITE]) : value;
  }) as Partial<ModelSpec>;
  if (spec.format !== MODEL_SPEC_FORMAT) {
    throw new Error(`nnc: this model was compiled into the format ${JSON.stringify(spec.format ?? null)}, and this nnc/runtime reads ${MODEL_SPEC_FORMAT}; compile it again with this nnc`);
  }
  return spec as ModelSpec;
}

// The bytes of base64 text, and back, with what every browser and Node have (atob, btoa).
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000; // String.fromCharCode takes its arguments on the stack
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}
