// What the run, eval and predict commands share: choosing the backend, the starting weights
// (fresh from the seed, resumed from a checkpoint, or loaded with --init), and opening the
// session (runtime/session.ts) that runs the model on that backend.

import type { CheckedModel } from "../compiler/analyze/model-types.ts";
import type { TrainConfig } from "../compiler/ir/config.ts";
import type { Graph } from "../compiler/ir/graph.ts";
import { type CheckpointContent, checkCompatible, checkResumable, loadCheckpoint, type LoadOptions } from "../runtime/train/checkpoint.ts";
import { checkStandardizer } from "../runtime/train/checkpoint-metadata.ts";
import { CheckpointError } from "../runtime/train/safetensors.ts";
import { BackendUnavailableError, createSession, type BackendRequest, type Session } from "../runtime/session.ts";
import { initializeParams, initializeState } from "../runtime/train/init.ts";
import type { TargetInfo } from "../runtime/train/prepare.ts";
import { UserError } from "./user-error.ts";

// The help line every command that runs a model shows for --backend.
export const BACKEND_HELP = `  --backend NAME       where to run: auto (the default: WebGPU on a hardware GPU, else the CPU),
                       cpu, or webgpu (any WebGPU adapter, software ones such as lavapipe too)`;

export function backendRequest(command: string, requested: string | undefined): BackendRequest {
  if (requested === undefined) return "auto";
  if (requested === "auto" || requested === "cpu" || requested === "webgpu") return requested;
  throw new UserError(`nnc ${command}: unknown backend \`${requested}\`; choose \`auto\`, \`cpu\` or \`webgpu\``);
}

export function targetInfo(model: CheckedModel): TargetInfo {
  const target = model.targets[0];
  // A model without data (`data none`) reads no labels.
  if (!target && model.objective) return { kind: "real", classes: null, width: 0 };
  if (!target) throw new UserError(`the model \`${model.name}\` has no target, so it cannot be trained`);
  const width = target.shape.length > 1 ? Number(target.shape[target.shape.length - 1]) : 1;
  return { kind: target.kind, classes: target.classes, width: Number.isFinite(width) ? width : 1 };
}

export interface StartingPoint {
  params: Float32Array[];
  state: Float32Array[];
  resumed: CheckpointContent | null;
  checkpoint: CheckpointContent | null; // whatever was loaded (resume or init)
}

// `options.optimizer`: read the optimizer state too (a resume), from the companion file of a
// format-3 checkpoint.
export function readCheckpoint(command: string, path: string, graph: Graph, options: LoadOptions = {}): CheckpointContent {
  let content: CheckpointContent;
  try {
    content = loadCheckpoint(path, options);
  } catch (error) {
    if (error instanceof CheckpointError) throw new UserError(`nnc ${command}: ${error.message}`);
    throw error;
  }
  const problems = checkCompatible(content, graph.params, graph.state);
  if (problems.length) {
    throw new UserError(`nnc ${command}: ${path} does not fit the model:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  if (content.standardizer) {
    try {
      checkStandardizer(path, content.standardizer, inputWidth(graph));
    } catch (error) {
      if (error instanceof CheckpointError) throw new UserError(`nnc ${command}: ${error.message}`);
      throw error;
    }
  }
  return content;
}

// The number of features per example of the model's one input (what a standardizer scales), or
// null when the model has several inputs or a size that is not a number.
function inputWidth(graph: Graph): number | null {
  const inputs = graph.inputs.filter((i) => i.role === "input");
  if (inputs.length !== 1) return null;
  const width = inputs[0]!.shape.slice(1).reduce<number>((n, d) => n * Number(d), 1);
  return Number.isSafeInteger(width) ? width : null;
}

// The weights a run starts from. Fresh weights come from the seed; a resumed run takes everything
// from its checkpoint; --init takes only the weights (and batch-norm statistics if present).
export function startingPoint(command: string, graph: Graph, config: TrainConfig, from: { resume: string | null; init: string | null }): StartingPoint {
  const params = initializeParams(graph.params, config.seed);
  const state = initializeState(graph.state);
  const path = from.resume ?? from.init;
  if (!path) return { params, state, resumed: null, checkpoint: null };
  const content = readCheckpoint(command, path, graph, { optimizer: Boolean(from.resume) });
  const notResumable = from.resume ? checkResumable(content, config.optimizer.kind) : [];
  if (notResumable.length) throw new UserError(`nnc ${command}: cannot resume from ${path}: ${notResumable.join("; ")}`);
  graph.params.forEach((p, i) => params[i]!.set(content.params[p.name]!));
  graph.state.forEach((s, i) => {
    const saved = content.state[s.name];
    if (saved) state[i]!.set(saved);
  });
  return { params, state, resumed: from.resume ? content : null, checkpoint: content };
}

// Opens the model on the requested backend; a backend that cannot be had is the user's to fix
// (a missing adapter with --backend webgpu), so it is a UserError.
export async function openSession(
  command: string,
  loaded: { model: CheckedModel; trainGraph: Graph; evalGraph: Graph },
  config: TrainConfig,
  start: { params: Float32Array[]; state: Float32Array[] },
  request: BackendRequest,
  options: { gradNorms?: boolean; warmBatch?: number } = {},
): Promise<Session> {
  try {
    return await createSession(loaded, config, start, { backend: request, gradNorms: options.gradNorms, warmBatch: options.warmBatch });
  } catch (error) {
    if (error instanceof BackendUnavailableError) throw new UserError(`nnc ${command}: --backend webgpu: ${error.message}`);
    throw error;
  }
}

// The first line of a command's output: which backend, on what, and why.
export function backendLine(session: Session): string {
  return `backend: ${session.backend.kind} (${session.backend.description}; ${session.reason})`;
}
