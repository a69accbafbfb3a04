// CST → AST for expressions, one function per grammar rule (see grammar/parser.ts). Each returns
// null when recovery left its node incomplete, and the statement holding it is then dropped.

import type { CstNode, IToken } from "chevrotain";
import type * as A from "./ast.ts";
import { anyName, has, identifier, join, numberLiteral, present, rule, rules, spanFrom, token, tokenSpan, tokens } from "./cst.ts";

export function expressionOf(node: CstNode): A.Expression | null {
  const e = rule(node, "expression");
  return e ? expression(e) : null;
}

// A positional argument, or a keyword argument when `nameNode` is there.
export function argument(nameNode: CstNode | undefined, value: A.Expression | null): A.Argument | null {
  const name = anyName(nameNode);
  if ((nameNode && !name) || !value) return null;
  return { type: "Argument", name, value, span: name ? join(name.span, value.span) : value.span };
}

// a then b: schedules in sequence.
export function thenExpr(node: CstNode): A.Expression | null {
  const parts = rules(node, "expression").map(expression);
  if (parts.length === 0 || !parts.every(present)) return null;
  if (parts.length === 1) return parts[0]!;
  return { type: "ThenExpr", parts, span: join(parts[0]!.span, parts[parts.length - 1]!.span) };
}

// a |> f |> g: left-associative.
export function expression(node: CstNode): A.Expression | null {
  const operands = rules(node, "additive").map(additive);
  if (operands.length === 0 || !operands.every(present)) return null;
  return operands.reduce((left, right) => ({ type: "Pipe", left, right, span: join(left.span, right.span) }));
}

function additive(node: CstNode): A.Expression | null {
  return binaryChain(rules(node, "multiplicative").map(multiplicative), [...tokens(node, "Plus"), ...tokens(node, "Minus")]);
}

function multiplicative(node: CstNode): A.Expression | null {
  return binaryChain(rules(node, "unary").map(unary), [...tokens(node, "Star"), ...tokens(node, "Slash"), ...tokens(node, "At")]);
}

// x ^ p: right-associative, through the exponent's own `unary`.
function power(node: CstNode): A.Expression | null {
  const baseNode = rule(node, "postfix");
  const base = baseNode ? postfix(baseNode) : null;
  const caret = token(node, "Caret");
  if (!has(node, "Caret")) return base;
  const exponentNode = rule(node, "unary");
  const exponent = exponentNode ? unary(exponentNode) : null;
  if (!base || !exponent || !caret) return null;
  return { type: "BinaryExpr", operator: "^", operatorSpan: tokenSpan(caret), left: base, right: exponent, span: join(base.span, exponent.span) };
}

// Operands in order, with their operators (which the CST groups by token type) put back in source
// order; left-associative.
function binaryChain(operands: (A.Expression | null)[], operators: IToken[]): A.Expression | null {
  if (operands.length === 0 || !operands.every(present)) return null;
  if (operators.length !== operands.length - 1) return null;
  const ops = [...operators].sort((a, b) => a.startOffset - b.startOffset);
  return ops.reduce<A.Expression>((left, op, i) => {
    const right = operands[i + 1]!;
    const operator = op.image as A.BinaryExpr["operator"];
    return { type: "BinaryExpr", operator, operatorSpan: tokenSpan(op), left, right, span: join(left.span, right.span) };
  }, operands[0]!);
}

function unary(node: CstNode): A.Expression | null {
  const minus = token(node, "Minus");
  if (minus) {
    const inner = rule(node, "unary");
    const operand = inner ? unary(inner) : null;
    return operand ? { type: "UnaryExpr", operator: "-", argument: operand, span: join(tokenSpan(minus), operand.span) } : null;
  }
  const inner = rule(node, "power");
  return inner ? power(inner) : null;
}

// h1.weight, w[0]: the suffixes in source order.
function postfix(node: CstNode): A.Expression | null {
  const inner = rule(node, "primary");
  let object = inner ? primary(inner) : null;
  for (const suffix of rules(node, "suffix")) {
    if (!object) return null;
    if (has(suffix, "Dot")) {
      const property = anyName(rule(suffix, "anyName"));
      if (!property) return null;
      object = { type: "MemberExpr", object, property, span: join(object.span, property.span) };
      continue;
    }
    const indices = rules(suffix, "expression").map(expression);
    const close = token(suffix, "RBracket");
    if (indices.length === 0 || !indices.every(present) || !has(suffix, "RBracket")) return null;
    object = { type: "IndexExpr", object, indices, span: spanFrom(object.span, indices[indices.length - 1]!.span, close) };
  }
  return object;
}

function primary(node: CstNode): A.Expression | null {
  const number = token(node, "NumberLiteral");
  if (number) return numberLiteral(number);
  const string = token(node, "StringLiteral");
  if (string) return { type: "StringLiteral", value: unescape(string.image), raw: string.image, span: tokenSpan(string) };
  const keyword = token(node, "Keyword");
  if (keyword) return identifier(keyword);
  const list = rule(node, "list");
  if (list) {
    const elements = rules(list, "expression").map(expression);
    if (!elements.every(present) || !has(list, "RBracket")) return null;
    return { type: "ListExpr", elements, span: spanFrom(token(list, "LBracket"), elements[elements.length - 1]?.span, token(list, "RBracket")) };
  }
  // Parentheses only group: the inner expression stands for them.
  const parenthesized = rule(node, "parenthesized");
  if (parenthesized) return has(parenthesized, "RParen") ? expressionOf(parenthesized) : null;
  const call = rule(node, "callOrName");
  return call ? callOrName(call) : null;
}

// relu | dense(x, 256, bias: false)
function callOrName(node: CstNode): A.Expression | null {
  const callee = identifier(token(node, "Identifier"));
  if (!callee) return null;
  if (!has(node, "LParen")) return callee;
  const args = rules(node, "argument").map((a) => argument(rule(a, "anyName"), expressionOf(a)));
  if (!args.every(present) || !has(node, "RParen")) return null;
  return { type: "Call", callee, args, span: spanFrom(callee.span, args[args.length - 1]?.span, token(node, "RParen")) };
}

// The text of a string literal: `\n`, `\t`, `\r`, `\"` and `\\` are escapes; any other escaped
// character stands for itself.
function unescape(raw: string): string {
  const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r" };
  return raw.slice(1, -1).replace(/\\(.)/g, (_, c: string) => escapes[c] ?? c);
}
