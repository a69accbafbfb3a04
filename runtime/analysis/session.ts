// From a checked model to a ready curvature engine on the backend asked for, as runtime/session.ts
// does for training: WebGPU on a hardware adapter (or any adapter when asked for), the CPU runtime
// otherwise, with the reason.

import type { Graph } from "../../compiler/ir/graph.ts";
import { buildCurvatureGraph } from "../../compiler/step/curvature.ts";
import type { Dataset } from "../data/dataset.ts";
import { BackendUnavailableError, type BackendRequest } from "../session.ts";
import { adapterName, GpuUnavailableError, openGpu, type GpuContext } from "../webgpu/device.ts";
import { CpuCurvatureEngine } from "./cpu-engine.ts";
import { chunksOf, type CurvatureEngine } from "./engine.ts";

export interface CurvatureSession {
  engine: CurvatureEngine;
  description: string; // "the CPU runtime, in f64", "WebGPU on …, in f32"
  reason: string;
  dispose(): void;
}

export interface CurvatureInput {
  evalGraph: Graph;
  dataset: Dataset | null; // the training examples (null without data)
  reduction: "mean" | "sum"; // of the data loss
  state: Record<string, Float32Array>; // batch-norm statistics by name
  chunkSize?: number; // examples per run (default 1024)
}

export async function openCurvatureSession(input: CurvatureInput, request: BackendRequest): Promise<CurvatureSession> {
  const curvature = buildCurvatureGraph(input.evalGraph);
  const chunks = chunksOf(curvature, input.dataset, input.reduction, input.chunkSize ?? 1024);
  const cpu = (reason: string): CurvatureSession => ({
    engine: new CpuCurvatureEngine(curvature, chunks, input.state),
    description: "the CPU runtime, in f64",
    reason,
    dispose() {},
  });
  if (request === "cpu") return cpu("as asked");
  let gpu: GpuContext;
  try {
    gpu = await openGpu({ allowSoftware: request === "webgpu" });
  } catch (error) {
    if (!(error instanceof GpuUnavailableError)) throw error;
    if (request === "webgpu") throw new BackendUnavailableError(`the WebGPU backend is not available: ${error.message}`);
    return cpu(error.message);
  }
  try {
    const { WebGpuCurvatureEngine } = await import("./webgpu-engine.ts");
    const engine = await WebGpuCurvatureEngine.create(gpu, curvature, chunks, input.state);
    return {
      engine,
      description: `WebGPU on ${adapterName(gpu.adapter)}, in f32`,
      reason: request === "webgpu" ? "as asked" : "a hardware GPU",
      dispose() {
        engine.dispose();
        gpu.destroy();
      },
    };
  } catch (error) {
    gpu.destroy();
    throw error;
  }
}
