// Evaluating an ensemble: what `nnc ensemble` does after training its members, and what `nnc eval`
// and `nnc predict` do with several `--checkpoint`s. The members are checkpoints of one model; one
// session (runtime/session.ts, on either backend) is given each member's weights in turn and
// predicts a split, and runtime/ensemble.ts combines the predictions (`--combine mean|vote`) and
// measures the members and the ensemble alike.

import type { Graph } from "../compiler/ir/graph.ts";
import type { Dataset } from "../runtime/data/dataset.ts";
import { combinedMetrics, combinePredictions, disagreement, isClassifier, predictionMetrics, type Combine, type PredictionMetrics } from "../runtime/ensemble.ts";
import type { Session } from "../runtime/session.ts";
import type { CheckpointContent } from "../runtime/train/checkpoint.ts";
import { initializeState } from "../runtime/train/init.ts";
import type { LossKind } from "../runtime/train/metrics.ts";
import { sameFile } from "./checkpoint-target.ts";
import { readCheckpoint } from "./session.ts";
import { concatFlat } from "../runtime/train/backend.ts";
import { UserError } from "./user-error.ts";

export const COMBINE_HELP = `  --combine MODE       combine the members by the \`mean\` of their probabilities (or outputs;
                       the default) or by a majority \`vote\` of their classes (a tie goes to the
                       class the mean prefers)`;

export interface Member {
  path: string;
  content: CheckpointContent;
}

// The --combine of `count` checkpoints: null for one checkpoint, `mean` by default for several.
export function combineOption(command: string, value: string | undefined, count: number, loss: LossKind): Combine | null {
  if (value !== undefined && value !== "mean" && value !== "vote") {
    throw new UserError(`nnc ${command}: --combine must be \`mean\` or \`vote\`, not \`${value}\``);
  }
  if (count < 2) {
    if (value !== undefined) throw new UserError(`nnc ${command}: --combine combines an ensemble, so it needs several --checkpoint options, but got ${count}`);
    return null;
  }
  if (value === "vote" && !isClassifier(loss)) {
    throw new UserError(`nnc ${command}: --combine vote counts the members' classes, but the model is a regression (its loss is \`${loss}\`); use --combine mean`);
  }
  return value ?? "mean";
}

// Reads the members' checkpoints, each checked against the model, and refuses an ensemble that is
// not one: the same file twice (it would count twice), or checkpoints saved by different models.
export function readMembers(command: string, paths: readonly string[], graph: Graph): Member[] {
  paths.forEach((path, i) => {
    const earlier = paths.slice(0, i).find((other) => sameFile(other, path));
    if (earlier !== undefined) throw new UserError(`nnc ${command}: the checkpoint ${path} is given twice${earlier === path ? "" : ` (as ${earlier})`}; each member counts once`);
  });
  const members = paths.map((path) => ({ path, content: readCheckpoint(command, path, graph) }));
  // Weights that nnc did not write name no model; they are checked by their names and shapes only.
  const named = members.filter((m) => m.content.model !== "");
  const first = named[0];
  const other = named.find((m) => m.content.model !== first!.content.model);
  if (first && other) {
    throw new UserError(
      `nnc ${command}: the checkpoints are of different models: ${first.path} holds \`${first.content.model}\`, ${other.path} holds \`${other.content.model}\`; the members of an ensemble are one model`,
    );
  }
  return members;
}

// The weights a session opens with: the first member's.
export function memberStart(graph: Graph, member: CheckpointContent): { params: Float32Array[]; state: Float32Array[] } {
  const initial = initializeState(graph.state);
  return { params: graph.params.map((p) => member.params[p.name]!), state: graph.state.map((s, i) => member.state[s.name] ?? initial[i]!) };
}

// The session's weights become the member's; state the checkpoint lacks goes back to its initial
// value, so nothing of the previous member stays.
export async function loadMember(session: Session, graph: Graph, member: CheckpointContent): Promise<void> {
  const initial = initializeState(graph.state);
  await session.backend.writeState({
    params: Object.fromEntries(graph.params.map((p) => [p.name, member.params[p.name]!])),
    state: Object.fromEntries(graph.state.map((s, i) => [s.name, member.state[s.name] ?? initial[i]!])),
  });
}

const PREDICT_ROWS = 1024;

// The model's prediction (the loss's first argument) for every row of `features`, a chunk of rows
// at a time so that no backend is asked for a batch larger than evaluation uses.
export async function predictRows(session: Session, features: Float32Array, n: number): Promise<Float32Array> {
  if (n === 0) return new Float32Array(0);
  const featureSize = features.length / n;
  const parts: Float32Array[] = [];
  for (let start = 0; start < n; start += PREDICT_ROWS) {
    const rows = Math.min(PREDICT_ROWS, n - start);
    parts.push(await session.backend.predict(features.subarray(start * featureSize, (start + rows) * featureSize), rows, "prediction"));
  }
  return concatFlat(parts);
}

export interface EnsembleReport {
  split: string;
  combine: Combine;
  members: { label: string; checkpoint: string; metrics: PredictionMetrics }[];
  average: PredictionMetrics; // the members' metrics averaged
  ensemble: PredictionMetrics;
  disagreement: number | null; // null for regression
}

// `predictions[i]` is member i's prediction on `dataset` (whose targets are the split's).
export function measureEnsemble(
  loss: LossKind,
  split: string,
  combine: Combine,
  members: { label: string; checkpoint: string; prediction: Float32Array }[],
  dataset: Dataset,
): EnsembleReport {
  const each = members.map((m) => ({ label: m.label, checkpoint: m.checkpoint, metrics: predictionMetrics(loss, m.prediction, dataset) }));
  const predictions = members.map((m) => m.prediction);
  const combined = combinePredictions(loss, predictions, dataset.n, combine);
  const averageOf = (pick: (m: PredictionMetrics) => number | null) => {
    const values = each.map((m) => pick(m.metrics));
    return values.some((v) => v === null) ? null : values.reduce<number>((a, v) => a + v!, 0) / values.length;
  };
  return {
    split,
    combine,
    members: each,
    average: { loss: averageOf((m) => m.loss), accuracy: averageOf((m) => m.accuracy), mse: averageOf((m) => m.mse), n: dataset.n },
    ensemble: combinedMetrics(loss, combined, dataset, combine === "mean"),
    disagreement: isClassifier(loss) ? disagreement(loss, predictions, dataset.n) : null,
  };
}

function fmt(value: number | null): string {
  if (value === null) return "—";
  return value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5) ? value.toExponential(2) : value.toFixed(4);
}

function percent(value: number | null): string {
  return value === null ? "—" : `${(value * 100).toFixed(2)}%`;
}

// The table: one row per member, the members' average and the ensemble, then how often the members
// disagree.
export function ensembleLines(report: EnsembleReport): string[] {
  const classifier = report.ensemble.accuracy !== null;
  const how = report.combine === "mean" ? (classifier ? "the mean of their probabilities" : "the mean of their outputs") : "a majority vote";
  const n = report.ensemble.n;
  const rows: string[][] = [
    ["", "loss", classifier ? "accuracy" : "mse", ""],
    ...report.members.map((m) => [m.label, fmt(m.metrics.loss), classifier ? percent(m.metrics.accuracy) : fmt(m.metrics.mse), m.checkpoint]),
    ["average member", fmt(report.average.loss), classifier ? percent(report.average.accuracy) : fmt(report.average.mse), ""],
    ["ensemble", fmt(report.ensemble.loss), classifier ? percent(report.ensemble.accuracy) : fmt(report.ensemble.mse), ""],
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = [`ensemble of ${report.members.length} members, combined by ${how}, on the ${report.split} split (${n} examples):`];
  for (const row of rows) lines.push(`  ${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padStart(widths[1]!)}  ${row[2]!.padStart(widths[2]!)}  ${row[3]}`.trimEnd());
  if (report.disagreement !== null) {
    const count = Math.round(report.disagreement * n);
    lines.push(`the members disagree (not all predict the same class) on ${percent(report.disagreement)} of the examples (${count} of ${n})`);
  }
  return lines;
}

function metricsJson(metrics: PredictionMetrics): Record<string, number | null> {
  const json: Record<string, number | null> = { loss: metrics.loss };
  if (metrics.accuracy !== null) json.accuracy = metrics.accuracy;
  if (metrics.mse !== null) json.mse = metrics.mse;
  return json;
}

export function ensembleJson(report: EnsembleReport): Record<string, unknown> {
  return {
    split: report.split,
    combine: report.combine,
    examples: report.ensemble.n,
    members: report.members.map((m) => ({ checkpoint: m.checkpoint, ...metricsJson(m.metrics) })),
    average_member: metricsJson(report.average),
    ensemble: metricsJson(report.ensemble),
    disagreement: report.disagreement,
  };
}
