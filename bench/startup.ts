// Start-up of the `nnc` command as a whole process, from `node` starting to its exit: the built
// JavaScript in dist/ (what `nnc` runs when its build is current) against the TypeScript sources
// compiled by tsx at every start (NNC_FROM_SOURCES=1). Medians of a few runs each, the two
// alternating, after one warm-up run of each.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const COMMANDS: { label: string; args: string[] }[] = [
  { label: "nnc --help", args: ["--help"] },
  { label: "nnc check examples/mnist_mlp.nn", args: ["check", "examples/mnist_mlp.nn"] },
];

export interface StartupRow {
  command: string;
  builtSeconds: number; // median wall time running dist/
  sourceSeconds: number; // median wall time through tsx
}

export function timeStartup(runs = 5): StartupRow[] {
  const build = spawnSync(process.execPath, ["scripts/build.js"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`the build failed:\n${build.stdout}${build.stderr}`);
  return COMMANDS.map(({ label, args }) => {
    const time = (fromSources: boolean) => {
      const env = { ...process.env, NNC_FROM_SOURCES: fromSources ? "1" : "" };
      const started = performance.now();
      const run = spawnSync(process.execPath, ["bin/nnc.js", ...args], { cwd: ROOT, env, encoding: "utf8" });
      if (run.status !== 0) throw new Error(`${label} failed:\n${run.stderr}`);
      return (performance.now() - started) / 1000;
    };
    time(false);
    time(true);
    const built: number[] = [];
    const sources: number[] = [];
    for (let r = 0; r < runs; r++) {
      built.push(time(false));
      sources.push(time(true));
    }
    return { command: label, builtSeconds: median(built), sourceSeconds: median(sources) };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
