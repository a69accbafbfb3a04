// `npm run verify-examples`: trains every example in full with `nnc run --json` (one process each,
// as a user would run it) and prints each one's result next to the figure it is meant to reach.
// The README's "Results" table records what this printed. It is not part of `npm test`, because
// the MNIST examples take minutes on a small machine.
//
//   npm run verify-examples                 every example
//   npm run verify-examples -- mnist_mlp    only the named ones

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { readSafetensors } from "../runtime/train/safetensors.ts";

interface Result {
  test: { accuracy?: number; mse?: number; loss: number } | null;
  validation: { accuracy?: number; mse?: number; loss: number } | null;
  train: { accuracy?: number; mse?: number; loss: number };
  epochs: number;
  steps: number;
  seconds: number;
  lbfgs: { iterations: number; evaluations: number } | null;
  checkpoint: string | null;
  analysis?: { verdict: { kind: string; summary: string } }; // with --analyze
}

type Check = (result: Result) => { figure: string; ok: boolean };

const accuracy = (min: number): Check => (r) => {
  const value = r.test?.accuracy ?? r.validation?.accuracy ?? r.train.accuracy ?? 0;
  const where = r.test ? "test" : r.validation ? "validation" : "train";
  return { figure: `${where} accuracy ${(value * 100).toFixed(2)}% (target ≥ ${(min * 100).toFixed(1)}%)`, ok: value >= min };
};

// The generating weights of examples/linear_regression.nn's data, read back from the checkpoint.
const recoversLinear: Check = (r) => {
  const tensors = readSafetensors(r.checkpoint!).tensors;
  const weight = Object.entries(tensors).find(([name]) => name.endsWith(".weight"))![1].data;
  const bias = Object.entries(tensors).find(([name]) => name.endsWith(".bias"))![1].data;
  const expected = [2, -3, 0.5];
  const got = [...weight, ...bias];
  const error = Math.max(...expected.map((e, i) => Math.abs(e - (got[i] ?? Infinity))));
  return { figure: `weights ${got.map((g) => g.toFixed(4)).join(", ")} (max error ${error.toExponential(2)}, target ≤ 1e-2)`, ok: error <= 1e-2 };
};

// The kind of critical point `nnc run --analyze` finds at the end, and the loss there.
const verdict = (kind: string, check: Check): Check => (r) => {
  const measured = check(r);
  const found = r.analysis?.verdict.kind ?? "none";
  return { figure: `${measured.figure}; verdict: ${found} (target ${kind})`, ok: measured.ok && found === kind };
};

const lossBelow = (max: number): Check => (r) => ({ figure: `train loss ${r.train.loss.toExponential(3)} (target ≤ ${max})`, ok: r.train.loss <= max });

// The weights of a model without data, read back from the checkpoint, against where they should be.
const weightsNear = (name: string, expected: number[], tolerance: number): Check => (r) => {
  const got = Array.from(readSafetensors(r.checkpoint!).tensors[name]!.data);
  const error = Math.max(...expected.map((e, i) => Math.abs(e - (got[i] ?? Infinity))));
  return { figure: `${name} = (${got.map((g) => g.toPrecision(7)).join(", ")}) (max error ${error.toExponential(2)}, target ≤ ${tolerance})`, ok: error <= tolerance };
};

// Examples whose result is a verdict: they run with --analyze.
const ANALYZED = new Set(["saddle", "critical_points"]);

const TARGETS: Record<string, Check> = {
  mnist_mlp: accuracy(0.945),
  dropout_mlp: accuracy(0.95),
  mnist_cnn: accuracy(0.97),
  softmax_regression: accuracy(0.95),
  perceptron: accuracy(1),
  svm_hinge: accuracy(1),
  linear_regression: recoversLinear,
  saddle: verdict("saddle", lossBelow(1e-30)),
  critical_points: verdict("minimum", accuracy(0.9)),
  rosenbrock: weightsNear("w", [1, 1], 1e-3),
  zigzag: lossBelow(0.025),
};

const only = process.argv.slice(2);
const examples = readdirSync("examples")
  .filter((f) => f.endsWith(".nn"))
  .map((f) => basename(f, ".nn"))
  .filter((name) => only.length === 0 || only.includes(name));
const scratch = mkdtempSync(join(tmpdir(), "nnc-verify-"));
let failures = 0;

for (const name of examples) {
  const checkpoint = join(scratch, `${name}.safetensors`);
  const analyze = ANALYZED.has(name) ? ["--analyze"] : [];
  const child = spawnSync(process.execPath, ["bin/nnc.js", "run", `examples/${name}.nn`, "--json", "--save", checkpoint, ...analyze], { encoding: "utf8" });
  const last = child.stdout.trim().split("\n").pop() ?? "";
  if (child.status !== 0 || !last.startsWith("{")) {
    failures++;
    console.log(`✗ ${name}: nnc run failed (exit ${child.status})\n${child.stderr.trim().split("\n").slice(-5).join("\n")}`);
    continue;
  }
  const result = JSON.parse(last) as Result;
  const check = TARGETS[name];
  const measured = check ? check(result) : null;
  const summary = measured?.figure ?? describe(result);
  const ok = measured?.ok ?? true;
  if (!ok) failures++;
  const lbfgs = result.lbfgs ? `, L-BFGS ${result.lbfgs.iterations} iterations` : "";
  console.log(`${ok ? "✓" : "✗"} ${name}: ${summary} — ${result.epochs} epochs, ${result.steps} steps${lbfgs}, ${result.seconds.toFixed(1)}s`);
}

function describe(r: Result): string {
  const pass = r.test ?? r.validation ?? r.train;
  const where = r.test ? "test" : r.validation ? "validation" : "train";
  if (pass.accuracy !== undefined) return `${where} accuracy ${(pass.accuracy * 100).toFixed(2)}%, loss ${pass.loss.toFixed(4)}`;
  if (pass.mse !== undefined) return `${where} mse ${pass.mse.toExponential(3)}`;
  return `${where} loss ${pass.loss.toFixed(4)}`;
}

console.log(`\n${examples.length - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
