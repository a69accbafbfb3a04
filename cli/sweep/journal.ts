// A sweep's journal: a JSON-lines file whose first line says which sweep it belongs to and whose
// every further line is one trial's result, appended the moment the trial ends. An interrupted
// sweep (Ctrl-C, a crash, a machine that went away) loses only the trials that were running; run
// again, it finds the journal, checks that it is this sweep's (the same .nn file, byte for byte, the
// same train block, overrides, space, seed, trials, rounds, halving and metric) and runs only what
// is missing. A journal of another sweep is an error, never mixed in or replaced.
//
//   {"kind":"sweep","format":"nnc-sweep-1","file":"examples/sweep.nn","sha256":"…","space":[…],…}
//   {"kind":"trial","round":1,"trial":3,"rung":0,"values":{"lr":0.00316},"status":"ok","metric":0.31,…}

import { appendFileSync, closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { checkOutputTarget, describeWriteError, type OwnFile } from "../output-target.ts";
import { UserError } from "../user-error.ts";
import type { Value } from "./keys.ts";

export const JOURNAL_FORMAT = "nnc-sweep-1";

// What makes two sweeps the same sweep: every field but `file` (a journal may be read from another
// working directory) must be equal.
export interface SweepIdentity {
  file: string;
  sha256: string;
  train: string | null;
  overrides: string[];
  space: string[];
  seed: number;
  trials: number;
  rounds: number;
  halving: boolean;
  metric: string;
}

export interface TrialRecord {
  kind: "trial";
  round: number; // from 1
  trial: number; // from 1, within its round
  rung: number; // 0 without halving
  epochs: number; // the epochs it was given
  values: Record<string, Value>; // by --space key
  settings: string[]; // as train-block lines: "optimizer adam(lr: 0.00316)"
  status: "ok" | "diverged" | "failed";
  metric: number | null;
  metrics: Record<string, number>; // every metric of the run's final weights: val_loss, train_accuracy, …
  epochs_trained: number | null;
  steps: number | null;
  seconds: number | null;
  best_epoch: number | null;
  error: string | null; // why it diverged or failed
}

export function trialKey(record: Pick<TrialRecord, "round" | "trial" | "rung">): string {
  return `${record.round}.${record.trial}.${record.rung}`;
}

const KIND = { what: "the sweep's journal", option: "--journal", recognize: (head: string) => head.startsWith(`{"kind":"sweep","format":"${JOURNAL_FORMAT}"`) };

// Opens the journal: a new one is started; an existing one must be this sweep's, and its trials
// come back (a last line cut short by a crash is dropped). `resume`: a journal must exist.
export function openJournal(command: string, path: string, identity: SweepIdentity, own: readonly OwnFile[], resume: boolean): { records: TrialRecord[]; resumed: boolean } {
  checkOutputTarget(command, path, KIND, own);
  const exists = existsSync(path) && readFileSync(path, "utf8").trim() !== "";
  if (!exists) {
    if (resume) throw new UserError(`nnc ${command}: --resume: there is no journal at ${path} to resume from`);
    write(command, path, () => writeFileSync(path, `${JSON.stringify({ kind: "sweep", format: JOURNAL_FORMAT, ...identity })}\n`));
    return { records: [], resumed: false };
  }
  const text = readFileSync(path, "utf8");
  const complete = text.endsWith("\n") ? text : text.slice(0, text.lastIndexOf("\n") + 1);
  if (complete.length < text.length) write(command, path, () => truncate(path, Buffer.byteLength(complete)));
  const lines = complete.split("\n").filter((line) => line.trim() !== "");
  let header: SweepIdentity & { kind: string; format: string };
  try {
    header = JSON.parse(lines[0]!);
  } catch {
    throw new UserError(`nnc ${command}: ${path} is not an nnc sweep journal (its first line is not JSON); give another --journal`);
  }
  const differences = identityDifferences(header, identity);
  if (differences.length) {
    throw new UserError(
      `nnc ${command}: the journal ${path} belongs to another sweep: ${differences.join("; ")}. Its trials cannot be mixed with this sweep's; give another --journal, or remove ${path} to start over`,
    );
  }
  const records = lines.slice(1).map((line, i) => {
    try {
      const record = JSON.parse(line) as TrialRecord;
      if (record.kind !== "trial") throw new Error();
      return record;
    } catch {
      throw new UserError(`nnc ${command}: ${path}, line ${i + 2}, is not a trial record; the journal is damaged (remove the line, or the file to start over)`);
    }
  });
  return { records, resumed: true };
}

// What differs between the sweep a journal was written for and this one, in the user's words.
function identityDifferences(journal: SweepIdentity, sweep: SweepIdentity): string[] {
  const differences: string[] = [];
  if (journal.sha256 !== sweep.sha256) {
    differences.push(
      journal.file === sweep.file
        ? `${sweep.file} has changed since the journal was started (its SHA-256 differs)`
        : `it is a sweep of ${journal.file}, not of ${sweep.file} (their SHA-256 differ)`,
    );
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const fields: [keyof SweepIdentity, string][] = [
    ["train", "--train"],
    ["overrides", "the --set options"],
    ["space", "the --space options"],
    ["seed", "--seed"],
    ["trials", "--trials"],
    ["rounds", "--rounds"],
    ["halving", "--halving"],
    ["metric", "--metric"],
  ];
  for (const [field, what] of fields) {
    if (!same(journal[field], sweep[field])) differences.push(`${what} ${describe(journal[field])} there, ${describe(sweep[field])} here`);
  }
  return differences;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.map((v) => `\`${v}\``).join(", ") : "none";
  if (value === null || value === undefined) return "none";
  return `\`${String(value)}\``;
}

export function appendTrial(command: string, path: string, record: TrialRecord): void {
  write(command, path, () => appendFileSync(path, `${JSON.stringify(record)}\n`));
}

function truncate(path: string, length: number): void {
  const fd = openSync(path, "r+");
  try {
    ftruncateSync(fd, length);
  } finally {
    closeSync(fd);
  }
}

function write(command: string, path: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    throw new UserError(`nnc ${command}: cannot write the journal ${path}: ${describeWriteError(error, path)}`);
  }
}
