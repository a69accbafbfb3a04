#!/usr/bin/env node
// The nnc command. It runs the built JavaScript in dist/ (scripts/build.js, run by `npm install`
// and `npm test`). In a clone whose sources changed since the last build, it runs the TypeScript
// sources through tsx instead, a second slower to start, and says so on a terminal; a developer
// never needs to build to try an edit, and never runs a stale build.
import { fileURLToPath } from "node:url";
import { distState } from "./freshness.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const state = process.env.NNC_FROM_SOURCES ? "forced" : distState(root);
let main;
if (state === "fresh" || state === "no-sources") {
  ({ main } = await import("../dist/cli/main.js"));
} else {
  if (process.stderr.isTTY && state !== "forced") {
    const why = state === "missing" ? "there is no build in dist/" : "dist/ is older than the sources";
    process.stderr.write(`nnc: ${why}, so the sources run through tsx (slower to start); \`npm run build\` updates it\n`);
  }
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../cli/main.ts"));
}
const code = await main(process.argv.slice(2));
// Exit explicitly: a WebGPU device (Dawn) keeps Node's event loop alive after the work is done.
// But first let stdout and stderr flush: a pipe is written asynchronously, and exiting at once
// would cut a large --json (a comparison's histories and trajectories) short. A write's callback
// runs once everything written before it is flushed.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write("", resolve))));
process.exit(code);
