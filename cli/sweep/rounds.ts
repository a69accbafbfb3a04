// A sweep's rounds, run: for each round its box (the space, then narrowed around the best trials of
// the rounds before), its draws, and for each rung of halving (one rung without) the trials the
// journal does not hold yet, run at most `parallel` at once; each result is appended to the journal
// the moment it comes. Ctrl-C (SIGINT, SIGTERM) stops the running trials, which are not recorded,
// and starts no other; a sweep whose first trials all fail stops too.

import { appendTrial, trialKey, type TrialRecord } from "./journal.ts";
import { trialSettings, type Dimension, type EffectiveSettings } from "./keys.ts";
import { boxText, formatValue, rankedTrials } from "./results.ts";
import { narrowBox, sampleRound, spaceBox, topCount, type Box, type Direction, type Rung } from "./search.ts";
import { runPool, type TrialRunner, type TrialTask } from "./trials.ts";

export interface SweepPlan {
  dimensions: readonly Dimension[];
  settings: EffectiveSettings;
  epochs: number; // the train block's (with --epochs)
  trials: number; // per round
  rounds: number;
  seed: number;
  rungs: readonly Rung[]; // one, of every trial for `epochs`, without halving
  halving: boolean;
  parallel: number;
  metric: string;
  direction: Direction;
}

export interface SweepState {
  journal: string;
  done: Map<string, TrialRecord>; // by trialKey: the journal's records, and each new one
  runner: TrialRunner;
  log: (line: string) => void;
}

export async function runRounds(plan: SweepPlan, state: SweepState): Promise<{ boxes: Box[][]; outcome: "done" | "interrupted" | "failing" }> {
  const { dimensions, halving, rungs } = plan;
  const records = () => [...state.done.values()];
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let failedInARow = 0;
  let failing = false;
  const keepGoing = () => !abort.signal.aborted && !failing;
  const boxes: Box[][] = [];
  const record = (record: TrialRecord) => {
    appendTrial("sweep", state.journal, record);
    state.done.set(trialKey(record), record);
    failedInARow = record.status === "failed" ? failedInARow + 1 : 0;
    if (failedInARow >= Math.max(3, plan.parallel) && !records().some((r) => r.status === "ok")) failing = true;
    const shown = Object.entries(record.values).map(([k, v]) => `${k}=${formatValue(v)}`).join(", ");
    const outcome = record.status === "ok" ? `${plan.metric} ${record.metric!.toPrecision(4)}` : `${record.status}: ${record.error}`;
    state.log(`  trial ${record.round}.${record.trial}${halving ? ` (${record.epochs} epochs)` : ""}: ${shown} → ${outcome}${record.seconds === null ? "" : ` (${record.seconds.toFixed(1)}s)`}`);
  };
  try {
    for (let round = 1; round <= plan.rounds && keepGoing(); round++) {
      const box = round === 1 ? dimensions.map((d) => spaceBox(d.distribution)) : narrowed(dimensions, boxes.at(-1)!, records().filter((r) => r.round < round), plan.direction);
      boxes.push(box);
      state.log(`round ${round}: ${dimensions.map((d, k) => `${d.key} ${boxText(d, box[k]!)}`).join(", ")}`);
      const draws = sampleRound(dimensions.map((d) => d.distribution), box, plan.trials, plan.seed, round);
      let survivors = draws.map((_, i) => i + 1);
      for (const [rung, { epochs }] of rungs.entries()) {
        const tasks: TrialTask[] = survivors.map((trial) => {
          const values = draws[trial - 1]!;
          const settings = trialSettings(dimensions, values, plan.settings);
          if (halving) settings.set("epochs", String(epochs));
          return { round, trial, rung, epochs: Number(settings.get("epochs") ?? plan.epochs), values: Object.fromEntries(dimensions.map((d, k) => [d.key, values[k]!])), settings };
        });
        // A failed trial is run again; a finished or diverged one is a result.
        const pending = tasks.filter((t) => !["ok", "diverged"].includes(state.done.get(trialKey(t))?.status ?? ""));
        if (halving && pending.length) state.log(`  rung ${rung + 1} of ${rungs.length}: ${tasks.length} trial${tasks.length === 1 ? "" : "s"} × ${epochs} epochs`);
        await runPool(pending, plan.parallel, async (task) => {
          const result = await state.runner(task, abort.signal);
          if (result) record(result);
        }, keepGoing);
        const next = rungs[rung + 1];
        if (!keepGoing() || !next) break;
        survivors = tasks
          .map((t) => state.done.get(trialKey(t)))
          .filter((r): r is TrialRecord => r?.status === "ok")
          .sort((a, b) => (plan.direction === "min" ? a.metric! - b.metric! : b.metric! - a.metric!) || a.trial - b.trial)
          .slice(0, next.trials)
          .map((r) => r.trial)
          .sort((a, b) => a - b);
      }
    }
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  return { boxes, outcome: abort.signal.aborted ? "interrupted" : failing ? "failing" : "done" };
}

// The next round's box: around the best quarter of every finished trial so far.
function narrowed(dimensions: readonly Dimension[], current: Box[], records: TrialRecord[], direction: Direction): Box[] {
  const ranked = rankedTrials(records, direction).filter((r) => r.status === "ok");
  if (ranked.length < 2) return current;
  const top = ranked.slice(0, topCount(ranked.length));
  return dimensions.map((d, k) => narrowBox(d.distribution, current[k]!, top.map((r) => r.values[d.key]!)));
}
