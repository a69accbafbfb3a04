// The search itself, as pure functions: drawing a round's trials from a box, narrowing the box
// around the best trials for the next round, successive halving's rungs, and ranking the trials.
//
// Coarse to fine: round 1 samples the whole space. Each later round samples the box spanned by the
// best quarter of all trials so far (at least two), measured in the space the distribution is
// uniform in (the logarithm for loguniform and logint), widened by a quarter of its width on each
// side (never past the space's bounds) and kept at least a tenth as wide as the box before it, so a
// round never collapses onto one point; a whole-number range is rounded outwards, and a choice keeps
// the values the best trials had. The draws of round r come from the sweep's seed and r alone, so
// the same seed and the same results give the same trials (which is how a journal resumes).

import { Rng } from "../../runtime/rng.ts";
import { isInteger, isLog, type Distribution } from "./space.ts";
import type { Value } from "./keys.ts";

export type Box = { kind: "range"; low: number; high: number } | { kind: "choice"; values: string[] };

export function spaceBox(distribution: Distribution): Box {
  return distribution.kind === "choice" ? { kind: "choice", values: [...distribution.values] } : { kind: "range", low: distribution.low, high: distribution.high };
}

// Real values are drawn to three significant digits: what a person would write in a train block,
// and exactly what the trial ran.
function significant(value: number): number {
  return Number(value.toPrecision(3));
}

export function sample(distribution: Distribution, box: Box, rng: Rng): Value {
  if (box.kind === "choice") return box.values[rng.int(box.values.length)]!;
  if (distribution.kind === "choice") throw new Error("internal error: a choice with a range box");
  const { low, high } = box;
  const u = rng.uniform();
  switch (distribution.kind) {
    case "uniform":
      return clamp(significant(low + u * (high - low)), distribution.low, distribution.high);
    case "loguniform":
      return clamp(significant(Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low)))), distribution.low, distribution.high);
    case "int":
      return Math.min(high, low + Math.floor(u * (high - low + 1)));
    case "logint":
      return clamp(Math.floor(Math.exp(Math.log(low) + u * (Math.log(high + 1) - Math.log(low)))), low, high);
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

// The trials of round `round` (from 1): `count` draws, each a value per dimension.
export function sampleRound(distributions: readonly Distribution[], boxes: readonly Box[], count: number, seed: number, round: number): Value[][] {
  const rng = Rng.derive(seed, `sweep round ${round}`);
  return Array.from({ length: count }, () => distributions.map((d, k) => sample(d, boxes[k]!, rng)));
}

// The next round's box of one dimension, around the values of the best trials.
export function narrowBox(distribution: Distribution, box: Box, best: readonly Value[]): Box {
  if (distribution.kind === "choice") {
    const kept = new Set(best.map(String));
    return { kind: "choice", values: distribution.values.filter((v) => kept.has(v)) };
  }
  if (box.kind !== "range") throw new Error("internal error: a range with a choice box");
  const log = isLog(distribution);
  const to = (v: number) => (log ? Math.log(v) : v);
  const from = (t: number) => (log ? Math.exp(t) : t);
  const [spaceLow, spaceHigh] = [to(distribution.low), to(distribution.high)];
  const values = best.map((v) => to(Number(v)));
  const a = Math.min(...values);
  const b = Math.max(...values);
  let low = Math.max(spaceLow, a - (b - a) / 4);
  let high = Math.min(spaceHigh, b + (b - a) / 4);
  const minimum = (to(box.high) - to(box.low)) / 10;
  if (high - low < minimum) {
    const center = (a + b) / 2;
    low = Math.max(spaceLow, center - minimum / 2);
    high = Math.min(spaceHigh, low + minimum);
    low = Math.max(spaceLow, high - minimum);
  }
  if (isInteger(distribution)) return { kind: "range", low: Math.max(distribution.low, Math.floor(from(low) + 1e-9)), high: Math.min(distribution.high, Math.ceil(from(high) - 1e-9)) };
  return { kind: "range", low: clamp(from(low), distribution.low, distribution.high), high: clamp(from(high), distribution.low, distribution.high) };
}

// How many of the trials ranked best make the next round's box: a quarter, at least two.
export function topCount(finished: number): number {
  return Math.min(finished, Math.max(2, Math.ceil(finished / 4)));
}

// Successive halving over epochs within a round: rung k trains the best ⌈n / 2^k⌉ trials of rung
// k − 1 (all n at rung 0) for E / 2^(K−1−k) epochs (rounded, at least 1), so the last rung trains
// the few best for the full E epochs. K is as many rungs as both halvings allow: ⌊log2 n⌋ + 1 for
// the trials and ⌊log2 E⌋ + 1 for the epochs. Every rung trains from the start (a trial of rung k
// is the run `nnc run --epochs e_k` makes, so its figures and the printed block agree).
export interface Rung {
  epochs: number;
  trials: number;
}

export function halvingRungs(trials: number, epochs: number): Rung[] {
  const count = Math.min(Math.floor(Math.log2(trials)) + 1, Math.floor(Math.log2(epochs)) + 1);
  return Array.from({ length: count }, (_, k) => ({
    epochs: Math.max(1, Math.round(epochs / 2 ** (count - 1 - k))),
    trials: Math.ceil(trials / 2 ** k),
  }));
}

export type Direction = "min" | "max";

export interface Ranked {
  round: number;
  trial: number;
  rung: number;
  status: "ok" | "diverged" | "failed";
  metric: number | null;
}

// Best first: finished trials (the further they got in halving, the better), by the metric, then
// in the order they were drawn; then the diverged, then the failed.
export function compareTrials(direction: Direction) {
  const order = { ok: 0, diverged: 1, failed: 2 };
  return (a: Ranked, b: Ranked): number => {
    if (a.status !== b.status) return order[a.status] - order[b.status];
    if (a.status === "ok") {
      if (a.rung !== b.rung) return b.rung - a.rung;
      const metric = direction === "min" ? a.metric! - b.metric! : b.metric! - a.metric!;
      if (metric !== 0 && Number.isFinite(metric)) return metric;
    }
    return a.round - b.round || a.trial - b.trial;
  };
}
