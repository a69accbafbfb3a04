// Binds the arguments of a call (`dense(x, 256, bias: false)`, `adam(lr: 1e-3)`) to a signature:
// positional arguments fill the parameters in order, keyword arguments by name, defaults fill the
// rest. Every mistake is reported (unknown keyword with a "did you mean", too many arguments, a
// missing one, one given twice, a wrong type, a value out of range) and binding goes on, so a file
// shows all its errors in one run. Layers, losses, regularizers, optimizers, schedules, data
// sources and training settings all describe their arguments with this one table format.

import type { Argument, Expression, Span } from "../../grammar/ast.ts";
import { closest, type DiagnosticBag } from "../diagnostics/registry.ts";

export type ArgType =
  // A number literal (a leading minus allowed). `integer` requires a whole number.
  | { kind: "number"; integer?: boolean; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }
  | { kind: "bool" } // `true` or `false`
  | { kind: "enum"; values: readonly string[] } // one of these identifiers
  | { kind: "string" }
  | { kind: "list"; of: ArgType; minLength?: number; length?: number }
  // Either a number or a list of `length` numbers (e.g. kernel: 3 or kernel: [3, 5]).
  | { kind: "number_or_pair"; integer?: boolean; min?: number }
  // An expression the caller interprets itself (a tensor, a schedule, a metric name...).
  | { kind: "expression" };

export interface ParamSpec {
  name: string;
  type: ArgType;
  default?: BoundValue; // absent: required (unless `optional`)
  // May be left out without a default: the value is then absent from `values`, and the caller picks
  // one that depends on other arguments (e.g. L-BFGS's max_eval defaults to max_iter · 5/4).
  optional?: boolean;
  positional?: boolean; // may be given without its name (default true)
  doc: string; // one line for docs/LANGUAGE.md and --help
}

export interface Signature {
  name: string;
  params: ParamSpec[];
  doc: string;
}

export type BoundValue = number | boolean | string | BoundValue[] | Expression;

export interface BoundArgs {
  values: Record<string, BoundValue>;
  spans: Record<string, Span>; // where each given argument was written
  given: Set<string>;
}

export function isExpressionValue(value: BoundValue): value is Expression {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "type" in value;
}

// Returns the bound arguments, with defaults filled in. Arguments that failed to bind are left at
// their defaults (or absent when required), and `ok` is false.
export function bindArguments(
  signature: Signature,
  args: Argument[],
  callSpan: Span,
  bag: DiagnosticBag,
): BoundArgs & { ok: boolean } {
  const values: Record<string, BoundValue> = {};
  const spans: Record<string, Span> = {};
  const given = new Set<string>();
  let ok = true;
  const positional = signature.params.filter((p) => p.positional !== false);
  let nextPositional = 0;

  for (const arg of args) {
    let spec: ParamSpec | undefined;
    if (arg.name === null) {
      spec = positional[nextPositional++];
      if (!spec) {
        bag.report("E0402", arg.span, {
          args: { callee: signature.name, count: positional.length },
          hint: `\`${signature.name}\` takes ${describeSignature(signature)}`,
        });
        ok = false;
        continue;
      }
    } else {
      const name = arg.name.name;
      spec = signature.params.find((p) => p.name === name);
      if (!spec) {
        const suggestion = closest(name, signature.params.map((p) => p.name));
        bag.report("E0401", arg.name.span, {
          args: { name, callee: signature.name },
          hint: suggestion ? `did you mean \`${suggestion}\`?` : `\`${signature.name}\` takes ${describeSignature(signature)}`,
        });
        ok = false;
        continue;
      }
    }
    if (given.has(spec.name)) {
      bag.report("E0404", arg.span, {
        args: { name: spec.name, callee: signature.name },
        notes: [bag.note("first given here", spans[spec.name] ?? null)],
      });
      ok = false;
      continue;
    }
    given.add(spec.name);
    spans[spec.name] = arg.value.span;
    const value = convert(spec, arg.value, bag);
    if (value === undefined) ok = false;
    else values[spec.name] = value;
  }

  for (const spec of signature.params) {
    if (given.has(spec.name)) continue;
    if (spec.default !== undefined) values[spec.name] = spec.default;
    else if (!spec.optional) {
      bag.report("E0403", callSpan, {
        args: { name: spec.name, callee: signature.name },
        hint: `\`${signature.name}\` takes ${describeSignature(signature)}`,
      });
      ok = false;
    }
  }
  return { values, spans, given, ok };
}

export function describeSignature(signature: Signature): string {
  if (signature.params.length === 0) return "no arguments";
  const parts = signature.params.map((p) =>
    p.default !== undefined ? `${p.name}: ${showDefault(p.default)}` : p.optional ? `${p.name}?` : p.name,
  );
  return `(${parts.join(", ")})`;
}

function showDefault(value: BoundValue): string {
  if (Array.isArray(value)) return `[${value.map(showDefault).join(", ")}]`;
  if (isExpressionValue(value)) return "…";
  return String(value);
}

// The number a literal denotes, with a leading minus folded in; null when it is not a literal.
export function numberValue(expression: Expression): number | null {
  if (expression.type === "NumberLiteral") return expression.value;
  if (expression.type === "UnaryExpr" && expression.argument.type === "NumberLiteral") return -expression.argument.value;
  return null;
}

// How an expression reads in a message ("the number 3", "`fll`", "a list").
export function describeValue(expression: Expression): string {
  switch (expression.type) {
    case "NumberLiteral":
      return `the number ${expression.raw}`;
    case "StringLiteral":
      return `the string ${expression.raw}`;
    case "Identifier":
      return `\`${expression.name}\``;
    case "ListExpr":
      return "a list";
    case "Call":
      return `a call to \`${expression.callee.name}\``;
    case "UnaryExpr":
      return expression.argument.type === "NumberLiteral" ? `the number -${expression.argument.raw}` : "an expression";
    default:
      return "an expression";
  }
}

function describeType(type: ArgType): string {
  switch (type.kind) {
    case "number":
      return type.integer ? "a whole number" : "a number";
    case "bool":
      return "`true` or `false`";
    case "enum":
      return type.values.map((v) => `\`${v}\``).join(", ").replace(/, ([^,]*)$/, " or $1");
    case "string":
      return "a string in double quotes";
    case "list":
      return `a list of ${describeType(type.of).replace(/^an? /, "")}s`;
    case "number_or_pair":
      return "a number or a list of two numbers";
    case "expression":
      return "an expression";
  }
}

function convert(spec: ParamSpec, expression: Expression, bag: DiagnosticBag): BoundValue | undefined {
  const value = convertValue(spec.type, expression);
  if (value === undefined) {
    const suggestion =
      spec.type.kind === "enum" && expression.type === "Identifier" ? closest(expression.name, spec.type.values) : null;
    bag.report("E0405", expression.span, {
      args: { name: spec.name, expected: describeType(spec.type), got: describeValue(expression) },
      hint: suggestion ? `did you mean \`${suggestion}\`?` : null,
    });
    return undefined;
  }
  const problem = checkRange(spec.type, value);
  if (problem) {
    bag.report("E0406", expression.span, { args: { name: spec.name, requirement: problem, got: showDefault(value) } });
    return undefined;
  }
  return value;
}

function convertValue(type: ArgType, expression: Expression): BoundValue | undefined {
  switch (type.kind) {
    case "number": {
      const value = numberValue(expression);
      return value === null ? undefined : value;
    }
    case "bool":
      if (expression.type === "Identifier" && (expression.name === "true" || expression.name === "false")) {
        return expression.name === "true";
      }
      return undefined;
    case "enum":
      if (expression.type === "Identifier" && type.values.includes(expression.name)) return expression.name;
      if (expression.type === "StringLiteral" && type.values.includes(expression.value)) return expression.value;
      return undefined;
    case "string":
      return expression.type === "StringLiteral" ? expression.value : undefined;
    case "list": {
      if (expression.type !== "ListExpr") return undefined;
      const items = expression.elements.map((e) => convertValue(type.of, e));
      return items.every((i) => i !== undefined) ? (items as BoundValue[]) : undefined;
    }
    case "number_or_pair": {
      const single = numberValue(expression);
      if (single !== null) return [single, single];
      if (expression.type !== "ListExpr" || expression.elements.length !== 2) return undefined;
      const pair = expression.elements.map(numberValue);
      return pair.every((v) => v !== null) ? (pair as number[]) : undefined;
    }
    case "expression":
      return expression;
  }
}

// A sentence naming the requirement that `value` breaks, or null.
function checkRange(type: ArgType, value: BoundValue): string | null {
  if (type.kind === "number" && typeof value === "number") return checkNumber(value, type);
  if (type.kind === "number_or_pair" && Array.isArray(value)) {
    for (const v of value) {
      const problem = checkNumber(v as number, { integer: type.integer, min: type.min });
      if (problem) return problem;
    }
  }
  if (type.kind === "list" && Array.isArray(value)) {
    if (type.length !== undefined && value.length !== type.length) return `must have ${type.length} elements`;
    if (type.minLength !== undefined && value.length < type.minLength) return `must have at least ${type.minLength} element${type.minLength === 1 ? "" : "s"}`;
    for (const item of value) {
      const problem = checkRange(type.of, item);
      if (problem) return problem;
    }
  }
  return null;
}

function checkNumber(
  value: number,
  range: { integer?: boolean; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean },
): string | null {
  if (!Number.isFinite(value)) return "must be a finite number";
  if (range.integer && !Number.isInteger(value)) return "must be a whole number";
  const low = range.min;
  const high = range.max;
  const belowMin = low !== undefined && (range.minExclusive ? value <= low : value < low);
  const aboveMax = high !== undefined && (range.maxExclusive ? value >= high : value > high);
  if (!belowMin && !aboveMax) return null;
  const lowText = low === undefined ? "" : `${range.minExclusive ? ">" : "≥"} ${low}`;
  const highText = high === undefined ? "" : `${range.maxExclusive ? "<" : "≤"} ${high}`;
  return `must be ${[lowText, highText].filter(Boolean).join(" and ")}`;
}
