// Where the page trains: on WebGPU whenever the browser has an adapter, and on nnc's CPU runtime
// otherwise, saying which and why. The generated module's own "auto" takes WebGPU only on a
// hardware GPU (nnc's CPU runtime outruns a software adapter such as SwiftShader); a page that
// shows WebGPU training takes any adapter, and says when it is a software one.

import { openGpu } from "nnc/runtime";
import { createModel, type MnistMlpModel } from "./generated/mnist_mlp.ts";

export type BackendChoice = "auto" | "webgpu" | "cpu";

export interface OpenedModel {
  model: MnistMlpModel;
  // For the page: "WebGPU on google swiftshader (a software adapter)", "nnc's CPU runtime".
  description: string;
  reason: string; // why that one: "the browser's WebGPU adapter runs on the CPU"
  close(): void; // disposes of the model and the WebGPU device opened for it
}

export async function openModel(choice: BackendChoice): Promise<OpenedModel> {
  if (choice === "cpu") return onCpu("as the address asks (backend=cpu)");
  let gpu;
  try {
    gpu = await openGpu({ allowSoftware: true });
  } catch (error) {
    if (choice === "webgpu") throw error;
    return onCpu(`WebGPU is not available here (${(error as Error).message})`);
  }
  // A WebGPU validation error is otherwise only a console warning while training goes on with
  // wrong numbers; as an error it is seen (and fails the browser test).
  gpu.device.addEventListener("uncapturederror", (event) => console.error(`WebGPU: ${(event as GPUUncapturedErrorEvent).error.message}`));
  try {
    const model = await createModel({ device: gpu.device });
    // SwiftShader, for one, names itself only in its vendor and architecture.
    const { vendor, architecture, description, software } = gpu.adapter;
    const adapter = description || [vendor, architecture].filter(Boolean).join(" ") || "an unnamed adapter";
    return {
      model,
      description: `WebGPU on ${adapter}${software ? " (a software adapter)" : ""}`,
      reason: software ? "the browser's WebGPU adapter runs on the CPU" : "the browser has a GPU",
      close() {
        model.dispose();
        gpu.destroy();
      },
    };
  } catch (error) {
    gpu.destroy();
    if (choice === "webgpu") throw error;
    return onCpu(`the model does not run on this WebGPU adapter (${(error as Error).message})`);
  }
}

async function onCpu(reason: string): Promise<OpenedModel> {
  const model = await createModel({ backend: "cpu" });
  return { model, description: "nnc's CPU runtime", reason, close: () => model.dispose() };
}
