/// <reference types="@webgpu/types" preserve="true" />
// `nnc`, the package's Node entry: compile and check .nn files, and train, evaluate and run their
// models, as the command line does, from a program. docs/API.md documents every export with an
// example. What a model needs to run in a web page is the other entry, `nnc/runtime`.

// Compiling: a file to a model ready to train, with errors as a CompileError holding the
// diagnostics; and the compiler's own entry (parse, check, lower) for tools that want every
// diagnostic as data.
export { CompileError, compileFile, compileModel, loadData, type NncModel } from "./model.ts";
export { checkSource, compile, hasErrors, type CheckOptions, type CheckResult, type CompileOptions, type Compiled } from "../compiler/index.ts";
export { diagnosticsToJson, formatDiagnostics, type FormatOptions, type JsonDiagnostic } from "../compiler/diagnostics/print.ts";
export type { Diagnostic, Note, Severity } from "../compiler/diagnostics/diagnostic.ts";
export type { Span } from "../grammar/ast.ts";
export type { CheckedModel } from "../compiler/analyze/model-types.ts";
export type { TrainConfig } from "../compiler/ir/config.ts";
export type { Graph } from "../compiler/ir/graph.ts";

// Training: a trainer is a session on a backend with the training loop of `nnc run`.
export { createTrainer, Trainer, type FitOptions, type TrainerOptions } from "./trainer.ts";
export { BackendUnavailableError, type BackendRequest } from "../runtime/session.ts";
export { NonFiniteLossError, type EpochReport, type LoopHooks, type RunSummary, type StepProgress } from "../runtime/train/loop.ts";
export type { PreparedData } from "../runtime/train/prepare.ts";
export type { PassMetrics } from "../runtime/train/metrics.ts";
export type { Dataset } from "../runtime/data/dataset.ts";
export type { Standardizer } from "../runtime/data/standardize.ts";
export { DataError } from "../runtime/data/errors.ts";

// Weights on disk: safetensors files, as PyTorch's safetensors.torch reads and writes them.
export { CheckpointError, readSafetensors, writeSafetensors, type SafetensorsFile, type Tensor, type WritableTensor } from "../runtime/train/safetensors.ts";
