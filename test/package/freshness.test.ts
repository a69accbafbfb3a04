// When `nnc` runs dist/ and when it runs the sources (bin/freshness.js): a build is used only while
// every source it was made from is exactly as it was then.

import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { distState, sourceTimes, STAMP } from "../../bin/freshness.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "nnc-freshness-"));
  for (const [file, text] of [
    ["cli/main.ts", "export {};"],
    ["runtime/rng.ts", "export {};"],
    ["runtime/types.d.ts", "export {};"],
    ["runtime/notes.md", "not a source"],
  ]) {
    mkdirSync(join(root, file, ".."), { recursive: true });
    writeFileSync(join(root, file), text);
  }
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

// What scripts/build.js records: the times of the sources the bundle was made from.
function build(sources: Record<string, number>): void {
  mkdirSync(join(root, "dist", "cli"), { recursive: true });
  writeFileSync(join(root, STAMP), JSON.stringify({ sources }));
}

describe("distState", () => {
  it("lists TypeScript sources (not declarations or other files) by their relative paths", () => {
    expect(Object.keys(sourceTimes(root)).sort()).toEqual(["cli/main.ts", "runtime/rng.ts"]);
  });

  it("is fresh right after a build, and stale once a source changes or is gone", () => {
    build(sourceTimes(root));
    expect(distState(root)).toBe("fresh");
    utimesSync(join(root, "runtime/rng.ts"), new Date(), new Date(Date.now() + 5000));
    expect(distState(root)).toBe("stale");
    build(sourceTimes(root));
    expect(distState(root)).toBe("fresh");
    // An older time counts too (a file restored from elsewhere).
    utimesSync(join(root, "runtime/rng.ts"), new Date(0), new Date(0));
    expect(distState(root)).toBe("stale");
    build(sourceTimes(root));
    rmSync(join(root, "runtime/rng.ts"));
    expect(distState(root)).toBe("stale");
  });

  it("is missing without a build, and needs no sources in an installed package", () => {
    expect(distState(root)).toBe("missing");
    build({ "cli/main.ts": 1 });
    rmSync(join(root, "cli"), { recursive: true });
    rmSync(join(root, "runtime"), { recursive: true });
    expect(distState(root)).toBe("no-sources");
  });

  it("is stale for a source that changed while the build read it (recorded as -1)", () => {
    build({ ...sourceTimes(root), "runtime/rng.ts": -1 });
    expect(distState(root)).toBe("stale");
  });
});
