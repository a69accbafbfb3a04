// The parser's entry: text in, `{program, diagnostics}` out. It never throws: lexer and parser
// errors become diagnostics (codes E01xx) in words a student reads easily, and the AST holds every
// construct that was written completely, so the analyzer can report its own errors in the same run.

import type { IRecognitionException, IToken, TokenType } from "chevrotain";
import type { Comment, Program, Span, TopLevel } from "./ast.ts";
import { parser } from "./parser.ts";
import { AstBuilder } from "./to-ast.ts";
import { allTokens, lexer } from "./tokens.ts";
import type { Diagnostic } from "../compiler/diagnostics/diagnostic.ts";
import { DiagnosticBag } from "../compiler/diagnostics/registry.ts";

export interface ParseResult {
  program: Program;
  diagnostics: Diagnostic[];
}

const LABELS = new Map<string, string>(allTokens.map((t: TokenType) => [t.name, t.LABEL ?? t.name]));

// What each rule expects when none of its alternatives matches.
const EXPECTED_IN_RULE: Record<string, { code: string; expected: string; hint?: string }> = {
  modelStatement: {
    code: "E0104",
    expected: "a model statement",
    hint: "a model holds `input`, `target`, `output`, `loss` and `regularize` statements and bindings `NAME = expression`",
  },
  blockDecl: { code: "E0104", expected: "a binding `NAME = expression` or `return`" },
  trainDecl: { code: "E0104", expected: "a training setting such as `batch 128`" },
  setting: { code: "E0105", expected: "a value" },
  dim: { code: "E0103", expected: "a dimension (a number or a name such as `B`)" },
  anyName: { code: "E0103", expected: "a name" },
  shape: { code: "E0103", expected: "a dimension (a number or a name such as `B`)" },
};

const BODY_RULES: Record<string, { expected: string; hint?: string }> = {
  modelDecl: EXPECTED_IN_RULE.modelStatement!,
  blockDecl: EXPECTED_IN_RULE.blockDecl!,
  trainDecl: EXPECTED_IN_RULE.trainDecl!,
};

export function parse(text: string, file: string): ParseResult {
  const bag = new DiagnosticBag(file);
  const lexed = lexer.tokenize(text);
  for (const error of lexed.errors) {
    const char = text.slice(error.offset, error.offset + Math.max(error.length, 1));
    bag.report("E0101", { start: error.offset, end: error.offset + Math.max(error.length, 1) }, { args: { char: describeChar(char) } });
  }
  const tokens = lexed.tokens.filter((t) => {
    if (t.tokenType.name !== "UnterminatedString") return true;
    bag.report("E0102", spanOf(t), { hint: "close the string with `\"` on the same line" });
    return false;
  });
  // The top level is parsed in rounds: when text between declarations is not a declaration,
  // chevrotain stops there ("not all input parsed"); that text is reported once, and parsing starts
  // again at the next `model`, `block` or `train`. This is the re-sync between top-level rules.
  const builder = new AstBuilder();
  const body: TopLevel[] = [];
  const errors: IRecognitionException[] = [];
  let remaining = tokens;
  while (remaining.length > 0) {
    parser.input = remaining;
    const cst = parser.program();
    body.push(...builder.declarations(cst));
    // chevrotain reports leftover input as a mismatch against EOF at the top rule.
    const stop = parser.errors.find((e) => e.name === "NotAllInputParsedException" || (e.name === "MismatchedTokenException" && e.context.ruleStack.length <= 1 && /-->\s*EOF\s*<--/.test(e.message)));
    errors.push(...parser.errors.filter((e) => e !== stop));
    if (!stop) break;
    const from = remaining.indexOf(stop.token);
    let next = from + 1;
    while (next < remaining.length && !DECLARATION_STARTS.has(remaining[next]!.tokenType.name)) next++;
    bag.report("E0106", strayRun(remaining.slice(from, next), text), { args: { found: describeFound(strayText(remaining.slice(from, next), text)) } });
    remaining = remaining.slice(next);
  }
  // After the first error on a line, recovery often trips again on the rest of that line; those
  // follow-on errors say nothing new, so only the first error of each line is kept.
  const linesWithErrors = new Set(bag.items.map((d) => lineOf(text, d.span?.start ?? 0)));
  for (const error of errors) {
    const before = bag.items.length;
    reportParseError(error, text, bag);
    const added = bag.items[before];
    if (!added) continue;
    const line = lineOf(text, added.span?.start ?? 0);
    if (linesWithErrors.has(line)) bag.items.pop();
    else linesWithErrors.add(line);
  }

  const comments: Comment[] = (lexed.groups.comments ?? []).map((t: IToken) => ({
    type: "Comment",
    text: t.image.slice(1),
    span: spanOf(t),
  }));
  const program: Program = { type: "Program", body, comments, span: { start: 0, end: text.length } };
  for (const span of builder.notCalls) bag.report("E0107", span);
  return { program, diagnostics: bag.items };
}

function reportParseError(error: IRecognitionException, text: string, bag: DiagnosticBag): void {
  const found = error.token.tokenType.name === "EOF" || Number.isNaN(error.token.startOffset) ? "the end of the file" : describeFound(error.token.image);
  const previous = (error as IRecognitionException & { previousToken?: IToken }).previousToken;
  const span = errorSpan(error.token, previous, text);
  const ruleStack = error.context.ruleStack;
  const currentRule = ruleStack[ruleStack.length - 1] ?? "program";

  if (error.name === "MismatchedTokenException") {
    // chevrotain says "Expecting --> LABEL <-- but found ..." (or the token's name when it has no label).
    const expectedText = /-->\s*(.+?)\s*<--/.exec(error.message)?.[1];
    const expected = expectedText ? (LABELS.get(expectedText) ?? expectedText) : "another token";
    // A body that stops early because the next thing is not a statement: say what a body holds.
    const body = BODY_RULES[currentRule];
    if (expected === "`}`" && body) {
      bag.report("E0104", span, { args: { expected: `${body.expected} or \`}\``, found }, hint: body.hint ?? null });
      return;
    }
    bag.report("E0103", span, { args: { expected, found } });
    return;
  }
  const known = EXPECTED_IN_RULE[currentRule];
  if (known && !isExpressionRule(currentRule)) {
    bag.report(known.code, span, { args: { expected: known.expected, found }, hint: known.hint ?? null });
    return;
  }
  bag.report("E0105", span, { args: { found } });
}

function isExpressionRule(rule: string): boolean {
  return ["thenExpr", "expression", "additive", "multiplicative", "unary", "postfix", "primary", "list", "parenthesized", "callOrName", "argument", "settingArg"].includes(rule);
}

// A missing token at the end of a line is reported right after the last token on that line, not
// at the first token of the next line, which is where the user would not look.
function errorSpan(found: IToken, previous: IToken | undefined, text: string): Span {
  const foundAt = Number.isNaN(found.startOffset) ? text.length : found.startOffset;
  if (previous && !Number.isNaN(previous.startOffset)) {
    const previousEnd = (previous.endOffset ?? previous.startOffset) + 1;
    if (text.slice(previousEnd, foundAt).includes("\n") || Number.isNaN(found.startOffset)) {
      return { start: previousEnd, end: previousEnd };
    }
  }
  if (Number.isNaN(found.startOffset)) return { start: text.length, end: text.length };
  return spanOf(found);
}

function lineOf(text: string, offset: number): number {
  let line = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function spanOf(t: IToken): Span {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
}

const DECLARATION_STARTS = new Set(["Model", "Block", "Train"]);

// Stray text is reported on its first line only, so a long run does not fill the screen.
function strayRun(run: IToken[], text: string): Span {
  const start = run[0]!.startOffset;
  const lineEnd = text.indexOf("\n", start);
  const last = run[run.length - 1]!;
  const end = (last.endOffset ?? last.startOffset) + 1;
  return { start, end: lineEnd === -1 ? end : Math.min(end, lineEnd) };
}

function strayText(run: IToken[], text: string): string {
  const span = strayRun(run, text);
  return text.slice(span.start, span.end).trimEnd();
}

function describeFound(image: string): string {
  const short = image.length > 30 ? `${image.slice(0, 27)}...` : image;
  return `\`${short}\``;
}

function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (code < 32 || code === 127) return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return `\`${char}\``;
}
