// Lexer and parser errors in a student's words. Chevrotain reports what it expected in terms of
// token types and rules; here each error becomes a diagnostic (codes E01xx, registered in
// compiler/diagnostics/codes/syntax.ts) that names the expected thing the way the docs do and
// spans the offending token.

import type { ILexingError, IRecognitionException, IToken, TokenType } from "chevrotain";
import type { Span } from "./ast.ts";
import { allTokens } from "./tokens.ts";
import type { DiagnosticBag } from "../compiler/diagnostics/registry.ts";
import { describeChar } from "../compiler/diagnostics/visible.ts";

const TOKEN_TYPES = new Map<string, TokenType>(allTokens.map((t) => [t.name, t]));

// What may stand where a body's statements go; used by E0104.
export const STATEMENTS_EXPECTED = {
  model: "a model statement (`input`, `target`, `param`, `output`, `loss`, `regularize` or `NAME = ...`)",
  block: "a block statement (`NAME = ...` or `return ...`)",
  train: "a training setting such as `batch 128` or `optimizer adam(lr: 1e-3)`",
};

// Rules where "no alternative matched" means something more specific than "expected an expression".
const EXPECTED_IN_RULE: Record<string, { expected: string; hint?: string }> = {
  shape: { expected: "a shape such as `[B, 784]` or `class[B] of 10`" },
  dim: { expected: "a dimension (a number or a name such as `B`)" },
  paramShape: { expected: "a parameter's shape such as `[2]`, `[3, 4]` or `[]`" },
  anyName: { expected: "a name" },
};

export const SETTING_NEEDS_VALUE = "every setting needs a value, as in `batch 128`";

const HINT_FOR_EXPECTED: Record<string, string> = {
  setting: SETTING_NEEDS_VALUE,
  settingArg: SETTING_NEEDS_VALUE,
};

export function reportLexErrors(errors: ILexingError[], text: string, bag: DiagnosticBag): void {
  for (const error of errors) {
    const length = Math.max(error.length, 1);
    const char = String.fromCodePoint(text.codePointAt(error.offset) ?? 0);
    bag.report("E0101", { start: error.offset, end: error.offset + Math.max(length, char.length) }, { args: { char: describeChar(char) } });
  }
}

export function reportUnterminatedString(t: IToken, bag: DiagnosticBag): void {
  bag.report("E0102", tokenSpanOf(t), { hint: "close the string with `\"` on the same line" });
}

export function reportParseError(error: IRecognitionException, tokens: IToken[], text: string, bag: DiagnosticBag): void {
  const { span, found } = locate(error, text);
  const ruleStack = error.context.ruleStack;
  const rule = ruleStack[ruleStack.length - 1] ?? "program";

  if (error.name === "MismatchedTokenException") {
    const expected = TOKEN_TYPES.get(error.message)?.LABEL ?? "another token";
    // When the token after the offending one is the expected one, the offending token is simply
    // one too many (chevrotain skips it), so the error points at it rather than at the line's end.
    const after = nextToken(error.token, tokens);
    const extra = after !== undefined && after.tokenType.name === error.message;
    bag.report("E0103", extra ? tokenSpanOf(error.token) : span, { args: { expected, found: extra ? describeFound(error.token.image) : found } });
    return;
  }
  if (error.name === "NotAllInputParsedException") {
    // The file's catch-all consumes every token, so this is only a safety net.
    bag.report("E0106", span, { args: { found } });
    return;
  }
  const known = EXPECTED_IN_RULE[rule];
  if (known) {
    bag.report("E0103", span, { args: { expected: known.expected, found }, hint: known.hint ?? null });
    return;
  }
  bag.report("E0105", span, { args: { found }, hint: HINT_FOR_EXPECTED[rule] ?? null });
}

// Where to point and what to call the token found. A token that is missing at the end of a line
// is reported right after the last token on that line, where the user would look for it, and the
// message says where the parser went on.
function locate(error: IRecognitionException, text: string): { span: Span; found: string } {
  const t = error.token;
  const atEnd = t.tokenType.name === "EOF" || Number.isNaN(t.startOffset);
  const found = atEnd ? "the end of the file" : describeFound(t.image);
  const previous = (error as IRecognitionException & { previousToken?: IToken }).previousToken;
  if (previous && !Number.isNaN(previous.startOffset)) {
    const previousEnd = (previous.endOffset ?? previous.startOffset) + 1;
    const foundAt = atEnd ? text.length : t.startOffset;
    const between = text.slice(previousEnd, foundAt);
    if (between.includes("\n")) {
      const lines = between.split("\n").length - 1;
      const where = atEnd ? "" : lines === 1 ? " on the next line" : ` ${lines} lines below`;
      return { span: { start: previousEnd, end: previousEnd }, found: found + where };
    }
  }
  if (atEnd) return { span: { start: text.length, end: text.length }, found };
  return { span: tokenSpanOf(t), found };
}

// The token after `t` (the tokens are in source order, so a binary search finds it: a file with
// many errors must not scan its tokens once per error).
function nextToken(t: IToken, tokens: IToken[]): IToken | undefined {
  if (Number.isNaN(t.startOffset)) return undefined;
  let low = 0;
  let high = tokens.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (tokens[mid]!.startOffset < t.startOffset) low = mid + 1;
    else high = mid;
  }
  return tokens[low]?.startOffset === t.startOffset ? tokens[low + 1] : undefined;
}

function tokenSpanOf(t: IToken): Span {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
}

export function describeFound(image: string): string {
  const short = image.length > 30 ? `${image.slice(0, 27)}...` : image;
  return `\`${short}\``;
}
