// The WebGPU device the WebGPU tests share. Tests run on whatever adapter the machine has,
// software ones included (Mesa's lavapipe in CI). Without an adapter the tests are skipped with a
// message, except under CI, where a missing adapter fails the run: CI installs lavapipe, so its
// absence is a broken set-up, not a reason to pass.

import { adapterName, openGpu, type GpuContext } from "../../runtime/webgpu/device.ts";

// Matmuls take the untimed default variant (subgroups where the adapter has them), so the tests
// do not spend time timing candidates; NNC_MATMUL=naive (or any variant) runs them with another.
// ops.test.ts forces every variant in turn, and autotune.test.ts tests the timing itself.
process.env.NNC_MATMUL ||= "default";

let opened: Promise<GpuContext | null> | null = null;

export function testGpu(): Promise<GpuContext | null> {
  opened ??= openGpu({ allowSoftware: true }).then(
    (gpu) => {
      process.stdout.write(`WebGPU adapter: ${adapterName(gpu.adapter)}${gpu.adapter.subgroups ? ", subgroups" : ""}\n`);
      return gpu;
    },
    (error: Error) => {
      if (process.env.CI) throw new Error(`CI needs a WebGPU adapter (run scripts/install-webgpu-deps.sh): ${error.message}`);
      process.stdout.write(`WebGPU tests skipped: ${error.message}\n`);
      return null;
    },
  );
  return opened;
}

// Top-level await in a test file: `const gpu = await testGpu(); describe.skipIf(!gpu)(...)`.
