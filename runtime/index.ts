/// <reference types="@webgpu/types" preserve="true" />
// `nnc/runtime`: what runs a compiled model, in Node or in a web page. It holds the two backends
// (the CPU runtime and WebGPU), opening a WebGPU device, initial weights, batches, standardization
// and the safetensors format, and nothing of the compiler's front end (no parser, no checker) and
// no Node module: test/package/runtime-entry.test.ts bundles it for a browser and fails if either
// is reachable. Generated model modules (`nnc compile -o`) import only this entry.
//
// Reading and writing files, checkpoints on disk, and compiling .nn files are the Node entry's
// (`nnc`, api/index.ts).

// A model compiled ahead of time (what a generated module holds): created on WebGPU or the CPU,
// trained with `nnc run`'s loop, evaluated, run, its weights saved and loaded as safetensors bytes.
export { createModel, Model, type CreateModelOptions, type RunOptions, type TrainStep } from "./model/model.ts";
export type { Examples, TrainingData } from "./model/data.ts";
export { decodeModelSpec, encodeModelSpec, MODEL_SPEC_FORMAT, type ModelConfig, type ModelIo, type ModelSpec, type WebGpuPrograms } from "./model/spec.ts";
export { NonFiniteLossError, type EpochReport, type RunSummary, type StepProgress } from "./train/loop.ts";

// The backends: both run the programs compiled from a model (compiler/step/programs.ts) behind one
// interface, `TrainingBackend`.
export type { StepResult, TensorState, TrainingBackend, TrainingBatch } from "./train/backend.ts";
export { CpuBackend } from "./train/cpu-backend.ts";
export { WebGpuBackend } from "./webgpu/backend.ts";
export type { ModelPrograms } from "../compiler/step/programs.ts";
export type { PassMetrics } from "./train/metrics.ts";

// A WebGPU device: the page's `navigator.gpu`, Dawn (the `webgpu` package) in Node, or one the
// caller already has.
export {
  type AdapterDescription,
  adapterName,
  GpuLimitError,
  GpuLostError,
  GpuUnavailableError,
  openGpu,
  type GpuContext,
  type OpenOptions,
} from "./webgpu/device.ts";

// Weights and data.
export { initializeParams, initializeState } from "./train/init.ts";
export { type Batch, type BatchOptions, Batches } from "./data/batches.ts";
export { type Dataset, subset, type TargetArray, targetFeed } from "./data/dataset.ts";
export { applyStandardizer, fitStandardizer, type Standardizer, standardizeInto } from "./data/standardize.ts";

// The safetensors format as bytes (files in Node: `readSafetensors`/`writeSafetensors` in `nnc`).
export {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  type Int64Tensor,
  type SafetensorsFile,
  type Tensor,
  type WritableTensor,
} from "./train/safetensors-codec.ts";
