// Prints diagnostics for people (`file:line:col: error[E0302]: message`, a code frame with a caret
// under the span, each note with its own location and frame, then the hint) and for programs
// (`--json`). Positions stay offsets everywhere else; this is the only place that turns them into
// 1-based lines and columns (columns count characters, not UTF-16 units or bytes; ./lines.ts).
// What comes from the file is printed through ./visible.ts, so a hostile file cannot send escape
// sequences to the terminal, and at most MAX_SHOWN diagnostics are printed in full.

import type { Span } from "../../grammar/ast.ts";
import type { Diagnostic, Note } from "./diagnostic.ts";
import { LineIndex as SourceLines } from "./lines.ts";
import { visibleChar, visibleText } from "./visible.ts";

export type { Position } from "./lines.ts";

// How many diagnostics are printed in full; the rest are counted ("and 99,950 more"). A file with
// thousands of errors is garbled or generated, and its first errors say what is wrong.
export const MAX_SHOWN = 50;

export interface FormatOptions {
  color: boolean;
}

// Sorted by file, then position, then code; diagnostics about a whole file come first.
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      (a.span?.start ?? -1) - (b.span?.start ?? -1) ||
      (a.span?.end ?? -1) - (b.span?.end ?? -1) ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

// Drops exact repeats (a block used twice reports a mistake in its body twice).
export function dedupeDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.file}\0${d.code}\0${d.span?.start}\0${d.span?.end}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const ANSI = { red: "\x1b[31m", yellow: "\x1b[33m", cyan: "\x1b[36m", blue: "\x1b[34m", bold: "\x1b[1m", reset: "\x1b[0m" };

function paint(text: string, codes: string[], options: FormatOptions): string {
  return options.color ? `${codes.join("")}${text}${ANSI.reset}` : text;
}

function location(file: string, span: Span | null, lines: SourceLines | null): string {
  if (!span || !lines) return file;
  const { line, column } = lines.position(span.start);
  return `${file}:${line}:${column}`;
}

// The lines a span covers with line numbers, and carets under the span. Spans of more than three
// lines show the first two and the last.
function frame(span: Span, lines: SourceLines, options: FormatOptions, caretColor: string, width: number): string[] {
  const start = lines.position(span.start);
  const end = lines.position(Math.max(span.start, span.end));
  const numbers: number[] = [];
  for (let n = start.line; n <= end.line; n++) numbers.push(n);
  const shown = numbers.length > 3 ? [numbers[0]!, numbers[1]!, -1, numbers.at(-1)!] : numbers;
  const out: string[] = [];
  for (const n of shown) {
    if (n === -1) {
      out.push(`${" ".repeat(width + 1)}...`);
      continue;
    }
    const line = window(lines.line(n), n === start.line ? start.column - 1 : 0);
    const chars = line.chars;
    const shownChars = chars.map(visibleChar);
    const from = n === start.line ? start.column - 1 - line.skipped : chars.findIndex((c) => c !== " " && c !== "\t");
    const to = n === end.line ? Math.min(end.column - 1 - line.skipped, chars.length) : chars.length;
    const first = Math.max(0, Math.min(from, chars.length));
    // Carets cover what is shown: a stand-in such as `<U+200B>` is as wide as its text.
    const count = Math.max(1, shownChars.slice(first, Math.max(first, to)).join("").length);
    // Tabs stay tabs under the line, so the caret lines up however the terminal shows them.
    const pad = shownChars.slice(0, first).map((c) => (c === "\t" ? "\t" : " ".repeat([...c].length))).join("");
    out.push(`${paint(`${String(n).padStart(width)} |`, [ANSI.blue], options)} ${shownChars.join("")}`.trimEnd());
    out.push(`${paint(`${" ".repeat(width)} |`, [ANSI.blue], options)} ${pad}${paint("^".repeat(count), [caretColor, ANSI.bold], options)}`);
  }
  return out;
}

// A line longer than MAX_FRAME_WIDTH characters is shown in part: from a little before `column`
// (0-based), with `...` where text was cut.
const MAX_FRAME_WIDTH = 120;

function window(text: string, column: number): { chars: string[]; skipped: number } {
  if (text.length <= MAX_FRAME_WIDTH) return { chars: [...text], skipped: 0 };
  const all = [...text];
  if (all.length <= MAX_FRAME_WIDTH) return { chars: all, skipped: 0 };
  const skipped = Math.max(0, Math.min(column - 20, all.length - MAX_FRAME_WIDTH));
  const chars = all.slice(skipped, skipped + MAX_FRAME_WIDTH);
  if (skipped > 0) chars.splice(0, 3, ".", ".", ".");
  if (skipped + MAX_FRAME_WIDTH < all.length) chars.splice(-3, 3, ".", ".", ".");
  return { chars, skipped };
}

// A message as printed: visible (./visible.ts), and cut in the middle when a garbled file puts a
// name of thousands of characters into it.
function shown(message: string): string {
  const text = visibleText(message);
  return text.length <= 400 ? text : `${text.slice(0, 200)} ... ${text.slice(-100)}`;
}

function formatNote(note: Note, sources: Map<string, string>, cache: Map<string, SourceLines>, options: FormatOptions, width: number): string[] {
  const lines = linesOf(note.file, sources, cache);
  const head = `${location(note.file, note.span, lines)}: ${paint("note", [ANSI.cyan, ANSI.bold], options)}: ${shown(note.message)}`;
  return [head, ...(note.span && lines ? frame(note.span, lines, options, ANSI.cyan, width) : [])];
}

// The gutter is as wide as the largest line number in any frame of the diagnostic, so the frames
// of a message and its notes line up.
function gutterWidth(d: Diagnostic, sources: Map<string, string>, cache: Map<string, SourceLines>): number {
  let widest = 1;
  for (const { file, span } of [d, ...d.notes]) {
    const lines = linesOf(file, sources, cache);
    if (span && lines) widest = Math.max(widest, lines.position(Math.max(span.start, span.end)).line);
  }
  return String(widest).length;
}

function linesOf(file: string, sources: Map<string, string>, cache: Map<string, SourceLines>): SourceLines | null {
  const text = sources.get(file);
  if (text === undefined) return null;
  let lines = cache.get(file);
  if (!lines) cache.set(file, (lines = new SourceLines(text)));
  return lines;
}

export function formatDiagnostic(d: Diagnostic, sources: Map<string, string>, options: FormatOptions = { color: false }, cache = new Map<string, SourceLines>()): string {
  const lines = linesOf(d.file, sources, cache);
  const color = d.severity === "error" ? ANSI.red : ANSI.yellow;
  const label = paint(`${d.severity}[${d.code}]`, [color, ANSI.bold], options);
  const out = [`${location(d.file, d.span, lines)}: ${label}: ${paint(shown(d.message), [ANSI.bold], options)}`];
  const width = gutterWidth(d, sources, cache);
  if (d.span && lines) out.push(...frame(d.span, lines, options, color, width));
  for (const note of d.notes) out.push(...formatNote(note, sources, cache, options, width));
  if (d.hint) out.push(`  = ${paint("hint", [ANSI.bold], options)}: ${shown(d.hint)}`);
  return out.join("\n");
}

export function summaryLine(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const parts = [];
  if (errors) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
  return parts.join(", ");
}

// "99,950 more errors and 2 more warnings"
function moreLine(rest: readonly Diagnostic[]): string {
  const errors = rest.filter((d) => d.severity === "error").length;
  const warnings = rest.length - errors;
  const part = (n: number, what: string) => `${n.toLocaleString("en-US")} more ${what}${n === 1 ? "" : "s"}`;
  return [errors ? part(errors, "error") : "", warnings ? part(warnings, "warning") : ""].filter(Boolean).join(" and ");
}

// The diagnostics, sorted, separated by blank lines (the first MAX_SHOWN, then how many more), then
// the summary line ("2 errors, 1 warning").
export function formatDiagnostics(diagnostics: readonly Diagnostic[], sources: Map<string, string>, options: FormatOptions = { color: false }): string {
  if (diagnostics.length === 0) return "";
  const cache = new Map<string, SourceLines>();
  const sorted = sortDiagnostics(diagnostics);
  const blocks = sorted.slice(0, MAX_SHOWN).map((d) => formatDiagnostic(d, sources, options, cache));
  if (sorted.length > MAX_SHOWN) blocks.push(`... and ${moreLine(sorted.slice(MAX_SHOWN))}, not shown`);
  return `${blocks.join("\n\n")}\n\n${summaryLine(diagnostics)}\n`;
}

export interface JsonRange {
  file: string;
  line: number | null;
  column: number | null;
  endLine: number | null;
  endColumn: number | null;
}

function range(file: string, span: Span | null, sources: Map<string, string>, cache: Map<string, SourceLines>): JsonRange {
  const lines = linesOf(file, sources, cache);
  if (!span || !lines) return { file, line: null, column: null, endLine: null, endColumn: null };
  const start = lines.position(span.start);
  const end = lines.position(span.end);
  return { file, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

export interface JsonDiagnostic extends JsonRange {
  code: string;
  severity: Diagnostic["severity"];
  message: string;
  notes: ({ message: string } & JsonRange)[];
  hint: string | null;
}

// The first `limit` diagnostics, sorted (the caller says how many were left out).
export function diagnosticsToJson(diagnostics: readonly Diagnostic[], sources: Map<string, string>, limit = Number.POSITIVE_INFINITY): JsonDiagnostic[] {
  const cache = new Map<string, SourceLines>();
  return sortDiagnostics(diagnostics).slice(0, limit).map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    ...range(d.file, d.span, sources, cache),
    notes: d.notes.map((n) => ({ message: n.message, ...range(n.file, n.span, sources, cache) })),
    hint: d.hint,
  }));
}
