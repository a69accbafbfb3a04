// The model summary `nnc check` prints: one row per layer (its path, op, output shape and parameter
// count), the total, and every train block of the model, numbered as in the file (`--train N`),
// with its settings in full: as written, then the defaults of the ones left out.

import type { Expression, TrainDecl } from "../../grammar/ast.ts";
import { formatShape } from "../ir/graph.ts";
import type { TrainConfig } from "../ir/config.ts";
import type { CheckedModel } from "./model-types.ts";

export interface SummaryRow {
  path: string;
  op: string;
  shape: string;
  params: number;
}

export interface TrainSummary {
  number: number; // 1-based, among all the train blocks of the file
  settings: { key: string; value: string; default: boolean }[];
}

export interface ModelSummary {
  name: string;
  rows: SummaryRow[];
  totalParams: number;
  trains: TrainSummary[];
}

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

export function summarizeModel(model: CheckedModel, trains: { number: number; decl: TrainDecl; config: TrainConfig | null }[] = []): ModelSummary {
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
    trains: trains.map(({ number, decl, config }) => ({ number, settings: describeTraining(decl, config) })),
  };
}

// The settings as written, then the defaults of the main ones left out.
export function describeTraining(decl: TrainDecl, config: TrainConfig | null): TrainSummary["settings"] {
  const settings = decl.settings.map((s) => ({ key: s.key.name, value: s.args.map((a) => (a.name ? `${a.name.name}: ` : "") + expressionText(a.value)).join(", "), default: false }));
  if (!config) return settings;
  const written = new Set(settings.map((s) => s.key));
  // Without data there is no batch and no layer to initialize; an epoch is `steps` steps.
  const defaults: [string, string][] =
    config.data.kind === "none"
      ? [
          ["steps", String(config.data.steps)],
          ["epochs", String(config.epochs)],
          ["schedule", config.schedule.kind],
          ["seed", String(config.seed)],
        ]
      : [
          ["batch", String(config.batch)],
          ["epochs", String(config.epochs)],
          ["schedule", config.schedule.kind],
          ["init", config.init ? config.init.kind : "PyTorch's, per layer"],
          ["seed", String(config.seed)],
        ];
  for (const [key, value] of defaults) if (!written.has(key)) settings.push({ key, value, default: true });
  return settings;
}

// An expression of a setting as the formatter writes it: `warmup(steps: 200) then cosine(to: 1e-5)`.
export function expressionText(e: Expression): string {
  switch (e.type) {
    case "NumberLiteral":
    case "StringLiteral":
      return e.raw;
    case "Identifier":
      return e.name;
    case "MemberExpr":
      return `${expressionText(e.object)}.${e.property.name}`;
    case "IndexExpr":
      return `${expressionText(e.object)}[${e.indices.map(expressionText).join(", ")}]`;
    case "ListExpr":
      return `[${e.elements.map(expressionText).join(", ")}]`;
    case "Call":
      return `${e.callee.name}(${e.args.map((a) => (a.name ? `${a.name.name}: ` : "") + expressionText(a.value)).join(", ")})`;
    case "Pipe":
      return `${expressionText(e.left)} |> ${expressionText(e.right)}`;
    case "BinaryExpr":
      return e.operator === "^" ? `${expressionText(e.left)}^${expressionText(e.right)}` : `${expressionText(e.left)} ${e.operator} ${expressionText(e.right)}`;
    case "UnaryExpr":
      return `-${expressionText(e.argument)}`;
    case "ThenExpr":
      return e.parts.map(expressionText).join(" then ");
  }
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
  if (summary.trains.length === 0) out.push("  training: no train block");
  for (const train of summary.trains) {
    out.push(`  train block ${train.number} (\`--train ${train.number}\`):`);
    const keyWidth = Math.max(...train.settings.map((s) => s.key.length));
    for (const s of train.settings) out.push(`    ${s.key.padEnd(keyWidth)}  ${s.value}${s.default ? "  (default)" : ""}`);
  }
  return out.join("\n");
}
