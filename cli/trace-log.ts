// A trajectory read back from a run's JSON-lines log (`nnc run --trace --log run.jsonl`), for
// `nnc analyze --landscape --trace-from run.jsonl`: the log's `run` line names the model, its
// `trace_plane` line says what the points' coordinates are, and the `trace` lines are the points.

import { readFileSync } from "node:fs";
import type { TracePlaneRecord, TraceRecord, Trace } from "../runtime/train/trace.ts";
import { UserError } from "./user-error.ts";

export function readTraceLog(command: string, path: string, expect: { model: string; parameters: number }): Trace {
  if (path === "") throw new UserError(`nnc ${command}: --trace-from needs a file name, but got an empty one`);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`nnc ${command}: --trace-from ${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a folder, not a log" : (error as Error).message}`);
  }
  const notLog = `nnc ${command}: --trace-from ${path}: not a JSON-lines log of \`nnc run --trace --log FILE.jsonl\``;
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  let records: { kind?: string; [key: string]: unknown }[];
  try {
    records = lines.map((line) => JSON.parse(line) as { kind?: string });
  } catch {
    throw new UserError(path.toLowerCase().endsWith(".csv") ? `${notLog}: a CSV log holds no parameter vectors; log to FILE.jsonl` : notLog);
  }
  const run = records[0];
  if (!run || run.kind !== "run" || typeof run.format !== "string" || !run.format.startsWith("nnc-history-")) throw new UserError(notLog);
  if (run.model !== expect.model) throw new UserError(`nnc ${command}: --trace-from ${path}: the log is of the model \`${String(run.model)}\`, not \`${expect.model}\``);
  const plane = records.find((r) => r.kind === "trace_plane") as TracePlaneRecord | undefined;
  const points = records.filter((r) => r.kind === "trace") as unknown as TraceRecord[];
  if (!plane || points.length === 0) {
    throw new UserError(`nnc ${command}: --trace-from ${path}: the log has no trajectory; record one with \`nnc run … --trace --log ${path}\``);
  }
  if (plane.parameters !== expect.parameters) {
    throw new UserError(`nnc ${command}: --trace-from ${path}: the traced run had ${plane.parameters} parameters, the model has ${expect.parameters}`);
  }
  return { plane, points };
}
