// Reading chevrotain's CST: children are grouped by rule or token name, tokens that recovery
// inserted have no position, and rules that broke off lack their later children. These helpers
// hide that, for grammar/to-ast.ts and grammar/to-ast-expressions.ts.

import type { CstNode, IToken } from "chevrotain";
import type * as A from "./ast.ts";

type Children = Record<string, (CstNode | IToken)[] | undefined>;

function kids(node: CstNode): Children {
  return node.children as Children;
}
export function rule(node: CstNode, name: string): CstNode | undefined {
  return kids(node)[name]?.[0] as CstNode | undefined;
}
export function rules(node: CstNode, name: string): CstNode[] {
  return (kids(node)[name] ?? []) as CstNode[];
}
// Tokens inserted by recovery have no position; they count as missing text.
export function real(t: IToken | undefined): t is IToken {
  return t !== undefined && !Number.isNaN(t.startOffset);
}
export function token(node: CstNode, name: string): IToken | undefined {
  const t = kids(node)[name]?.[0] as IToken | undefined;
  return real(t) ? t : undefined;
}
// A token that is there, written or inserted by recovery. A rule that broke off lacks its later
// tokens altogether, while a single missing `)` that chevrotain inserted leaves a token without a
// position: the construct is then whole (the error is reported) and is kept.
export function has(node: CstNode, name: string): boolean {
  return (kids(node)[name]?.length ?? 0) > 0;
}
export function tokens(node: CstNode, name: string): IToken[] {
  return ((kids(node)[name] ?? []) as IToken[]).filter(real);
}
export function count(node: CstNode, name: string): number {
  return kids(node)[name]?.length ?? 0;
}

export function tokenSpan(t: IToken): A.Span {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
}
// From a first token (or span) to the last of the given spans that exists.
export function spanFrom(first: IToken | A.Span | undefined, ...rest: (A.Span | IToken | null | undefined)[]): A.Span {
  const spans = [first, ...rest]
    .filter((x): x is A.Span | IToken => x !== null && x !== undefined && (!("image" in x) || real(x)))
    .map((x) => ("image" in x ? tokenSpan(x) : x));
  return spans.reduce(join, spans[0] ?? { start: 0, end: 0 });
}
export function join(a: A.Span, b: A.Span): A.Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}
export function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}
export function byStart<T extends { span: A.Span }>(a: T, b: T): number {
  return a.span.start - b.span.start;
}

export function identifier(t: IToken | undefined): A.Identifier | null {
  return real(t) ? { type: "Identifier", name: t.image, span: tokenSpan(t) } : null;
}
// `anyName`: an identifier, or a keyword where it can only be a name.
export function anyName(node: CstNode | undefined): A.Identifier | null {
  if (!node) return null;
  return identifier(token(node, "Identifier") ?? token(node, "Keyword"));
}
export function numberLiteral(t: IToken): A.NumberLiteral {
  return { type: "NumberLiteral", value: Number(t.image), raw: t.image, isInteger: /^\d+$/.test(t.image), span: tokenSpan(t) };
}
