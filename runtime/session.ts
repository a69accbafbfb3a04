// From a checked model to a ready training backend: the one path the CLI, the tests and the
// benchmark take. It compiles the model's programs (compiler/step/programs.ts) and opens the
// backend that was asked for, or picks one: WebGPU on a hardware adapter, the CPU runtime
// otherwise (a software adapter such as lavapipe or SwiftShader shares the CPU with everything
// else, so it is used only when asked for), and says which it picked and why.

import type { CheckedModel } from "../compiler/analyze/model-types.ts";
import type { TrainConfig } from "../compiler/ir/config.ts";
import type { Graph } from "../compiler/ir/graph.ts";
import { buildPrograms, type ModelPrograms } from "../compiler/step/programs.ts";
import { createSchedule } from "./train/schedules/index.ts";
import type { TrainingBackend } from "./train/backend.ts";
import { CpuBackend } from "./train/cpu-backend.ts";
import { withMomentum } from "./train/loop.ts";
import { GpuUnavailableError, openGpu, type GpuContext } from "./webgpu/device.ts";

export type BackendRequest = "auto" | "cpu" | "webgpu";

export interface CompiledModel {
  model: CheckedModel;
  trainGraph: Graph;
  evalGraph: Graph;
}

export interface Session {
  programs: ModelPrograms;
  backend: TrainingBackend;
  // Why this backend: "as asked", "a hardware adapter", "no WebGPU adapter: …".
  reason: string;
  dispose(): void;
}

export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackendUnavailableError";
  }
}

// The programs a run needs. A schedule that cycles momentum starts the optimizer at its first
// momentum, so the momentum buffers exist from the first step.
export function compilePrograms(compiled: CompiledModel, config: TrainConfig, options: { gradNorms?: boolean } = {}): ModelPrograms {
  const initialMomentum = createSchedule(config.schedule, { baseLr: config.optimizer.lr, stepsPerEpoch: 1, epochs: config.epochs }).initialMomentum;
  const optimizer = initialMomentum === null ? config.optimizer : withMomentum(config.optimizer, initialMomentum);
  return buildPrograms(compiled.trainGraph, compiled.evalGraph, { ...config, optimizer }, compiled.model.loss, options);
}

export interface SessionOptions {
  backend?: BackendRequest;
  device?: GPUDevice; // train on this device (WebGPU)
  gradNorms?: boolean;
  warmBatch?: number; // WebGPU: dispatch every kernel once at this batch size before training
}

export async function createSession(
  compiled: CompiledModel,
  config: TrainConfig,
  initial: { params: Float32Array[]; state: Float32Array[] },
  options: SessionOptions = {},
): Promise<Session> {
  const programs = compilePrograms(compiled, config, { gradNorms: options.gradNorms });
  const request = options.backend ?? (options.device ? "webgpu" : "auto");
  const cpu = (reason: string): Session => ({ programs, backend: new CpuBackend(programs, initial), reason, dispose() {} });
  if (request === "cpu") return cpu("as asked");

  let gpu: GpuContext;
  try {
    gpu = await openGpu({ allowSoftware: request === "webgpu", device: options.device });
  } catch (error) {
    if (!(error instanceof GpuUnavailableError)) throw error;
    if (request === "webgpu") throw new BackendUnavailableError(`the WebGPU backend is not available: ${error.message}`);
    return cpu(error.message.startsWith("the only WebGPU adapter is a software one") ? `${error.message}, used only when asked for with \`--backend webgpu\`` : error.message);
  }
  try {
    // Loaded only here, so a CPU run never loads the WGSL generators.
    const [{ WebGpuBackend }, { compilingSource }] = await Promise.all([import("./webgpu/backend.ts"), import("./webgpu/compile.ts")]);
    const backend = await WebGpuBackend.create(gpu, compilingSource(gpu), programs, initial, { warmBatch: options.warmBatch });
    return {
      programs,
      backend,
      reason: request === "webgpu" ? "as asked" : "a hardware GPU",
      dispose() {
        backend.dispose();
        gpu.destroy();
      },
    };
  } catch (error) {
    gpu.destroy();
    throw error;
  }
}
