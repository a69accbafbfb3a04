// A checkpoint's weights file (format `nnc-checkpoint-3`, checkpoint.ts describes it) as tensors
// and metadata, and whether a checkpoint fits a model: everything about checkpoints that needs no
// file, so that a generated module's `saveWeights` and `loadWeights` (runtime/model/) write and read
// the same files as `nnc run --save` and `nnc eval` in a web page. checkpoint.ts writes them to
// disk with the optimizer's companion; checkpoint-read.ts decodes them.

import type { ParamInfo, StateInfo } from "../../compiler/ir/graph.ts";
import type { Standardizer } from "../data/standardize.ts";
import { BATCHES_TRACKED } from "./checkpoint-read.ts";
import { encodeJson } from "./json-numbers.ts";
import type { SavedOptimizer } from "./optimizer-tensors.ts";
import type { WritableTensor } from "./safetensors-codec.ts";

export const CHECKPOINT_FORMAT = "nnc-checkpoint-3";
export const NNC_VERSION = "0.1.0";

export interface CheckpointContent {
  model: string;
  params: Record<string, Float32Array>; // in the model's parameter order
  state: Record<string, Float32Array>;
  // Shapes as the checkpoint stores them (for compatibility messages); filled in when loading.
  shapes?: Record<string, number[]>;
  // Batch norm's `…num_batches_tracked` counters by name; filled in when loading (checked, and
  // matched with the model's batch norms, but otherwise unused).
  batchesTracked?: Record<string, number>;
  // Null when the file holds none, or (format 3) when the load did not ask for it.
  optimizer: SavedOptimizer | null;
  standardizer: Standardizer | null;
  progress: { epoch: number; step: number };
  scheduleState: Record<string, number> | null;
  earlyStoppingState: Record<string, number> | null;
  // The run's seed. Every random stream of a run (batch order, dropout masks) is derived from the
  // seed and the epoch or step, so with `progress` it is the whole random state.
  seed?: number | null;
  // Filled in when loading: the nnc version and format that wrote the file (null for files that
  // nnc did not write, such as a PyTorch state_dict).
  writtenBy?: { nnc: string; format: string } | null;
}

const RUNNING_MEAN = ".running_mean";

// The weights file's tensors (the parameters, the batch-norm statistics and each batch norm's
// `num_batches_tracked`) and its metadata, without the optimizer's companion (checkpoint.ts adds
// `optimizer_file` when it writes one). `shapes` gives each tensor's shape by name.
export function checkpointTensors(content: CheckpointContent, shapes: Record<string, number[]>): { tensors: Record<string, WritableTensor>; metadata: Record<string, string> } {
  const tensors: Record<string, WritableTensor> = {};
  for (const [name, data] of [...Object.entries(content.params), ...Object.entries(content.state)]) {
    tensors[name] = { shape: shapes[name] ?? [data.length], data };
  }
  // Batch norm is the one layer with a running mean; PyTorch's module has a counter beside it.
  for (const name of Object.keys(content.state)) {
    if (name.endsWith(RUNNING_MEAN)) {
      tensors[name.slice(0, -RUNNING_MEAN.length) + BATCHES_TRACKED] = { shape: [], dtype: "I64", data: BigInt64Array.of(BigInt(content.progress.step)) };
    }
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    nnc_version: NNC_VERSION,
    model: content.model,
    progress: encodeJson(content.progress),
    params: encodeJson(Object.keys(content.params)),
    state: encodeJson(Object.keys(content.state)),
  };
  if (content.seed !== undefined && content.seed !== null) metadata.seed = encodeJson(content.seed);
  if (content.standardizer) metadata.standardize = encodeJson({ mean: Array.from(content.standardizer.mean), std: Array.from(content.standardizer.std) });
  if (content.scheduleState) metadata.schedule = encodeJson(content.scheduleState);
  if (content.earlyStoppingState) {
    metadata.early_stopping = encodeJson(content.earlyStoppingState);
    // For people reading the file: the best value of the watched metric and its epoch.
    const { best, bestEpoch } = content.earlyStoppingState;
    if (best !== undefined) metadata.best_metric = encodeJson({ value: best, epoch: bestEpoch ?? null });
  }
  return { tensors, metadata };
}

const show = (shape: readonly number[]) => `[${shape.join(", ")}]`;

// Problems that keep the checkpoint from fitting the model, one sentence each, naming the tensor
// and, for a shape mismatch, both shapes. Batch-norm statistics that a weights-only file lacks are
// not a problem (they keep their initial values); tensors the model lacks are. Tensors loaded as
// parameters that the model knows as state are moved to the state. A `…num_batches_tracked` is
// accepted for each of the model's batch norms (PyTorch's BatchNorm has one; nnc does not use it).
export function checkCompatible(content: CheckpointContent, params: ParamInfo[], state: StateInfo[]): string[] {
  const problems: string[] = [];
  const shapes = content.shapes ?? {};
  for (const s of state) {
    if (content.params[s.name] && !content.state[s.name]) {
      content.state[s.name] = content.params[s.name]!;
      delete content.params[s.name];
    }
  }
  const expected = new Map<string, number[]>([...params.map((p) => [p.name, p.shape] as const), ...state.map((s) => [s.name, s.shape] as const)]);
  for (const p of params) {
    if (!content.params[p.name]) problems.push(`missing parameter \`${p.name}\` (the model has ${show(p.shape)})`);
  }
  for (const [name, data] of [...Object.entries(content.params), ...Object.entries(content.state)]) {
    const want = expected.get(name);
    if (!want) {
      problems.push(`unexpected tensor \`${name}\` ${show(shapes[name] ?? [data.length])}: the model has no parameter or state of that name`);
      continue;
    }
    const have = shapes[name] ?? [data.length];
    const sameSize = data.length === want.reduce((a, b) => a * b, 1);
    if (!sameSize || (shapes[name] && show(have) !== show(want))) {
      problems.push(`\`${name}\` has shape ${show(have)} in the checkpoint but ${show(want)} in the model`);
    }
  }
  const batchNorms = new Set(state.filter((s) => s.name.endsWith(RUNNING_MEAN)).map((s) => s.name.slice(0, -RUNNING_MEAN.length)));
  for (const name of Object.keys(content.batchesTracked ?? {})) {
    const layer = name.slice(0, -BATCHES_TRACKED.length);
    if (!batchNorms.has(layer)) problems.push(`unexpected tensor \`${name}\` []: the model has no batch norm \`${layer}\``);
  }
  return problems;
}
