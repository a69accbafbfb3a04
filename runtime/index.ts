/// <reference types="@webgpu/types" preserve="true" />
// `nnc/runtime`: what runs a compiled model, in Node or in a web page. It holds the two backends
// (the CPU runtime and WebGPU), opening a WebGPU device, initial weights, batches, standardization
// and the safetensors format, and nothing of the compiler's front end (no parser, no checker) and
// no Node module: test/package/runtime-entry.test.ts bundles it for a browser and fails if either
// is reachable. Generated model modules (`nnc compile -o`) will import only this entry.
//
// Reading and writing files, the training loop with its checkpoints, and compiling .nn files are
// the Node entry's (`nnc`, api/index.ts).

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
