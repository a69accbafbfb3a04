// Shared helpers of the train-block analyzer: reading a setting's value as a call (`adam(lr: 1e-3)`
// or a bare `adam`), looking its name up in a table with a "did you mean", and binding its
// arguments with args.ts after mapping PyTorch's argument names onto nnc's friendlier ones.

import type { Argument, Expression, Span } from "../../grammar/ast.ts";
import { closest, type DiagnosticBag } from "../diagnostics/registry.ts";
import { bindArguments, type BoundArgs, type Signature } from "./args.ts";
export { describeValue } from "./args.ts";

// A signature whose arguments may also be written under other names (usually PyTorch's:
// `eta_min` for cosine's `to`). An alias and its argument given together are reported as the
// argument given twice.
export type TrainSignature = Signature & { aliases?: Record<string, string> };

// A call as written in a setting; a bare name is a call without arguments.
export interface CallSite {
  name: string;
  nameSpan: Span;
  args: Argument[];
  span: Span;
}

export function callSite(expression: Expression): CallSite | null {
  if (expression.type === "Identifier") {
    return { name: expression.name, nameSpan: expression.span, args: [], span: expression.span };
  }
  if (expression.type === "Call") {
    return { name: expression.callee.name, nameSpan: expression.callee.span, args: expression.args, span: expression.span };
  }
  return null;
}

// The entry of `table` that `site` names, or null after reporting E0604 with the closest name.
export function lookup<T extends Signature>(
  table: Record<string, T>,
  site: CallSite,
  what: string,
  bag: DiagnosticBag,
): T | null {
  const entry = Object.hasOwn(table, site.name) ? table[site.name] : undefined;
  if (entry) return entry;
  const suggestion = closest(site.name, Object.keys(table));
  bag.report("E0604", site.nameSpan, {
    args: { name: site.name, what },
    hint: suggestion ? `did you mean \`${suggestion}\`?` : `the choices are ${listNames(Object.keys(table))}`,
  });
  return null;
}

export function bindCall(signature: TrainSignature, site: CallSite, bag: DiagnosticBag): BoundArgs & { ok: boolean } {
  const aliases = signature.aliases ?? {};
  const args = site.args.map((arg) => {
    const canonical = arg.name ? aliases[arg.name.name] : undefined;
    if (!arg.name || canonical === undefined) return arg;
    return { ...arg, name: { ...arg.name, name: canonical } };
  });
  return bindArguments(signature, args, site.span, bag);
}

// `a`, `b` or `c`: names for a hint.
export function listNames(names: readonly string[]): string {
  const quoted = names.map((n) => `\`${n}\``);
  return quoted.length <= 1 ? quoted.join("") : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
}

// The `then` expressions inside `expression` (they are only meaningful at the top of `schedule`).
export function findThen(expression: Expression): Expression[] {
  switch (expression.type) {
    case "ThenExpr":
      return [expression];
    case "Call":
      return expression.args.flatMap((a) => findThen(a.value));
    case "ListExpr":
      return expression.elements.flatMap(findThen);
    case "Pipe":
    case "BinaryExpr":
      return [...findThen(expression.left), ...findThen(expression.right)];
    case "UnaryExpr":
      return findThen(expression.argument);
    case "MemberExpr":
      return findThen(expression.object);
    default:
      return [];
  }
}

