// Comments anywhere: fast-check puts end-of-line and own-line comments between random tokens of
// the examples, and formatting must keep every comment's words, keep the tree, and give the same
// text when run again. (Comments inside a statement are the hard case: see floatToStatement in
// format/comments.ts.)

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "../../grammar/index.ts";
import { lexer } from "../../grammar/tokens.ts";
import { formatNn } from "../../format/plugin.ts";
import { stripSpans } from "../grammar/helpers.ts";

const examples = join(dirname(fileURLToPath(import.meta.url)), "../../examples");
const SAMPLES = [
  "block r(x, w: 4) {\n  h = dense(x, w) |> relu\n  return x + -h * 2\n}\n\nmodel m {\n  input x: f32[B, 4]\n  target y: class[B] of 3\n  h = x |> r(4) |> dense(3, bias: false)\n  output p = softmax(h, axis: -1)\n  loss cross_entropy(h, y)\n  regularize l1(1e-5, on: [h.weight, r.h])\n}\n\ntrain m {\n  data blobs(n: 30, classes: 3, features: 4)\n  schedule warmup(steps: 2) then cosine(to: 1e-5)\n  metrics loss, accuracy\n}\n",
  ...readdirSync(examples)
    .filter((f) => f.endsWith(".nn"))
    .map((f) => readFileSync(join(examples, f), "utf8"))
    .filter((text) => parse(text, "x.nn").diagnostics.length === 0),
];

// The words of every comment. How comments are split or joined may change, and a comment in a
// declaration's header may move into its body (ahead of the one after the `{`), but no word is lost.
function commentWords(text: string): string[] {
  return parse(text, "x.nn")
    .program.comments.flatMap((c) => c.text.split(/[\s#]+/).filter(Boolean))
    .sort();
}

const withComments = fc
  .record({ sample: fc.nat(), places: fc.array(fc.record({ token: fc.nat(), after: fc.boolean(), ownLine: fc.boolean() }), { minLength: 1, maxLength: 4 }) })
  .map(({ sample, places }) => {
    let text = SAMPLES[sample % SAMPLES.length]!;
    places.forEach((place, i) => {
      const tokens = lexer.tokenize(text).tokens;
      const t = tokens[place.token % tokens.length]!;
      const at = place.after ? t.endOffset! + 1 : t.startOffset;
      text = text.slice(0, at) + (place.ownLine ? `\n# own ${i}\n` : ` # end ${i}\n`) + text.slice(at);
    });
    return text;
  });

describe("comments in any place", () => {
  it("survive formatting, which keeps the tree and is idempotent (400 runs)", async () => {
    await fc.assert(
      fc.asyncProperty(withComments, async (text) => {
        const once = await formatNn(text, "x.nn");
        expect(await formatNn(once, "x.nn")).toBe(once);
        expect(stripSpans(parse(once, "x.nn").program, true)).toEqual(stripSpans(parse(text, "x.nn").program, true));
        expect(commentWords(once)).toEqual(commentWords(text));
      }),
      { numRuns: 400 },
    );
  });
});
