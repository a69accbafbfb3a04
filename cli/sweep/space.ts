// The text of `nnc sweep --space KEY=DISTRIBUTION(ARGS)`: what a sweep samples for one key.
//
//   lr=loguniform(1e-4, 1)        log-uniform between the bounds (rates, decays: each decade alike)
//   momentum=uniform(0.5, 0.99)   uniform between the bounds
//   epochs=int(2, 10)             a whole number from low to high, each equally likely
//   batch=logint(8, 512)          a whole number, log-uniform (as many from 8 to 64 as from 64 to 512)
//   batch=choice(16, 64, full)    one of the values, each written as in a train block
//
// Mistakes are diagnostics located in the typed text under the name `--space #N`, printed as the
// checker's are (with a code frame); their ids are kebab-case, as command-line errors are not a
// .nn file's and have no E-code. What KEY means is decided later, against the train block
// (sweep/keys.ts).

import type { Span } from "../../grammar/ast.ts";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.ts";
import { closest } from "../../compiler/diagnostics/registry.ts";
import { splitValues, type ListedValue } from "../value-list.ts";

export type RangeKind = "loguniform" | "uniform" | "int" | "logint";

export type Distribution = { kind: RangeKind; low: number; high: number } | { kind: "choice"; values: string[] };

export interface SpaceEntry {
  option: string; // `--space #1`
  typed: string;
  key: string; // `lr`, `batch`, `optimizer.lr`
  keySpan: Span;
  equals: number; // the offset of the `=`
  distribution: Distribution;
  nameSpan: Span;
  args: ListedValue[]; // the bounds, or the choices, where they were typed
}

export const DISTRIBUTIONS = ["loguniform", "uniform", "int", "logint", "choice"] as const;

export function isLog(distribution: Distribution): boolean {
  return distribution.kind === "loguniform" || distribution.kind === "logint";
}

export function isInteger(distribution: Distribution): boolean {
  return distribution.kind === "int" || distribution.kind === "logint";
}

// A located mistake in a --space (or in a value it gives), as a diagnostic of its own text.
export function spaceDiagnostic(code: string, option: string, span: Span | null, message: string, hint: string | null = null): Diagnostic {
  return { code, severity: "error", message, file: option, span, notes: [], hint };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const EXAMPLE = "as in `--space \"lr=loguniform(1e-4, 1)\"` or `--space \"batch=choice(16, 64, 256)\"`";

export function parseSpace(index: number, typed: string): { entry: SpaceEntry | null; diagnostics: Diagnostic[] } {
  const option = `--space #${index}`;
  const fail = (code: string, span: Span, message: string, hint: string | null = null) => ({ entry: null, diagnostics: [spaceDiagnostic(code, option, span, message, hint)] });
  const whole = { start: 0, end: Math.max(typed.length, 1) };
  const head = /^\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*=/.exec(typed);
  if (!head) return fail("space-syntax", whole, "a --space is KEY=DISTRIBUTION(ARGUMENTS)", EXAMPLE);
  const key = head[1]!;
  const keyStart = typed.indexOf(key);
  const keySpan = { start: keyStart, end: keyStart + key.length };
  const equals = head[0].length - 1;
  let at = equals + 1;
  while (typed[at] === " ") at++;
  const name = /^[A-Za-z_]\w*/.exec(typed.slice(at))?.[0];
  const list = `${DISTRIBUTIONS.map((d) => `${d}(…)`).join(", ")}`;
  if (!name) return fail("space-syntax", { start: at, end: Math.max(at + 1, typed.length) }, "expected a distribution after `=`", `one of ${list}, ${EXAMPLE}`);
  const nameSpan = { start: at, end: at + name.length };
  if (!(DISTRIBUTIONS as readonly string[]).includes(name)) {
    const suggestion = closest(name, DISTRIBUTIONS);
    return fail("space-distribution", nameSpan, `unknown distribution \`${name}\``, suggestion ? `did you mean \`${suggestion}\`?` : `the distributions are ${list}`);
  }
  at = nameSpan.end;
  while (typed[at] === " ") at++;
  if (typed[at] !== "(") return fail("space-syntax", { start: at, end: at + 1 }, `expected \`(\` after \`${name}\``, EXAMPLE);
  const close = closingParen(typed, at);
  if (close < 0) return fail("space-syntax", { start: at, end: at + 1 }, "this `(` is never closed");
  if (typed.slice(close + 1).trim() !== "") {
    const start = close + 1 + (typed.slice(close + 1).length - typed.slice(close + 1).trimStart().length);
    return fail("space-syntax", { start, end: typed.trimEnd().length }, "unexpected text after the distribution", "give one key and its distribution per --space");
  }
  const args = splitValues(typed, at + 1, close);
  if (args.length === 1 && args[0]!.text === "") args.pop();
  const argsSpan = { start: at, end: close + 1 };
  const entry = { option, typed, key, keySpan, equals, nameSpan, args };
  if (name === "choice") {
    if (args.length < 2) return fail("space-arguments", argsSpan, `\`choice\` needs at least two values, but got ${args.length}`, "one value for every trial is --set KEY=VALUE");
    const empty = args.find((a) => a.text === "");
    if (empty) return fail("space-arguments", { start: empty.start, end: empty.start + 1 }, "an empty value", "separate the values with single commas");
    for (const [k, arg] of args.entries()) {
      const earlier = args.slice(0, k).find((other) => other.text.replace(/\s+/g, " ") === arg.text.replace(/\s+/g, " "));
      if (earlier) return fail("space-arguments", arg, `\`${arg.text}\` is given twice`);
    }
    return { entry: { ...entry, distribution: { kind: "choice", values: args.map((a) => a.text) } }, diagnostics: [] };
  }
  const kind = name as RangeKind;
  if (args.length !== 2) return fail("space-arguments", argsSpan, `\`${kind}\` takes two numbers, its low and high bounds, but got ${args.length}`, `as in \`${kind}(${kind.endsWith("int") ? "8, 512" : "1e-4, 1"})\``);
  const [low, high] = args.map((a) => (NUMBER.test(a.text) ? Number(a.text) : NaN)) as [number, number];
  for (const [k, value] of [low, high].entries()) {
    if (!Number.isFinite(value)) return fail("space-arguments", args[k]!, `the ${k === 0 ? "low" : "high"} bound of \`${kind}\` must be a number, but got \`${args[k]!.text}\``);
    if (kind.endsWith("int") && !Number.isSafeInteger(value)) return fail("space-range", args[k]!, `\`${kind}\` draws whole numbers, so its bounds are whole numbers, but got ${args[k]!.text}`, kind === "int" ? "for real numbers use uniform(…)" : "for real numbers use loguniform(…)");
  }
  if (low >= high) return fail("space-range", { start: args[0]!.start, end: args[1]!.end }, `the low bound must be below the high bound, but ${args[0]!.text} ≥ ${args[1]!.text}`);
  if ((kind === "loguniform" || kind === "logint") && low <= 0) {
    return fail("space-range", args[0]!, `\`${kind}\` is uniform in the logarithm, so its bounds must be > 0, but the low bound is ${args[0]!.text}`, `use ${kind === "logint" ? "int" : "uniform"}(…) for a range that reaches 0`);
  }
  return { entry: { ...entry, distribution: { kind, low, high } }, diagnostics: [] };
}

// The offset of the `)` that closes the `(` at `open`, or −1.
function closingParen(text: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") {
      depth--;
      if (depth === 0) return c === ")" ? i : -1;
    }
  }
  return -1;
}
