// `npm run demo:build`: the web page of examples/web/ in examples/web/dist/, ready to serve as
// static files (`npm run demo` serves it, serve.ts):
//
//   index.html               the page
//   main.js, main.js.map     the page's code, the model's generated module and nnc's runtime,
//                            bundled by esbuild
//   mnist-digits.bin.gz      the MNIST digits the page trains and tests on (digits.ts), gzipped
//
// First `nnc compile examples/mnist_mlp.nn -o examples/web/generated/mnist_mlp.ts` writes the model
// as a module of its own, which the page imports. The digits are the first TRAIN_DIGITS training
// and TEST_DIGITS test digits of the train block's own `mnist(...)` split, loaded as `nnc run`
// loads them.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { compileFile, loadData } from "../../api/index.ts";
import type { Dataset } from "../../runtime/data/dataset.ts";
import { encodeDigits, PIXELS, type Digits } from "./digits.ts";

const TRAIN_DIGITS = 3000;
const TEST_DIGITS = 500;

const webFolder = fileURLToPath(new URL(".", import.meta.url));
const distFolder = join(webFolder, "dist");
const root = join(webFolder, "..", "..");
const modelFile = join(root, "examples", "mnist_mlp.nn");

export async function buildDemo(): Promise<{ folder: string; seconds: number }> {
  const started = performance.now();
  rmSync(distFolder, { recursive: true, force: true });
  mkdirSync(distFolder, { recursive: true });

  const compile = spawnSync(process.execPath, [join(root, "bin", "nnc.js"), "compile", modelFile, "-o", join(webFolder, "generated", "mnist_mlp.ts")], { encoding: "utf8" });
  if (compile.status !== 0) throw new Error(`nnc compile failed:\n${compile.stdout}${compile.stderr}`);

  const data = loadData(compileFile(modelFile));
  const digits = encodeDigits({ train: first(data.train, TRAIN_DIGITS), test: first(data.test!, TEST_DIGITS) });
  writeFileSync(join(distFolder, "mnist-digits.bin.gz"), gzipSync(digits, { level: 9 }));

  copyFileSync(join(webFolder, "index.html"), join(distFolder, "index.html"));
  await build({
    absWorkingDir: root,
    entryPoints: [join(webFolder, "main.ts")],
    outfile: join(distFolder, "main.js"),
    tsconfig: join(webFolder, "tsconfig.json"), // maps `nnc/runtime` to the sources
    bundle: true,
    format: "esm",
    platform: "browser", // with package.json's `browser` field, leaves Node's modules out
    target: "es2022",
    minify: true,
    sourcemap: true,
    logLevel: "warning",
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`built the demo page in ${seconds.toFixed(1)} s: ${distFolder}`);
  return { folder: distFolder, seconds };
}

// The first n digits of a split (already in the split's seeded order).
function first(dataset: Dataset, n: number): Digits {
  return { x: dataset.features.slice(0, n * PIXELS), y: Int32Array.from(dataset.targets.subarray(0, n)) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildDemo();
