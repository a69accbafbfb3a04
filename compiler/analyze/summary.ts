// The model summary `nnc check` prints: one row per layer (its path, op, output shape and parameter
// count), the total, and a one-line description of the training configuration.

import { formatShape } from "../ir/graph.ts";
import type { TrainConfig } from "../ir/config.ts";
import type { CheckedModel } from "./model-types.ts";

export interface SummaryRow {
  path: string;
  op: string;
  shape: string;
  params: number;
}

export interface ModelSummary {
  name: string;
  rows: SummaryRow[];
  totalParams: number;
  train: string | null;
}

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

export function summarizeModel(model: CheckedModel, config: TrainConfig | null): ModelSummary {
  const rows = model.nodes
    .filter((n) => n.layer !== "const")
    .map((n) => ({
      path: n.path || n.binding || "(loss)",
      op: n.layer === "target" && n.kind === "class" ? "target (class)" : n.layer,
      shape: n.kind === "class" ? `class${formatShape(n.shape)}` : formatShape(n.shape),
      params: n.params.reduce((total, p) => total + size(p.shape), 0),
    }));
  return {
    name: model.name,
    rows,
    totalParams: model.params.reduce((total, p) => total + size(p.shape), 0),
    train: config ? describeTraining(config) : null,
  };
}

export function describeTraining(config: TrainConfig): string {
  const { kind: optimizer, lr } = config.optimizer;
  const parts = [
    `data ${config.data.kind}`,
    `batch ${config.batch}`,
    `${config.epochs} epoch${config.epochs === 1 ? "" : "s"}`,
    `${optimizer}(lr: ${lr})`,
    `schedule ${config.schedule.kind}`,
  ];
  if (config.early_stopping) parts.push(`early stopping on ${config.early_stopping.metric}`);
  parts.push(`seed ${config.seed}`);
  return parts.join(", ");
}

export function formatSummary(summary: ModelSummary): string {
  const header = { path: "layer", op: "op", shape: "output shape", params: "params" };
  const count = (n: number) => n.toLocaleString("en-US");
  const widths = {
    path: Math.max(header.path.length, ...summary.rows.map((r) => r.path.length)),
    op: Math.max(header.op.length, ...summary.rows.map((r) => r.op.length)),
    shape: Math.max(header.shape.length, ...summary.rows.map((r) => r.shape.length)),
    params: Math.max(header.params.length, count(summary.totalParams).length),
  };
  const line = (path: string, op: string, shape: string, params: string) =>
    `  ${path.padEnd(widths.path)}  ${op.padEnd(widths.op)}  ${shape.padEnd(widths.shape)}  ${params.padStart(widths.params)}`.trimEnd();
  const out = [`model ${summary.name}`, line(header.path, header.op, header.shape, header.params)];
  for (const r of summary.rows) out.push(line(r.path, r.op, r.shape, count(r.params)));
  out.push(line("total", "", "", count(summary.totalParams)));
  out.push(summary.train ? `  training: ${summary.train}` : "  training: no train block");
  return out.join("\n");
}
