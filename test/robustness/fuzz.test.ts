// Random mutations of the example files (deleted, duplicated, swapped and inserted tokens, random
// bytes) must never make the checker throw: only diagnostics come out, each with a registered code
// and a span inside the text. A mutant that checks without errors must also lower to IR without
// an internal error.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkSource, hasErrors } from "../../compiler/index.ts";
import { CODES } from "../../compiler/diagnostics/registry.ts";
import { lowerModel } from "../../compiler/ir/lower.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

// A built-in sample that uses every construct, so the fuzzer has material even without examples.
const SAMPLE = `# every construct once
block residual(x, width: 16) {
  h = dense(x, width) |> batchnorm |> relu |> dropout(0.1)
  return x + dense(h, width, init: he_normal)
}

model sample {
  input  img: [B, 1, 8, 8]
  target y: class[B] of 3
  c = conv2d(img, 4, kernel: 3, padding: 1) |> relu |> maxpool(kernel: 2) |> avgpool(kernel: 2, stride: 1)
  f = flatten(c)
  r = reshape(f, [B, 36])
  both = concat(r, r, axis: 1)
  h = both |> dense(16) |> repeat(2, residual(16)) |> maxout(8, k: 2) |> leaky_relu(slope: 0.1)
  g = (h * 2 - -h / 3 + dense(both, 8, bias: false)) |> tanh |> sigmoid |> softplus |> identity
  logits = dense(g, 3, init: normal(std: 0.01))
  output probs = softmax(logits, axis: -1)
  output logp = log_softmax(logits)
  loss cross_entropy(logits, y, reduction: sum)
  regularize l2(1e-4)
  regularize l1(1e-5, on: [h.dense, logits.bias])
}

train sample {
  data      blobs(n: 60, classes: 3, features: 64, spread: 1, seed: 1)
  batch     16
  epochs    1
  optimizer adam(lr: 1e-3)
  schedule  warmup(steps: 10) then cosine(to: 1e-5)
  seed      1
}
`;

const sources: { name: string; text: string }[] = [
  { name: "sample.nn", text: SAMPLE },
  ...readdirSync(join(root, "examples"))
    .filter((f) => f.endsWith(".nn"))
    .map((f) => ({ name: `examples/${f}`, text: readFileSync(join(root, "examples", f), "utf8") })),
];

const TOKEN = /\s+|#[^\n]*|[A-Za-z_]\w*|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|"[^"\n]*"|\|>|./g;
const tokenize = (text: string) => text.match(TOKEN) ?? [];
const EXTRA = ["(", ")", "[", "]", "{", "}", ",", ":", "=", "|>", "@", "-", "+", "*", "/", ".", "then", "of", "class", "B", "0", "-1", "1e9", "\"", "#", "model", "block", "train", "return", "input", "target", "output", "loss", "regularize", "repeat", "dense", "x", "\n"];

type Mutation =
  | { kind: "delete"; at: number }
  | { kind: "duplicate"; at: number }
  | { kind: "swap"; at: number; with: number }
  | { kind: "insert"; at: number; token: string }
  | { kind: "bytes"; at: number; bytes: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), token: fc.constantFrom(...EXTRA) }),
  fc.record({ kind: fc.constant("bytes" as const), at: fc.nat(), bytes: fc.string({ unit: "binary", minLength: 1, maxLength: 4 }) }),
);

function mutate(text: string, mutations: Mutation[]): string {
  const tokens = tokenize(text);
  for (const m of mutations) {
    if (tokens.length === 0) break;
    const at = m.at % tokens.length;
    if (m.kind === "delete") tokens.splice(at, 1);
    else if (m.kind === "duplicate") tokens.splice(at, 0, tokens[at]!);
    else if (m.kind === "swap") {
      const other = m.with % tokens.length;
      [tokens[at], tokens[other]] = [tokens[other]!, tokens[at]!];
    } else if (m.kind === "insert") tokens.splice(at, 0, m.token);
    else tokens.splice(at, 1, m.bytes);
  }
  return tokens.join("");
}

function checkMutant(name: string, text: string): void {
  const result = checkSource(text, name, { baseDir: join(root, "examples") });
  for (const d of result.diagnostics) {
    expect(CODES[d.code], `unregistered code ${d.code}`).toBeDefined();
    for (const { span } of [d, ...d.notes]) {
      if (span === null) continue;
      expect(span.start).toBeGreaterThanOrEqual(0);
      expect(span.end).toBeGreaterThanOrEqual(span.start);
      expect(span.end).toBeLessThanOrEqual(text.length);
    }
  }
  if (!hasErrors(result.diagnostics)) {
    for (const model of result.models.values()) {
      lowerModel(model, "train");
      lowerModel(model, "eval");
    }
  }
}

describe("robustness", () => {
  it("the unmutated sources check without errors", () => {
    const result = checkSource(SAMPLE, "sample.nn");
    expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`)).toEqual([]);
  });

  it("never throws on mutated sources", () => {
    const source = fc.constantFrom(...sources);
    fc.assert(
      fc.property(source, fc.array(mutation, { minLength: 1, maxLength: 4 }), (s, mutations) => {
        checkMutant(s.name, mutate(s.text, mutations));
      }),
      { numRuns: 8000, seed: 20240601 },
    );
  });

  it("never throws on random text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => checkMutant("random.nn", text)),
      { numRuns: 2000, seed: 7 },
    );
  });
});
