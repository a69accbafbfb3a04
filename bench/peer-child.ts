// Runs one benchmark row in this process and prints its result as one JSON line after a marker,
// for run.ts, which starts one process per row so no row's memory or JIT state leaks into another.

import { PEERS, RESULT_MARKER } from "./peers.ts";

const [name, steps, warmup] = process.argv.slice(2);
const peer = PEERS.find((p) => p.name === name);
if (!peer) throw new Error(`no benchmark row named "${name}"`);
const result = await peer.run({ steps: Number(steps), warmup: Number(warmup) });
// maxRSS covers the whole process (Node, tsx and the row's library too), the same for every row.
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify({ ...result, peakRssBytes })}\n`);
// Exit explicitly: Dawn (the WebGPU row) keeps Node alive while its device exists. Writes to a pipe
// are synchronous on Linux, so the line above is out before the process ends.
process.exit(0);
