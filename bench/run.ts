// `npm run bench`: one training step of examples/mnist_mlp.nn timed in every row of peers.ts, on
// this machine, in one run, each row in its own Node process. Prints a table of the median step
// time, throughput, the process's peak memory, the memory growth while training and the ratio of
// each row's time to nnc's CPU runtime's.
//
//   npm run bench -- [--steps 30] [--warmup 5] [--only "tfjs wasm"] [--json results.json] [--cold]
//
// Then (unless --only leaves out the row "start-up") the start-up of the `nnc` command itself:
// its built JavaScript against its sources through tsx (startup.ts).
//
// --cold starts every row with empty caches: Mesa's shader cache (MESA_SHADER_CACHE_DIR) and
// nnc's autotune cache each point at a new empty folder, so the "first step" column is a cold
// start; without it, a row reuses whatever earlier runs left there (a warm start).

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BASELINE, BATCH, PEERS, type Peer, type PeerResult, RESULT_MARKER } from "./peers.ts";
import { timeStartup, type StartupRow } from "./startup.ts";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "30" },
    warmup: { type: "string", default: "5" },
    only: { type: "string", multiple: true },
    json: { type: "string" },
    cold: { type: "boolean" },
  },
});

const child = fileURLToPath(new URL("./peer-child.ts", import.meta.url));
const rows: { name: string; kind: Peer["kind"]; result: PeerResult | null; error?: string }[] = [];
for (const peer of PEERS) {
  if (values.only && !values.only.includes(peer.name)) continue;
  process.stderr.write(`running ${peer.name}…\n`);
  // stderr is captured too (TensorFlow.js greets Node users there) and shown only if a row fails.
  const cold = values.cold ? mkdtempSync(join(tmpdir(), "nnc-bench-cold-")) : null;
  const env = cold ? { ...process.env, MESA_SHADER_CACHE_DIR: join(cold, "mesa"), NNC_AUTOTUNE_CACHE: join(cold, "autotune.json") } : process.env;
  const run = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", child, peer.name, values.steps, values.warmup], {
    env,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = run.stdout.split("\n").find((l) => l.startsWith(RESULT_MARKER));
  if (run.status === 0 && line) {
    rows.push({ name: peer.name, kind: peer.kind, result: JSON.parse(line.slice(RESULT_MARKER.length)) as PeerResult });
  } else {
    process.stderr.write(run.stdout + run.stderr);
    rows.push({ name: peer.name, kind: peer.kind, result: null, error: `exit code ${run.status}` });
  }
}

// Each kind of row is compared with its own nnc cpu row.
const baselineOf = (kind: Peer["kind"]) => rows.find((r) => r.name === BASELINE[kind])?.result ?? null;
const table = rows.map(({ name, kind, result, error }) => {
  if (result === null) return [name, "failed", "", "", "", "", "", error ?? ""];
  const baseline = baselineOf(kind);
  return [
    name,
    result.msPerStep.toFixed(2),
    ((BATCH[kind] * 1000) / result.msPerStep).toFixed(0),
    ((result.peakRssBytes ?? 0) / 2 ** 20).toFixed(0),
    (result.rssGrowthBytes / 2 ** 20).toFixed(1),
    baseline ? `${(result.msPerStep / baseline.msPerStep).toFixed(2)}×` : "—",
    result.firstStepSeconds === undefined ? "—" : result.firstStepSeconds.toFixed(2),
    result.note ?? "",
  ];
});
const header = ["row", "ms/step", "examples/s", "peak RSS MiB", "RSS growth MiB", "time ÷ nnc cpu", values.cold ? "cold first step s" : "first step s", "note"];
const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
const line = (cells: string[]) => cells.map((cell, c) => (c === 0 || c === header.length - 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");

console.log(`mnist_mlp (784→256→256→10): a training step at batch 128 with Adam, and (rows "… infer") the prediction of a batch of 1024; median of ${values.steps} after ${values.warmup} warm-up`);
console.log(`${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}\n`);
console.log(line(header));
console.log(widths.map((w) => "─".repeat(w)).join("  "));
for (const row of table) console.log(line(row));
if (!baselineOf("train") && !baselineOf("infer")) console.log(`\n(no nnc cpu row in this run, so no ratios)`);

let startup: StartupRow[] = [];
if (!values.only || values.only.includes("start-up")) {
  process.stderr.write("timing the nnc command's start-up…\n");
  startup = timeStartup();
  console.log("\nstart-up of the nnc command (whole process, median of 5): the build in dist/ against the sources through tsx");
  for (const row of startup) {
    const ratio = (row.builtSeconds / row.sourceSeconds).toFixed(2);
    console.log(`  ${row.command.padEnd(34)} ${row.builtSeconds.toFixed(3)} s built, ${row.sourceSeconds.toFixed(3)} s from sources (${ratio}×)`);
  }
}
if (values.json) writeFileSync(values.json, JSON.stringify({ machine: cpus()[0]?.model, node: process.version, rows, startup }, null, 2));
