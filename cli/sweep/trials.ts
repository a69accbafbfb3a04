// Running a sweep's trials: each trial is a child process, `nnc run FILE --set KEY=VALUE … --json`,
// so a trial is exactly the run a user can repeat, it uses every core of its own (the CPU runtime
// is single-threaded), and a trial that crashes takes nothing else down. At most `parallel` run at
// once. A trial's result is read from the last line `nnc run --json` prints; a loss that became NaN
// or infinite is the trial's result (it `diverged`: a learning rate too large is a finding, not a
// failure); anything else that stops it (a crash, a signal, a GPU that went away) is a `failed`
// trial, with the last lines the child wrote on stderr.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Value } from "./keys.ts";
import type { TrialRecord } from "./journal.ts";

export interface TrialTask {
  round: number;
  trial: number;
  rung: number;
  epochs: number;
  values: Record<string, Value>;
  settings: Map<string, string>; // the sweep's settings of this trial, KEY → VALUE
}

export interface ChildOptions {
  file: string;
  train: string | undefined;
  backend: string;
  budget: string[]; // --max-params N …, passed on
  overrides: string[]; // the command line's --set, as KEY=VALUE, without the keys the sweep sets
  metric: string;
}

// How a trial is run: a child process here; tests give their own.
export type TrialRunner = (task: TrialTask, abort: AbortSignal) => Promise<TrialRecord | null>;

// The `nnc` the sweep runs as: bin/nnc.js of this package, found upwards from this module (in the
// sources it is two folders up, in the built bundle as well, but the chunk's folder differs).
export function nncBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const bin = join(dir, "bin", "nnc.js");
    if (existsSync(bin)) return bin;
    dir = dirname(dir);
  }
  throw new Error("internal error: cannot find bin/nnc.js above the sweep's module");
}

export function trialArguments(task: TrialTask, options: ChildOptions): string[] {
  const args = ["run", options.file, "--json", "--backend", options.backend, ...options.budget];
  if (options.train !== undefined) args.push("--train", options.train);
  for (const set of options.overrides) args.push("--set", set);
  for (const [key, value] of task.settings) args.push("--set", `${key}=${value}`);
  return args;
}

export function childRunner(options: ChildOptions): TrialRunner {
  const bin = nncBin();
  return (task, abort) =>
    new Promise((resolve) => {
      const child: ChildProcess = spawn(process.execPath, [bin, ...trialArguments(task, options)], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const stop = () => child.kill("SIGINT");
      abort.addEventListener("abort", stop, { once: true });
      child.on("error", (error) => {
        abort.removeEventListener("abort", stop);
        resolve(result(task, options.metric, { code: null, signal: null, stdout, stderr: error.message }));
      });
      child.on("close", (code, signal) => {
        abort.removeEventListener("abort", stop);
        resolve(abort.aborted ? null : result(task, options.metric, { code, signal, stdout, stderr }));
      });
    });
}

// A finished child's record.
export function result(task: TrialTask, metric: string, exit: { code: number | null; signal: string | null; stdout: string; stderr: string }): TrialRecord {
  const record: TrialRecord = {
    kind: "trial",
    round: task.round,
    trial: task.trial,
    rung: task.rung,
    epochs: task.epochs,
    values: task.values,
    settings: [...task.settings].map(([key, value]) => `${key} ${value}`),
    status: "failed",
    metric: null,
    metrics: {},
    epochs_trained: null,
    steps: null,
    seconds: null,
    best_epoch: null,
    error: null,
  };
  if (exit.code === 0) {
    try {
      const json = JSON.parse(exit.stdout.trim().split("\n").pop()!);
      record.metrics = runMetrics(json);
      record.epochs_trained = json.epochs;
      record.steps = json.steps;
      record.seconds = json.seconds;
      record.best_epoch = json.best_epoch;
      const value = record.metrics[metric];
      if (value === undefined) return { ...record, error: `the run reports no ${metric}` };
      if (!Number.isFinite(value)) return { ...record, status: "diverged", error: `${metric} is ${value}` };
      return { ...record, status: "ok", metric: value };
    } catch {
      return { ...record, error: "its output ended without the JSON line of `nnc run --json`" };
    }
  }
  const diverged = /the (loss|weights) became [^;]*/.exec(exit.stderr);
  if (exit.code === 1 && diverged) return { ...record, status: "diverged", error: diverged[0] };
  const last = exit.stderr.trim().split("\n").filter((l) => l.trim() !== "").slice(-3).join(" / ");
  const how = exit.signal ? `killed by ${exit.signal}` : exit.code === null ? "it did not start" : `exit code ${exit.code}`;
  return { ...record, error: last ? `${how}: ${last}` : how };
}

// `val_loss`, `train_accuracy`, `test_mse`, … from `nnc run --json`'s passes.
function runMetrics(json: Record<string, Record<string, number> | null>): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [pass, prefix] of [
    ["train", "train"],
    ["validation", "val"],
    ["test", "test"],
  ] as const) {
    for (const [name, value] of Object.entries(json[pass] ?? {})) {
      // JSON has no NaN: a metric that was not finite is null.
      if (name !== "examples") metrics[`${prefix}_${name}`] = typeof value === "number" ? value : NaN;
    }
  }
  return metrics;
}

// Runs `run` on every task, at most `parallel` at once, in order, until `keepGoing` says stop
// (then the running ones finish and no other starts).
export async function runPool<T>(tasks: readonly T[], parallel: number, run: (task: T) => Promise<void>, keepGoing: () => boolean): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length && keepGoing()) await run(tasks[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, tasks.length) }, worker));
}
