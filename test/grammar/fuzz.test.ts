// Random mutations of real .nn text never make the parser throw, and every diagnostic it returns
// has a registered code and a span inside the text. The mutations are the typing mistakes a
// student makes (deleted, duplicated and swapped tokens, stray characters, a file cut short) plus
// arbitrary bytes and unicode.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "../../grammar/index.ts";
import { CODES } from "../../compiler/diagnostics/registry.ts";

const examples = join(dirname(fileURLToPath(import.meta.url)), "../../examples");

// Uses every construct of the grammar once, so the fuzzer has all of them to break.
const SAMPLE = `# every construct
block residual(x, width: 16, act: relu) {
  h = dense(x, width * 2) |> act   # trailing
  return x + -dense(h, width) @ w / 2
}

model sample {
  input  img: f32[B, 1, 8, 8]
  target y: class[B] of 3
  c = conv2d(img, 4, kernel: [3, 3]) |> relu |> flatten
  g = (c * 2 - 1) |> repeat(2, residual(8))
  output probs = softmax(g, axis: -1)
  loss cross_entropy(g, y)
  regularize l1(1e-5, on: [g.weight, c])
}

train sample {
  data      csv("data/x.csv", label: "y\\"q")
  split     validation: 0.1, test: .2
  metrics   loss, accuracy
  schedule  warmup(steps: 10) then cosine(to: 2.5E+4)
  seed      1
}
`;

const SOURCES = [SAMPLE, ...readdirSync(examples).filter((f) => f.endsWith(".nn")).map((f) => readFileSync(join(examples, f), "utf8"))];

// Tokens in the loose sense a person edits: words, numbers, strings, single punctuation marks.
function pieces(text: string): string[] {
  return text.match(/"[^"\n]*"?|[A-Za-z_0-9.]+|\|>|\s+|#[^\n]*|./g) ?? [];
}

type Mutation = (text: string) => string;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i) => (t: string) => {
    const p = pieces(t);
    p.splice(i % Math.max(p.length, 1), 1);
    return p.join("");
  }),
  fc.nat().map((i) => (t: string) => {
    const p = pieces(t);
    const k = i % Math.max(p.length, 1);
    p.splice(k, 0, p[k] ?? "");
    return p.join("");
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => (t: string) => {
    const p = pieces(t);
    if (p.length < 2) return t;
    const a = i % p.length;
    const b = j % p.length;
    [p[a], p[b]] = [p[b]!, p[a]!];
    return p.join("");
  }),
  fc.tuple(fc.nat(), fc.oneof(fc.string({ unit: "binary", maxLength: 4 }), fc.constantFrom("(", ")", "[", "]", "{", "}", ",", ":", "=", "|>", '"', "#", "\n", "then", "model", "-", "\u0000", "\ufeff", "é", "🙂", "\r\n"))).map(
    ([i, s]) => (t: string) => {
      const k = i % (t.length + 1);
      return t.slice(0, k) + s + t.slice(k);
    },
  ),
  fc.nat().map((i) => (t: string) => t.slice(0, i % (t.length + 1))),
);

function checkParse(text: string): void {
  const { program, diagnostics } = parse(text, "fuzz.nn");
  expect(program.type).toBe("Program");
  for (const d of diagnostics) {
    expect(CODES[d.code], `unregistered code ${d.code}`).toBeDefined();
    expect(d.span).not.toBeNull();
    expect(d.span!.start).toBeGreaterThanOrEqual(0);
    expect(d.span!.start).toBeLessThanOrEqual(d.span!.end);
    expect(d.span!.end).toBeLessThanOrEqual(text.length);
  }
  for (const c of program.comments) expect(c.span.end).toBeLessThanOrEqual(text.length);
}

describe("the parser under random mutation", () => {
  it("never throws on one to four mutations of real files (1500 runs)", () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
        const text = mutations.reduce((t, m) => m(t), SOURCES[which % SOURCES.length]!);
        checkParse(text);
      }),
      { numRuns: 1500, seed: 20240611 },
    );
  });

  it("never throws on arbitrary text (500 runs)", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom(...pieces(SAMPLE)), fc.string({ unit: "grapheme", maxLength: 2 })), maxLength: 60 }), (text) => {
        checkParse(text);
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});
