// Compute pipelines, created once per distinct WGSL text on a device and shared by every program
// that uses the same kernel. A WGSL compile error is nnc's bug (the generators must only emit valid
// code), so it becomes an internal error with the compiler's messages and the code.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";

const caches = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

export function pipelineFor(device: GPUDevice, code: string, label: string): Promise<GPUComputePipeline> {
  let cache = caches.get(device);
  if (!cache) caches.set(device, (cache = new Map()));
  let pipeline = cache.get(code);
  if (!pipeline) {
    pipeline = create(device, code, label);
    cache.set(code, pipeline);
  }
  return pipeline;
}

async function create(device: GPUDevice, code: string, label: string): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ code, label });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === "error");
  if (errors.length) {
    const messages = errors.map((m) => `  ${m.lineNum}:${m.linePos} ${m.message}`).join("\n");
    throw new InternalError(`the WGSL of kernel ${label} does not compile:\n${messages}\n${numbered(code)}`);
  }
  device.pushErrorScope("validation");
  const pipeline = await device.createComputePipelineAsync({ label, layout: "auto", compute: { module, entryPoint: "main" } });
  const error = await device.popErrorScope();
  if (error) throw new InternalError(`the pipeline of kernel ${label} is invalid: ${error.message}`);
  return pipeline;
}

function numbered(code: string): string {
  return code
    .split("\n")
    .map((line, i) => `${String(i + 1).padStart(4)} ${line}`)
    .join("\n");
}
