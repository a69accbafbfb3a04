// The run history is the loop's, not a backend's: on WebGPU (whose step losses are read a step
// late) the same records come in the same order as on the CPU runtime, with the same steps, rates
// and events and the same numbers to rounding.

import { describe, expect, it } from "vitest";
import type { HistoryRecord } from "../../runtime/train/history.ts";
import { trainExample } from "../e2e/train-helpers.ts";
import { testGpu } from "./gpu.ts";

const gpu = await testGpu();

const SOURCE = `
model moons {
  input  x: [B, 2]
  target y: class[B] of 2
  h = dense(x, 12) |> tanh
  logits = dense(h, 2)
  loss cross_entropy(logits, y)
}

train moons {
  data      moons(n: 300, noise: 0.25, seed: 4)
  split     validation: 0.25
  batch     12
  epochs    4
  optimizer sgd(lr: 0.3, momentum: 0.9)
  schedule  warmup(steps: 40) then cosine(to: 1e-3)
  seed      5
}
`;

async function recorded(backend: "cpu" | "webgpu") {
  const records: HistoryRecord[] = [];
  const { summary } = await trainExample("moons.nn", undefined, { source: SOURCE, backend, gradNorms: true, maxStepPoints: 40, hooks: { onRecord: (r) => records.push(r) } });
  return { summary, records };
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(a));
}

describe.skipIf(!gpu)("run history on WebGPU", () => {
  it("records what the CPU runtime records, in the same order", async () => {
    const [webgpu, cpu] = [await recorded("webgpu"), await recorded("cpu")];
    // 4 × 19 = 76 planned steps, at most 40 records: every second step.
    expect(webgpu.summary.history.step_stride).toBe(2);
    expect(webgpu.records.map((r) => r.kind)).toEqual(cpu.records.map((r) => r.kind));
    expect(webgpu.records[0]).toEqual(cpu.records[0]);
    webgpu.records.forEach((record, i) => {
      const other = cpu.records[i] as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(record)) {
        if (key === "seconds") continue;
        if (typeof value === "number" && !Number.isInteger(value)) expect(close(value, other[key] as number), `${record.kind} record ${i}: ${key}`).toBe(true);
        else expect(value, `${record.kind} record ${i}: ${key}`).toEqual(other[key]);
      }
    });
    expect(webgpu.summary.history.events.map((e) => [e.event, e.step])).toEqual([
      ["phase", 1],
      ["phase", 41],
    ]);
    expect(close(webgpu.summary.train.loss, cpu.summary.train.loss)).toBe(true);
    expect(webgpu.summary.trainRunning!.loss).toBe(webgpu.summary.history.epochs.at(-1)!.train_loss);
  });
});
