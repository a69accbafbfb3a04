// Where a compiled model runs: the backend a model opens (the CPU runtime, or WebGPU on the
// programs its module compiled ahead of time), by the rule `nnc run` follows (runtime/session.ts),
// and the backend as the training loop sees it, observed so a model can report each step's loss.

import type { StepResult, TrainingBackend } from "../train/backend.ts";
import { CpuBackend } from "../train/cpu-backend.ts";
import { aheadOfTimeSource } from "../webgpu/ahead.ts";
import { WebGpuBackend } from "../webgpu/backend.ts";
import { GpuUnavailableError, openGpu } from "../webgpu/device.ts";
import type { CreateModelOptions } from "./model.ts";
import type { ModelSpec } from "./spec.ts";
import type { Weights } from "./weights.ts";

// The backend asked for (or chosen: WebGPU on a hardware adapter, else the CPU runtime), with the
// model's starting weights; `reason` says why, `release` frees what was opened with it.
export async function openBackend(spec: ModelSpec, start: Weights, options: CreateModelOptions): Promise<{ backend: TrainingBackend; reason: string; release: () => void }> {
  const initial = { params: start.params, state: start.state };
  const request = options.backend ?? (options.device ? "webgpu" : "auto");
  const cpu = (reason: string) => ({ backend: new CpuBackend(spec.programs, initial), reason, release: () => {} });
  if (request === "cpu") return cpu("as asked");
  let gpu;
  try {
    gpu = await openGpu({ allowSoftware: request === "webgpu", device: options.device });
  } catch (error) {
    if (!(error instanceof GpuUnavailableError) || request === "webgpu") throw error;
    return cpu(error.message);
  }
  try {
    const backend = await WebGpuBackend.create(gpu, aheadOfTimeSource(spec.webgpu), spec.programs, initial);
    return { backend, reason: request === "webgpu" ? "as asked" : "a hardware GPU", release: () => gpu.destroy() };
  } catch (error) {
    gpu.destroy();
    throw error;
  }
}

// The backend as the loop sees it, reporting what each training step (or L-BFGS's first loss and
// gradient of a step) will resolve to, so trainStep can return the loss of the step it took: the
// loop itself reads a step's loss only after issuing the next one.
export function tap(backend: TrainingBackend, issued: (result: Promise<{ loss: number; accuracy?: number | null }>) => void): TrainingBackend {
  return new Proxy(backend, {
    get(target, property) {
      if (property === "step") {
        return (...args: Parameters<TrainingBackend["step"]>): Promise<StepResult> => {
          const result = target.step(...args);
          issued(result);
          return result;
        };
      }
      if (property === "lossAndGradient") {
        return (...args: Parameters<TrainingBackend["lossAndGradient"]>) => {
          const result = target.lossAndGradient(...args);
          issued(result);
          return result;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
