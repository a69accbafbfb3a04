// Reproducibility on the CPU runtime: the same seed gives bit-for-bit the same run, and a run
// resumed from a checkpoint (weights, optimizer, schedule and early-stopping state) ends exactly
// where the uninterrupted run ends.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../runtime/train/checkpoint.ts";
import { smallMnist, trainExample } from "./train-helpers.ts";

const scratch = mkdtempSync(join(tmpdir(), "nnc-resume-"));

describe("reproducibility", () => {
  it("the same seed gives the same weights, bit for bit", async () => {
    const a = await trainExample("examples/dropout_mlp.nn", (c) => ({ ...smallMnist(300, 100)(c), epochs: 1 }));
    const b = await trainExample("examples/dropout_mlp.nn", (c) => ({ ...smallMnist(300, 100)(c), epochs: 1 }));
    a.trainer.params.forEach((p, i) => expect(Buffer.from(p.buffer).equals(Buffer.from(b.trainer.params[i]!.buffer))).toBe(true));
  });

  it("a resumed run continues the same run (Adam state, schedule, dropout, batch norm)", async () => {
    // batchnorm_mlp: momentum SGD with a step schedule; dropout_mlp: AdamW with dropout.
    for (const file of ["examples/batchnorm_mlp.nn", "examples/dropout_mlp.nn"]) {
      const settings = (epochs: number) => (c: Parameters<ReturnType<typeof smallMnist>>[0]) => ({ ...smallMnist(400, 100)(c), epochs, early_stopping: null });
      const whole = await trainExample(file, settings(4));
      const path = join(scratch, "half.safetensors");
      await trainExample(file, settings(2), { savePath: path });
      const resumed = await trainExample(file, settings(4), { resume: loadCheckpoint(path, { optimizer: true }) });
      expect(resumed.summary.steps, file).toBe(whole.summary.steps);
      whole.trainer.params.forEach((p, i) => expect(Array.from(resumed.trainer.params[i]!), file).toEqual(Array.from(p)));
      whole.trainer.state.forEach((s, i) => expect(Array.from(resumed.trainer.state[i]!), file).toEqual(Array.from(s)));
    }
  });
});
