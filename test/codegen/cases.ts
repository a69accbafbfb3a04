// The generated modules the codegen tests look at: an example compiled as `nnc compile` compiles it
// (cli/compile-module.ts), and a module written where the tests can import it.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { runInNewContext } from "node:vm";
import { generateModule, type ModuleOptions } from "../../cli/compile-module.ts";
import { loadModel } from "../../cli/load.ts";
import { decodeModelSpec, type ModelSpec } from "../../runtime/model/spec.ts";

// One case per folder of test/codegen: mnist_mlp (an MLP classifier), mnist_cnn (convolutions),
// linear_regression (a regression), softmax_regression (Iris: named classes and features,
// standardized inputs), the last also as JavaScript with its declarations.
export const CASES: { name: string; file: string; target: "ts" | "js" }[] = [
  { name: "mnist_mlp", file: "examples/mnist_mlp.nn", target: "ts" },
  { name: "mnist_cnn", file: "examples/mnist_cnn.nn", target: "ts" },
  { name: "linear_regression", file: "examples/linear_regression.nn", target: "ts" },
  { name: "softmax_regression", file: "examples/softmax_regression.nn", target: "ts" },
  { name: "softmax_regression_js", file: "examples/softmax_regression.nn", target: "js" },
];

export async function generated(file: string, options: Partial<ModuleOptions> & { output: string }): Promise<{ path: string; text: string }[]> {
  const loaded = loadModel("compile", file, options.train);
  return generateModule(loaded, { target: undefined, weights: undefined, matmul: undefined, train: undefined, ...options });
}

// The spec a module holds, read back from its text.
export function specOf(text: string): ModelSpec {
  const match = /decodeModelSpec\(\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/.exec(text);
  if (!match) throw new Error("no spec in the module");
  // The literal is a JavaScript string (of JSON text) in whichever quotes prettier chose.
  return decodeModelSpec(runInNewContext(match[1]!) as string);
}

const IMPORTABLE = join("tmp", "codegen-tests");
const written: string[] = [];

// Writes a generated TypeScript module into the repository's tmp/ (where Node and vitest resolve
// TypeScript), importing nnc/runtime from the sources, and returns its path for `import()`;
// removeImportables() removes them again.
export function importable(text: string, name: string): string {
  mkdirSync(IMPORTABLE, { recursive: true });
  const folder = IMPORTABLE;
  const path = join(folder, `${name}-${process.pid}.ts`);
  written.push(path);
  const runtime = relative(folder, join("runtime", "index.ts"));
  writeFileSync(path, text.replace(`from "nnc/runtime"`, `from "${runtime}"`));
  return join(process.cwd(), path);
}

export function removeImportables(): void {
  for (const path of written.splice(0)) rmSync(path, { force: true });
}
