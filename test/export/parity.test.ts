// The exported PyTorch script, trained from nnc's initial weights (--init) for a few full-batch
// steps (and a few epochs of mini-batches in a fixed order), ends with the weights and batch-norm
// statistics of nnc's CPU runtime within 1e-4 (relative to each tensor's largest entry): every
// optimizer, schedule, loss, regularizer and layer, clipping, early stopping, splits and
// standardization (test/export/cases/). NNC_EXPORT_TOLERANCE=0 shows every measured difference.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { trainExample } from "../e2e/train-helpers.ts";
import { exportCase, readTensors, relativeDifference } from "./export-helpers.ts";
import { expectSuccess, runPython, skipWithoutTorch } from "./python.ts";

const CASES = join(import.meta.dirname, "cases");
const TOLERANCE = Number(process.env.NNC_EXPORT_TOLERANCE ?? 1e-4);

function trainBlocks(file: string): number {
  return (readFileSync(file, "utf8").match(/^train /gm) ?? []).length;
}

// Every train block of every case file, by number.
const blocks = ["optimizers.nn", "schedules.nn", "losses.nn", "layers.nn", "minibatch.nn"].flatMap((name) =>
  Array.from({ length: trainBlocks(join(CASES, name)) }, (_, i) => ({ name, train: String(i + 1) })),
);

describe.skipIf(skipWithoutTorch())("PyTorch export: the same training as nnc's CPU runtime", () => {
  it.each(blocks)("$name, train block $train", async ({ name, train }) => {
    const file = join(CASES, name);
    // `await` either way: the training loop may run synchronously or return a promise.
    const trained = await trainExample(file, undefined, { train });
    const nnc = { ...trained, summary: await trained.summary };
    const exported = exportCase(file, train);
    const out = join(exported.dir, "out.safetensors");
    const result = runPython([exported.script, "--init", exported.init, "--save", out, "--json"], { cwd: exported.dir });
    const stdout = expectSuccess(result, `python ${exported.script}`);
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(summary.epochs).toBe(nnc.summary.epochs);
    expect(summary.steps).toBe(nnc.summary.steps);

    const expected = {
      ...Object.fromEntries(nnc.trainGraph.params.map((p, i) => [p.name, nnc.trainer.params[i]!])),
      ...Object.fromEntries(nnc.trainGraph.state.map((s, i) => [s.name, nnc.trainer.state[i]!])),
    };
    const difference = relativeDifference(expected, readTensors(out));
    expect(difference.worst, `largest relative difference, in ${difference.name}`).toBeLessThan(TOLERANCE);
    // The last epoch's training loss (the running mean over its steps), as both report it.
    const last = summary.history.at(-1);
    const running = nnc.summary.trainRunning!.loss;
    expect(Math.abs(last.train_loss - running) / Math.max(Math.abs(running), 1e-6)).toBeLessThan(TOLERANCE);
  });
});
