// Whether dist/ was built from the sources as they are now. The build (scripts/build.js) records
// the modification time of every source file the command line's bundle was made from; the `nnc`
// command (bin/nnc.js) compares them with the files on disk before it starts, which costs a few
// milliseconds, and runs the sources instead when one differs, so an edit is never run stale.
//
// Plain JavaScript, like bin/nnc.js: both run before anything could load TypeScript.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

// Where the command line's sources are, relative to the repository root.
export const SOURCE_FOLDERS = ["api", "cli", "compiler", "format", "grammar", "runtime"];
// The record of a build, relative to the repository root.
export const STAMP = join("dist", "cli", "sources.json");

// The modification time (ms) of every TypeScript source file under SOURCE_FOLDERS, by its path
// relative to `root` with forward slashes (as esbuild names its inputs).
export function sourceTimes(root) {
  const times = {};
  const walk = (folder) => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return; // an installed package has no sources
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
        times[relative(root, path).split(sep).join("/")] = statSync(path).mtimeMs;
      }
    }
  };
  for (const folder of SOURCE_FOLDERS) walk(join(root, folder));
  return times;
}

// "fresh", "stale" (a recorded source changed or is gone), "missing" (no build), or "no-sources"
// (an installed package: dist/ is all there is).
export function distState(root) {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(join(root, STAMP), "utf8")).sources;
  } catch {
    return statOrNull(join(root, "cli", "main.ts")) ? "missing" : "no-sources";
  }
  if (!statOrNull(join(root, "cli", "main.ts"))) return "no-sources";
  for (const [file, time] of Object.entries(recorded)) {
    if (statOrNull(join(root, file))?.mtimeMs !== time) return "stale";
  }
  return "fresh";
}

function statOrNull(path) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
