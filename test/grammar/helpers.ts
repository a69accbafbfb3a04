// Helpers for the parser's tests: the tree without spans (to compare shapes, not positions) and a
// compact prefix notation of expressions that makes precedence visible at a glance.

import type * as A from "../../grammar/ast.ts";
import { parse } from "../../grammar/index.ts";

const SPAN_KEYS = new Set(["span", "operatorSpan", "kindSpan"]);

// A deep copy without spans. `comments` are kept unless asked otherwise: the formatter's tests drop
// them because prettier decorates them in place.
export function stripSpans(value: unknown, dropComments = false): unknown {
  if (Array.isArray(value)) return value.map((v) => stripSpans(v, dropComments));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (SPAN_KEYS.has(key) || (dropComments && key === "comments")) continue;
    out[key] = stripSpans(v, dropComments);
  }
  return out;
}

// `a + b * c` → `(+ a (* b c))`; calls as `f(x, k: v)`; lists as `[a, b]`.
export function show(e: A.Expression): string {
  switch (e.type) {
    case "NumberLiteral":
    case "StringLiteral":
      return e.raw;
    case "Identifier":
      return e.name;
    case "MemberExpr":
      return `${show(e.object)}.${e.property.name}`;
    case "IndexExpr":
      return `${show(e.object)}[${e.indices.map(show).join(", ")}]`;
    case "ListExpr":
      return `[${e.elements.map(show).join(", ")}]`;
    case "Call":
      return `${e.callee.name}(${e.args.map(showArg).join(", ")})`;
    case "Pipe":
      return `(|> ${show(e.left)} ${show(e.right)})`;
    case "BinaryExpr":
      return `(${e.operator} ${show(e.left)} ${show(e.right)})`;
    case "UnaryExpr":
      return `(neg ${show(e.argument)})`;
    case "ThenExpr":
      return `(then ${e.parts.map(show).join(" ")})`;
  }
}

export function showArg(a: A.Argument): string {
  return a.name ? `${a.name.name}: ${show(a.value)}` : show(a.value);
}

// Parses a file that must be free of errors.
export function parseClean(text: string): A.Program {
  const { program, diagnostics } = parse(text, "test.nn");
  if (diagnostics.length) throw new Error(`unexpected diagnostics:\n${diagnostics.map((d) => `${d.code} ${d.message}`).join("\n")}`);
  return program;
}

// The value of `a = SOURCE` in a model body.
export function expression(source: string): A.Expression {
  const decl = parseClean(`model m {\n  a = ${source}\n}\n`).body[0] as A.ModelDecl;
  return (decl.body[0] as A.Binding).value;
}

// The settings of `train m { SOURCE }`.
export function settings(source: string): A.Setting[] {
  return (parseClean(`train m {\n${source}\n}\n`).body[0] as A.TrainDecl).settings;
}

export function textOf(text: string, span: A.Span): string {
  return text.slice(span.start, span.end);
}
