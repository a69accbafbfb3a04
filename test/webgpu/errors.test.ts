// What the WebGPU backend tells a user when the GPU cannot do the job: a model whose tensors are
// larger than one WebGPU buffer may be (stopped before anything runs, with exit code 1), and a
// device lost while training (a clear error, never a crash or a silent wrong result).

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.ts";
import { createSession } from "../../runtime/session.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { GpuLostError, openGpu } from "../../runtime/webgpu/device.ts";
import { testGpu } from "./gpu.ts";

const gpu = await testGpu();

const WIDE = `
model wide {
  input  x: [B, 10]
  target y: class[B] of 2
  h = dense(x, 40000) |> relu
  logits = dense(h, 2)
  loss cross_entropy(logits, y)
}

train wide {
  data      blobs(n: 1200, classes: 2, features: 10, seed: 1)
  batch     1000
  epochs    1
  optimizer sgd(lr: 0.1)
}
`;

describe.skipIf(!gpu)("WebGPU errors", () => {
  it("refuses a batch whose activations exceed one buffer, before running, with exit code 1", () => {
    const folder = mkdtempSync(join(tmpdir(), "nnc-wide-"));
    const file = join(folder, "wide.nn");
    writeFileSync(file, WIDE);
    const result = spawnSync(process.execPath, ["bin/nnc.js", "run", file, "--backend", "webgpu"], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/nnc run: a tensor of the model, \[1000, 40000\] \(\w+\), needs 152\.6 MiB, more than the 128\.0 MiB one WebGPU buffer may hold on this device; use a smaller batch or layer, or --backend cpu/);
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it("turns a lost device into a GpuLostError naming the loss", async () => {
    const compiled = compile("model m {\n input x: [B, 2]\n target y: [B, 1]\n p = dense(x, 1)\n loss mse(p, y)\n}\ntrain m {\n data linear(n: 8, weights: [1, 2])\n optimizer sgd(lr: 0.1)\n}\n", "m.nn");
    const { model, trainGraph, evalGraph, config } = compiled;
    const own = await openGpu({ allowSoftware: true });
    const initial = { params: initializeParams(trainGraph!.params, 0), state: initializeState(trainGraph!.state) };
    const session = await createSession({ model: model!, trainGraph: trainGraph!, evalGraph: evalGraph! }, config!, initial, { device: own.device });
    const batch = { features: new Float32Array(8), targets: new Float32Array(4), size: 4 };
    own.device.destroy();
    await expect(session.backend.step(batch, { lr: 0.1 }, 0)).rejects.toThrow(GpuLostError);
    await expect(session.backend.readState()).rejects.toThrow(/the GPU device was lost/);
    session.dispose();
  });
});
