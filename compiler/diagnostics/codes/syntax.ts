// Diagnostics of the lexer and parser (codes E01xx). See ../registry.ts.
import type { CodeTable } from "../registry.ts";

export const SYNTAX_CODES: CodeTable = {
  E0101: { severity: "error", title: "unexpected-character", message: "unexpected character {char}" },
  E0102: { severity: "error", title: "unterminated-string", message: "this string has no closing `\"`" },
  E0103: { severity: "error", title: "expected-token", message: "expected {expected} but found {found}" },
  E0104: { severity: "error", title: "expected-statement", message: "expected {expected} but found {found}" },
  E0105: { severity: "error", title: "expected-expression", message: "expected an expression but found {found}" },
  E0106: { severity: "error", title: "expected-declaration", message: "expected `model`, `block` or `train` but found {found}" },
  E0107: { severity: "error", title: "regularizer-not-a-call", message: "`regularize` takes a regularizer call such as `l2(1e-4)`" },
  E0108: { severity: "error", title: "nested-too-deeply", message: "this is nested more than {limit} levels deep" },
};
