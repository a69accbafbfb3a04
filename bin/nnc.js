#!/usr/bin/env node
// The nnc command. The sources are TypeScript; tsx loads them directly, so there is no build step
// between editing the compiler and running it.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/main.ts");
const code = await main(process.argv.slice(2));
// Exit explicitly: a WebGPU device (Dawn) keeps Node's event loop alive after the work is done.
process.exit(code);
