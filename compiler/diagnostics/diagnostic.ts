// A diagnostic is a user-facing message about a .nn file (or a data file): a stable code, a
// severity, a message, the span it is about, notes that point at related places, and an optional
// hint. Diagnostics are collected, never thrown; positions stay offsets until printing.
//
// Internal invariant failures are not diagnostics: they throw `InternalError` (below), and the CLI
// reports them as a bug in nnc, not as the user's mistake.

import type { Span } from "../../grammar/ast.ts";

export type Severity = "error" | "warning";

export interface Note {
  message: string;
  file: string;
  span: Span | null;
}

export interface Diagnostic {
  code: string; // stable, e.g. "E0201"; warnings have kebab-case ids such as "unused-binding"
  severity: Severity;
  message: string;
  file: string; // the path as the user gave it
  span: Span | null; // null when the message is about the whole file
  notes: Note[];
  hint: string | null;
}

export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error in nnc: ${message}`);
    this.name = "InternalError";
  }
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InternalError(message);
}
