// The parser's entry: text in, `{program, diagnostics}` out. It never throws: lexer and parser
// errors become diagnostics (codes E01xx) in words a student reads easily, and the AST holds every
// construct that was written completely, so the analyzer can report its own errors in the same run.

import type { IToken } from "chevrotain";
import type { Comment, Program, Setting } from "./ast.ts";
import { describeFound, reportLexErrors, reportParseError, reportUnterminatedString } from "./errors.ts";
import { parser } from "./parser.ts";
import { tokenSpan } from "./cst.ts";
import { AstBuilder } from "./to-ast.ts";
import { dropTooDeep } from "./depth.ts";
import { lexer, UnterminatedString } from "./tokens.ts";
import type { Diagnostic } from "../compiler/diagnostics/diagnostic.ts";
import { DiagnosticBag } from "../compiler/diagnostics/registry.ts";
import { LineIndex } from "../compiler/diagnostics/lines.ts";

export interface ParseResult {
  program: Program;
  diagnostics: Diagnostic[];
}

export function parse(text: string, file: string): ParseResult {
  const bag = new DiagnosticBag(file);
  const { tokens, comments } = lex(text, bag);
  const program = tooDeep(tokens, bag) ? emptyProgram(text) : parseTokens(tokens, text, bag);
  program.comments = comments.map(
    (t: IToken): Comment => ({ type: "Comment", text: t.image.slice(1), span: tokenSpan(t) }),
  );
  return { program, diagnostics: firstPerLine(bag.items, text) };
}

// The tokens and comments of `text`, lexing errors reported. An unterminated string is reported
// and left out, so the parser sees the rest of the line.
function lex(text: string, bag: DiagnosticBag): { tokens: IToken[]; comments: IToken[] } {
  const lexed = lexer.tokenize(text);
  reportLexErrors(lexed.errors, text, bag);
  const tokens = lexed.tokens.filter((t) => {
    if (t.tokenType !== UnterminatedString) return true;
    reportUnterminatedString(t, bag);
    return false;
  });
  return { tokens, comments: lexed.groups.comments ?? [] };
}

export interface SettingParseResult {
  setting: Setting | null; // null when the text has a syntax error
  diagnostics: Diagnostic[];
}

// One training setting on its own, `KEY VALUE` as in a train block (`optimizer adam(lr: 1e-3)`,
// `split validation: 0.1, test: 0.1`): how a command line's `--set KEY=VALUE` is read
// (compiler/analyze/overrides.ts), with the same tokens, rules and messages as the file. Spans are
// offsets into `text`. Like `parse`, it never throws.
export function parseSetting(text: string, file: string): SettingParseResult {
  const bag = new DiagnosticBag(file);
  const { tokens } = lex(text, bag);
  if (bag.hasErrors || tooDeep(tokens, bag)) return { setting: null, diagnostics: bag.items };
  parser.input = tokens;
  const cst = parser.setting();
  for (const error of parser.errors) {
    // Text after a whole setting: the file's catch-all never lets this happen there.
    if (error.name === "NotAllInputParsedException") {
      bag.report("E0103", tokenSpan(error.token), { args: { expected: "`,` or the end of the setting", found: describeFound(error.token.image) } });
    } else reportParseError(error, tokens, text, bag);
  }
  if (bag.hasErrors) {
    // The parser's messages speak of a file; here the text is one setting.
    for (const d of bag.items) d.message = d.message.replace("the end of the file", "the end of the setting");
    return { setting: null, diagnostics: firstPerLine(bag.items, text) };
  }
  const setting = new AstBuilder(bag, text, tokens).setting(cst);
  if (!setting) return { setting: null, diagnostics: bag.items };
  // The depth check works on declarations; the setting goes through it inside a stand-in block.
  const holder: Program = { type: "Program", body: [{ type: "TrainDecl", model: setting.key, settings: [setting], span: setting.span }], comments: [], span: setting.span };
  dropTooDeep(holder, bag);
  return { setting: bag.hasErrors ? null : setting, diagnostics: bag.items };
}

function parseTokens(tokens: IToken[], text: string, bag: DiagnosticBag): Program {
  parser.input = tokens;
  try {
    const cst = parser.program();
    for (const error of parser.errors) reportParseError(error, tokens, text, bag);
    const program = new AstBuilder(bag, text, tokens).program(cst);
    dropTooDeep(program, bag);
    return program;
  } catch (error) {
    // The parser and its recovery recurse once per nesting level; `tooDeep` keeps files far from
    // the stack's limit, and this is the safety net that keeps `parse` from ever throwing.
    if (!(error instanceof RangeError)) throw error;
    bag.report("E0108", null, { args: { limit: MAX_DEPTH } });
    return emptyProgram(text);
  }
}

function emptyProgram(text: string): Program {
  return { type: "Program", body: [], comments: [], span: { start: 0, end: text.length } };
}

// Brackets and chains of `-` nest the parser's recursion. Real models stay a few levels deep; a
// file nested deeper than this (a generated or garbled one) is refused before it could exhaust the
// stack, which recovery from errors at that depth does near 100 levels.
export const MAX_DEPTH = 32;

function tooDeep(tokens: IToken[], bag: DiagnosticBag): boolean {
  let depth = 0;
  let minuses = 0;
  for (const t of tokens) {
    const name = t.tokenType.name;
    if (name === "LParen" || name === "LBracket") depth++;
    else if ((name === "RParen" || name === "RBracket") && depth > 0) depth--;
    minuses = name === "Minus" ? minuses + 1 : 0;
    if (depth > MAX_DEPTH || minuses > MAX_DEPTH) {
      bag.report("E0108", tokenSpan(t), { args: { limit: MAX_DEPTH }, hint: "give the inner parts names with bindings (`h = ...`) and use the names" });
      return true;
    }
  }
  return false;
}

// After the first error on a line, recovery often trips again on the rest of that line; those
// follow-on errors say nothing new, so only the first error of each line is kept.
// A lexer error (a stray character, an open string) is the cause of the parser's errors around it,
// so it wins its line.
function firstPerLine(diagnostics: Diagnostic[], text: string): Diagnostic[] {
  const rank = (d: Diagnostic) => (d.code === "E0101" || d.code === "E0102" ? 0 : 1);
  const byPriority = [...diagnostics].sort((a, b) => rank(a) - rank(b) || (a.span?.start ?? 0) - (b.span?.start ?? 0));
  const lines = new LineIndex(text);
  const seen = new Set<number>();
  const kept = byPriority.filter((d) => {
    const line = lines.lineOf(d.span?.start ?? 0);
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
  return kept.sort((a, b) => (a.span?.start ?? 0) - (b.span?.start ?? 0));
}
