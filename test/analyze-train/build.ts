// A small builder of train-block ASTs for the unit tests, so they do not depend on the parser.
// Spans are distinct fake offsets; tests look at codes and at which node a span belongs to.
// JS values stand for expressions: a number is a NumberLiteral, a string an Identifier, a boolean
// the identifier `true`/`false`, an array a list; `str("x")` is a string literal.

import type { Argument, Expression, Setting, Span, TrainDecl } from "../../grammar/ast.ts";
import { DiagnosticBag } from "../../compiler/diagnostics/registry.ts";
import type { ModelInterface, TrainConfig } from "../../compiler/ir/config.ts";
import { analyzeTrain } from "../../compiler/analyze/train.ts";

let offset = 0;
function span(): Span {
  offset += 2;
  return { start: offset, end: offset + 1 };
}

export type Value = Expression | number | string | boolean | Value[];

export function expr(value: Value): Expression {
  if (typeof value === "number") {
    if (value < 0) return { type: "UnaryExpr", operator: "-", argument: expr(-value) as never, span: span() };
    return { type: "NumberLiteral", value, raw: String(value), isInteger: Number.isInteger(value), span: span() };
  }
  if (typeof value === "string" || typeof value === "boolean") return { type: "Identifier", name: String(value), span: span() };
  if (Array.isArray(value)) return { type: "ListExpr", elements: value.map(expr), span: span() };
  return value;
}

export function real(value: number): Expression {
  return { type: "NumberLiteral", value, raw: value.toFixed(1), isInteger: false, span: span() };
}

export function str(value: string): Expression {
  return { type: "StringLiteral", value, raw: JSON.stringify(value), span: span() };
}

// A keyword argument; anything else given to call/setting is positional.
export function kw(name: string, value: Value): Argument {
  return { type: "Argument", name: { type: "Identifier", name, span: span() }, value: expr(value), span: span() };
}

function arg(value: Value | Argument): Argument {
  if (typeof value === "object" && !Array.isArray(value) && value.type === "Argument") return value;
  return { type: "Argument", name: null, value: expr(value as Value), span: span() };
}

export function call(name: string, ...args: (Value | Argument)[]): Expression {
  return { type: "Call", callee: { type: "Identifier", name, span: span() }, args: args.map(arg), span: span() };
}

export function seq(...parts: Value[]): Expression {
  return { type: "ThenExpr", parts: parts.map(expr), span: span() };
}

export function setting(key: string, ...args: (Value | Argument)[]): Setting {
  return { type: "Setting", key: { type: "Identifier", name: key, span: span() }, args: args.map(arg), span: span() };
}

export function train(...settings: Setting[]): TrainDecl {
  return { type: "TrainDecl", model: { type: "Identifier", name: "net", span: span() }, settings, span: { start: 0, end: 1 } };
}

// A model with one input and one target; `target` is `class K` or a real shape.
export function model(input: (number | string)[], target: { classes: number } | (number | string)[], loss = "cross_entropy"): ModelInterface {
  const isClass = !Array.isArray(target);
  return {
    name: "net",
    span: span(),
    inputs: [{ name: "x", shape: input, span: span() }],
    targets: [
      isClass
        ? { name: "y", shape: ["B"], kind: "class", classes: target.classes, span: span() }
        : { name: "y", shape: target, kind: "real", classes: null, span: span() },
    ],
    loss,
  };
}

// The usual minimal block: data and optimizer, plus the settings under test.
export function basics(...settings: Setting[]): Setting[] {
  const keys = new Set(settings.map((s) => s.key.name));
  const base = [setting("data", "iris"), setting("optimizer", call("adam"))].filter((s) => !keys.has(s.key.name));
  return [...base, ...settings];
}

export interface Result {
  config: TrainConfig | null;
  codes: string[];
  bag: DiagnosticBag;
}

export function analyze(
  settings: Setting[],
  options: { model?: ModelInterface | null; baseDir?: string; bare?: boolean } = {},
): Result {
  const bag = new DiagnosticBag("test.nn");
  const decl = train(...(options.bare ? settings : basics(...settings)));
  const m = options.model === undefined ? model(["B", 4], { classes: 3 }) : options.model;
  const config = analyzeTrain(decl, m, bag, { baseDir: options.baseDir ?? process.cwd() });
  return { config, codes: bag.items.map((d) => d.code), bag };
}
