// The sweep's journal: started with the sweep's identity, appended one trial at a time, read back
// on a resume (a last line cut short by a crash is dropped), and refused when it is another
// sweep's (another file, the file changed, another space or seed) or not a journal at all.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appendTrial, openJournal, type SweepIdentity, type TrialRecord } from "../../cli/sweep/journal.ts";
import { UserError } from "../../cli/user-error.ts";

const dir = mkdtempSync(join(tmpdir(), "nnc-journal-"));
const IDENTITY: SweepIdentity = { file: "a.nn", sha256: "aa", train: null, overrides: ["epochs 3"], space: ["lr=loguniform(1e-4, 1)"], seed: 0, trials: 4, rounds: 2, halving: false, metric: "val_loss" };

function record(trial: number): TrialRecord {
  return { kind: "trial", round: 1, trial, rung: 0, epochs: 3, values: { lr: 0.01 }, settings: ["optimizer adam(lr: 0.01)"], status: "ok", metric: 0.5, metrics: { val_loss: 0.5 }, epochs_trained: 3, steps: 30, seconds: 0.1, best_epoch: null, error: null };
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error("expected a UserError");
}

describe("the sweep's journal", () => {
  it("starts with the sweep's identity and gives back its trials on a resume", () => {
    const path = join(dir, "a.jsonl");
    expect(openJournal("sweep", path, IDENTITY, [], false)).toEqual({ records: [], resumed: false });
    appendTrial("sweep", path, record(1));
    appendTrial("sweep", path, record(2));
    const lines = readFileSync(path, "utf8").trim().split("\n");
    expect(JSON.parse(lines[0]!)).toEqual({ kind: "sweep", format: "nnc-sweep-1", ...IDENTITY });
    expect(lines).toHaveLength(3);
    const again = openJournal("sweep", path, IDENTITY, [], true);
    expect(again.resumed).toBe(true);
    expect(again.records.map((r) => r.trial)).toEqual([1, 2]);
  });

  it("drops a last line cut short, and appends after it cleanly", () => {
    const path = join(dir, "cut.jsonl");
    openJournal("sweep", path, IDENTITY, [], false);
    appendTrial("sweep", path, record(1));
    writeFileSync(path, `${readFileSync(path, "utf8")}{"kind":"trial","round":1,"tri`);
    expect(openJournal("sweep", path, IDENTITY, [], false).records.map((r) => r.trial)).toEqual([1]);
    appendTrial("sweep", path, record(2));
    expect(openJournal("sweep", path, IDENTITY, [], false).records.map((r) => r.trial)).toEqual([1, 2]);
  });

  it("refuses another sweep's journal, saying what differs", () => {
    const path = join(dir, "other.jsonl");
    openJournal("sweep", path, IDENTITY, [], false);
    expect(refusal(() => openJournal("sweep", path, { ...IDENTITY, file: "b.nn", sha256: "bb" }, [], false))).toBe(
      `nnc sweep: the journal ${path} belongs to another sweep: it is a sweep of a.nn, not of b.nn (their SHA-256 differ). Its trials cannot be mixed with this sweep's; give another --journal, or remove ${path} to start over`,
    );
    expect(refusal(() => openJournal("sweep", path, { ...IDENTITY, sha256: "ab" }, [], false))).toContain("a.nn has changed since the journal was started (its SHA-256 differs)");
    expect(refusal(() => openJournal("sweep", path, { ...IDENTITY, space: ["lr=uniform(0, 1)"] }, [], false))).toContain(
      "the --space options `lr=loguniform(1e-4, 1)` there, `lr=uniform(0, 1)` here",
    );
    expect(refusal(() => openJournal("sweep", path, { ...IDENTITY, seed: 1, rounds: 3 }, [], false))).toContain("--seed `0` there, `1` here; --rounds `2` there, `3` here");
    // Nothing was written to it.
    expect(readFileSync(path, "utf8").trim().split("\n")).toHaveLength(1);
  });

  it("never replaces a file nnc did not write, and --resume needs a journal", () => {
    const notes = join(dir, "notes.jsonl");
    writeFileSync(notes, "my notes\n");
    expect(refusal(() => openJournal("sweep", notes, IDENTITY, [], false))).toContain("the file exists and nnc did not write it");
    expect(readFileSync(notes, "utf8")).toBe("my notes\n");
    expect(refusal(() => openJournal("sweep", join(dir, "none.jsonl"), IDENTITY, [], true))).toBe(`nnc sweep: --resume: there is no journal at ${join(dir, "none.jsonl")} to resume from`);
    expect(refusal(() => openJournal("sweep", join(dir, "a.nn"), IDENTITY, [{ path: join(dir, "a.nn"), what: "the sweep's own .nn file" }], false))).toContain("it is the sweep's own .nn file");
  });
});
