// `nnc sweep` with its trials run by a stand-in (the command takes a TrialRunner), so that what
// the sweep does around them is tested quickly and exactly: at most --parallel trials at once;
// trials that fail are recorded, make the exit code 1 and are run again by the next sweep, while
// the others are kept; a sweep whose every trial fails stops; halving gives the better half more
// epochs; an interrupted journal resumes to the same result. And the reading of a child's exit.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { run } from "../../cli/commands/sweep.ts";
import type { TrialRecord } from "../../cli/sweep/journal.ts";
import { result, trialArguments, type TrialRunner, type TrialTask } from "../../cli/sweep/trials.ts";
import { UserError } from "../../cli/user-error.ts";

const dir = mkdtempSync(join(tmpdir(), "nnc-sweep-trials-"));
const FILE = join(dir, "m.nn");
writeFileSync(
  FILE,
  `model m {
  input x: [B, 2]
  target y: class[B] of 2
  h = dense(x, 8) |> relu
  logits = dense(h, 2)
  loss cross_entropy(logits, y)
}

train m {
  data      moons(n: 100, seed: 1)
  split     validation: 0.2
  epochs    8
  optimizer adam(lr: 1e-2)
}
`,
);

let out: string[] = [];
let err: string[] = [];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
  vi.spyOn(process.stderr, "write").mockImplementation((text: string | Uint8Array) => (err.push(String(text)), true));
});
afterEach(() => vi.restoreAllMocks());

// A finished trial whose val_loss is |log10(lr) + 2| + 0.1: best at lr 0.01.
function finished(task: TrialTask, status: TrialRecord["status"] = "ok", error: string | null = null): TrialRecord {
  const metric = Math.abs(Math.log10(task.values.lr as number) + 2) + 0.1 + task.epochs / 1000;
  return {
    kind: "trial",
    ...task,
    settings: [...task.settings].map(([k, v]) => `${k} ${v}`),
    status,
    metric: status === "ok" ? metric : null,
    metrics: status === "ok" ? { val_loss: metric } : {},
    epochs_trained: task.epochs,
    steps: task.epochs * 3,
    seconds: 0.01,
    best_epoch: null,
    error,
  };
}

function sweep(name: string, extra: string[], runner: TrialRunner) {
  const args = [FILE, "--space", "lr=loguniform(1e-4, 1)", "--report", join(dir, `${name}.html`), ...extra];
  return run(args, runner);
}

function journal(name: string): TrialRecord[] {
  return readFileSync(join(dir, `${name}.jsonl`), "utf8").trim().split("\n").slice(1).map((line) => JSON.parse(line));
}

describe("the trials of a sweep", () => {
  it("runs at most --parallel trials at once, and journals each as it ends", async () => {
    let running = 0;
    let most = 0;
    const runner: TrialRunner = async (task) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5 + (task.trial % 3) * 5));
      running--;
      return finished(task);
    };
    expect(await sweep("parallel", ["--trials", "7", "--parallel", "3"], runner)).toBe(0);
    expect(most).toBe(3);
    expect(journal("parallel").map((r) => r.trial).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(out.join("\n")).toContain("7 trials in");
  });

  it("records failed trials, exits 1, and runs only those again the next time", async () => {
    const calls: number[] = [];
    const failing: TrialRunner = async (task) => {
      calls.push(task.trial);
      return task.trial === 2 || task.trial === 5 ? finished(task, "failed", "exit code 2: internal error in nnc: …") : finished(task);
    };
    expect(await sweep("failing", ["--trials", "6", "--parallel", "2"], failing)).toBe(1);
    expect(err.join("")).toContain("nnc sweep: 2 trials failed (1.2, 1.5); run the same command again to retry them: the journal keeps the others");
    expect(out.join("\n")).toMatch(/trial 1\.2: lr=[\d.e-]+ → failed: exit code 2: internal error in nnc/);
    expect(journal("failing")).toHaveLength(6);

    calls.length = 0;
    expect(await sweep("failing", ["--trials", "6", "--parallel", "2"], async (task) => (calls.push(task.trial), finished(task)))).toBe(0);
    expect(calls.sort()).toEqual([2, 5]);
    expect(out.join("\n")).toContain("resuming: 4 trial results already in it");
    expect(out.join("\n")).toContain("6 trials in");
    expect(out.join("\n")).toMatch(/6 finished, 0 diverged, 0 failed/);
  });

  it("stops when every trial fails, keeping what it learnt", async () => {
    const calls: number[] = [];
    const broken: TrialRunner = async (task) => (calls.push(task.trial), finished(task, "failed", "killed by SIGKILL"));
    await expect(sweep("broken", ["--trials", "10", "--parallel", "1"], broken)).rejects.toThrow(UserError);
    await expect(sweep("broken2", ["--trials", "10", "--parallel", "1"], broken)).rejects.toThrow(
      /every trial so far failed, so the sweep stopped \(the first: trial 1\.1: killed by SIGKILL\)/,
    );
    expect(calls.length).toBe(6);
    expect(journal("broken")).toHaveLength(3);
  });

  it("keeps diverged trials as results: ranked last, never run again", async () => {
    const runner: TrialRunner = async (task) => ((task.values.lr as number) > 0.1 ? finished(task, "diverged", "the loss became NaN at epoch 1, step 2") : finished(task));
    expect(await sweep("diverged", ["--trials", "8", "--seed", "3"], runner)).toBe(0);
    const diverged = journal("diverged").filter((r) => r.status === "diverged");
    expect(diverged.length).toBeGreaterThan(0);
    const table = out.join("\n");
    expect(table).toMatch(/— +1\.\d+ +[\d.e-]+ +— +8 +0\.01s +diverged: the loss became NaN at epoch 1, step 2/);
    let again = 0;
    expect(await sweep("diverged", ["--trials", "8", "--seed", "3"], async (task) => (again++, finished(task)))).toBe(0);
    expect(again).toBe(0);
  });

  it("with --halving gives the better half twice the epochs, rung by rung", async () => {
    const tasks: TrialTask[] = [];
    expect(await sweep("halving", ["--trials", "8", "--halving"], async (task) => (tasks.push(task), finished(task)))).toBe(0);
    const rungs = [0, 1, 2, 3].map((rung) => tasks.filter((t) => t.rung === rung));
    expect(rungs.map((r) => r.length)).toEqual([8, 4, 2, 1]);
    expect(rungs.map((r) => r[0]!.epochs)).toEqual([1, 2, 4, 8]);
    expect(rungs[1]![0]!.settings.get("epochs")).toBe("2");
    // Each rung keeps the trials with the lowest val_loss of the one before.
    for (const k of [1, 2, 3]) {
      const before = rungs[k - 1]!.map((t) => finished(t)).sort((a, b) => a.metric! - b.metric!);
      expect(rungs[k]!.map((t) => t.trial).sort()).toEqual(before.slice(0, rungs[k]!.length).map((r) => r.trial).sort());
    }
    expect(out.join("\n")).toContain("halving: 8 trials × 1 epoch, then 4 trials × 2 epochs, then 2 trials × 4 epochs, then 1 trial × 8 epochs per round");
  });

  it("resumes an interrupted journal to the same trials and the same best", async () => {
    const runner: TrialRunner = async (task) => finished(task);
    expect(await sweep("whole", ["--trials", "5", "--rounds", "3"], runner)).toBe(0);
    const whole = journal("whole");
    const bestLine = out.find((line) => line.startsWith("best: "));
    // The journal of a sweep stopped after 7 trials, its last line cut short.
    const lines = readFileSync(join(dir, "whole.jsonl"), "utf8").split("\n");
    writeFileSync(join(dir, "cut.jsonl"), `${lines.slice(0, 8).join("\n")}\n${lines[8]!.slice(0, 20)}`);
    const ran: string[] = [];
    out = [];
    expect(await sweep("cut", ["--trials", "5", "--rounds", "3"], async (task) => (ran.push(`${task.round}.${task.trial}`), finished(task)))).toBe(0);
    expect(ran).toEqual(["2.3", "2.4", "2.5", "3.1", "3.2", "3.3", "3.4", "3.5"]);
    const key = (r: TrialRecord) => `${r.round}.${r.trial} ${JSON.stringify(r.values)}`;
    expect(journal("cut").map(key).sort()).toEqual(whole.map(key).sort());
    expect(out.find((line) => line.startsWith("best: "))).toBe(bestLine);
  });
});

describe("reading a trial's exit", () => {
  const task: TrialTask = { round: 1, trial: 2, rung: 0, epochs: 3, values: { lr: 0.1 }, settings: new Map([["optimizer", "adam(lr: 0.1)"]]) };

  it("takes the metric from `nnc run --json`'s last line", () => {
    const json = { epochs: 3, steps: 9, seconds: 0.2, best_epoch: null, train: { loss: 0.4, accuracy: 0.8, examples: 80 }, validation: { loss: 0.5, accuracy: 0.75, examples: 20 }, test: null };
    const record = result(task, "val_loss", { code: 0, signal: null, stdout: `backend: cpu\n${JSON.stringify(json)}\n`, stderr: "" });
    expect(record).toMatchObject({ status: "ok", metric: 0.5, metrics: { train_loss: 0.4, train_accuracy: 0.8, val_loss: 0.5, val_accuracy: 0.75 }, epochs_trained: 3, steps: 9, settings: ["optimizer adam(lr: 0.1)"] });
    expect(result(task, "test_loss", { code: 0, signal: null, stdout: JSON.stringify(json), stderr: "" })).toMatchObject({ status: "failed", error: "the run reports no test_loss" });
  });

  it("tells a diverged run from a failed one", () => {
    const nan = "nnc run: m.nn: the loss became NaN at epoch 2, step 7; training stopped. No checkpoint was written. Try a smaller learning rate";
    expect(result(task, "val_loss", { code: 1, signal: null, stdout: "", stderr: nan })).toMatchObject({ status: "diverged", error: "the loss became NaN at epoch 2, step 7" });
    expect(result(task, "val_loss", { code: 2, signal: null, stdout: "", stderr: "internal error in nnc: x\nThis is a bug in nnc\n" })).toMatchObject({
      status: "failed",
      error: "exit code 2: internal error in nnc: x / This is a bug in nnc",
    });
    expect(result(task, "val_loss", { code: null, signal: "SIGKILL", stdout: "", stderr: "" })).toMatchObject({ status: "failed", error: "killed by SIGKILL" });
  });

  it("passes the command line's settings and the trial's to `nnc run`", () => {
    expect(trialArguments(task, { file: "m.nn", train: "2", backend: "cpu", budget: ["--max-params", "100"], overrides: ["epochs=3"], metric: "val_loss" })).toEqual([
      "run", "m.nn", "--json", "--backend", "cpu", "--max-params", "100", "--train", "2", "--set", "epochs=3", "--set", "optimizer=adam(lr: 0.1)",
    ]);
  });
});
