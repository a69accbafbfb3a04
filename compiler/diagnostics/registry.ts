// Every user-facing diagnostic is registered here, in one place, with its stable code, its
// severity and a message template; `docs/ERRORS.md` lists them and the golden tests in
// test/errors/ hold at least one case per code (test/errors/coverage.test.ts checks that).
//
// The codes live in codes/<area>.ts, one file per stage of the pipeline, and are gathered below.
// A template names its arguments in braces: "unknown layer `{name}`".

import type { Span } from "../../grammar/ast.ts";
import type { Diagnostic, Note, Severity } from "./diagnostic.ts";
import { InternalError } from "./diagnostic.ts";
import { SYNTAX_CODES } from "./codes/syntax.ts";
import { MODEL_CODES } from "./codes/model.ts";
import { TRAIN_CODES } from "./codes/train.ts";
import { DATA_CODES } from "./codes/data.ts";
import { ARGUMENT_CODES } from "./codes/arguments.ts";

export interface CodeDefinition {
  severity: Severity;
  title: string; // a short kebab-case name, e.g. "unknown-layer"
  message: string; // the template
}

export type CodeTable = Record<string, CodeDefinition>;

export const CODES: CodeTable = {
  ...SYNTAX_CODES,
  ...MODEL_CODES,
  ...TRAIN_CODES,
  ...DATA_CODES,
  ...ARGUMENT_CODES,
};

export function renderTemplate(template: string, args: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = args[key];
    if (value === undefined) throw new InternalError(`diagnostic template ${JSON.stringify(template)} needs {${key}}`);
    return String(value);
  });
}

export interface DiagnosticOptions {
  args?: Record<string, string | number>;
  notes?: Note[];
  hint?: string | null;
}

export function makeDiagnostic(code: string, file: string, span: Span | null, options: DiagnosticOptions = {}): Diagnostic {
  const definition = CODES[code];
  if (!definition) throw new InternalError(`unregistered diagnostic code ${code}`);
  return {
    code,
    severity: definition.severity,
    message: renderTemplate(definition.message, options.args ?? {}),
    file,
    span,
    notes: options.notes ?? [],
    hint: options.hint ?? null,
  };
}

const MAX_SUGGESTED = 1000;

// Collects the diagnostics of one file. Passes report into it and go on, so one run shows every
// error of a file.
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}

  report(code: string, span: Span | null, options: DiagnosticOptions = {}): Diagnostic {
    const diagnostic = makeDiagnostic(code, this.file, span, options);
    this.items.push(diagnostic);
    return diagnostic;
  }

  note(message: string, span: Span | null): Note {
    return { message, file: this.file, span };
  }

  // Whether "did you mean" hints are still worth computing: past the first MAX_SUGGESTED
  // diagnostics (more than are ever printed) a file is garbled, and building the candidate lists
  // for each of its errors would cost the number of errors times the number of names.
  get suggesting(): boolean {
    return this.items.length < MAX_SUGGESTED;
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }
}

// Suggestions are for typos in names people type. Longer names, and candidates past the first
// MAX_CANDIDATES, are not compared: the edit distance of two names costs the product of their
// lengths, and a garbled or generated file must not make the checker quadratic.
const MAX_SUGGESTION_LENGTH = 64;
const MAX_CANDIDATES = 10_000;

// Cells of the edit-distance table computed, so tests can check the work stays bounded
// (test/errors/work.test.ts).
export const suggestionWork = { cells: 0 };

// "did you mean `relu`?": the closest candidate within a small edit distance, if any.
export function closest(name: string, candidates: Iterable<string>): string | null {
  if (name.length > MAX_SUGGESTION_LENGTH) return null;
  const lower = name.toLowerCase();
  let best: string | null = null;
  let bound = Math.max(2, Math.floor(name.length / 3)); // the largest distance still suggested
  let examined = 0;
  for (const candidate of candidates) {
    if (++examined > MAX_CANDIDATES) break;
    // The distance is at least the difference of the lengths.
    if (candidate.length > MAX_SUGGESTION_LENGTH || Math.abs(candidate.length - name.length) > bound) continue;
    const d = editDistance(lower, candidate.toLowerCase(), bound);
    if (d <= bound) {
      best = candidate;
      bound = d - 1; // a later candidate must be closer
    }
  }
  return best;
}

// The Levenshtein distance of `a` and `b`, or `max + 1` as soon as it is sure to exceed `max`.
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    let rowMin = row[0];
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
      rowMin = Math.min(rowMin, row[j]!);
    }
    suggestionWork.cells += b.length;
    // Every later row's values are at least this row's smallest.
    if (rowMin > max) return max + 1;
  }
  return row[b.length]!;
}
