// TensorFlow.js's core package computes gradients only for ops whose gradient functions were
// registered, and registering them is left to the `@tensorflow/tfjs` bundle: tfjs-core ships the
// registrations (dist/register_all_gradients.js) only as ES modules with extensionless imports,
// which Node cannot load. Rather than add the whole bundle (layers, converter, data) for one side
// effect, we bundle that one file with esbuild (already here as tsx's compiler) into CommonJS and
// load it. Its copy of tfjs-core's internals is harmless: tfjs keeps the engine and the kernel and
// gradient registries on the global object precisely so that several copies share them.

import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";

let registered = false;

export function registerTfjsGradients(): void {
  if (registered) return;
  const require = createRequire(import.meta.url);
  const entry = require.resolve("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  const bundle = buildSync({ entryPoints: [entry], bundle: true, format: "cjs", platform: "node", write: false, logLevel: "silent" });
  const file = join(mkdtempSync(join(tmpdir(), "nnc-bench-")), "register_all_gradients.cjs");
  writeFileSync(file, bundle.outputFiles[0]!.contents);
  require(file);
  registered = true;
}
