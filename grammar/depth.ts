// Expressions nested too deeply for the passes after the parser. The parser reads a chain such as
// `x + x + ... + x` in a loop, but the tree it builds nests one level per operator, and the
// analyzer, the lowering and the formatter walk trees recursively. Real expressions are a few
// levels deep; a statement whose expression is nested deeper than MAX_EXPRESSION_DEPTH (a generated
// or garbled file) is reported (E0108) and left out of the tree, so no later pass can exhaust the
// stack on it. Measured here without recursion.

import type { Argument, Expression, Program } from "./ast.ts";
import type { DiagnosticBag } from "../compiler/diagnostics/registry.ts";

export const MAX_EXPRESSION_DEPTH = 200;

function children(e: Expression): Expression[] {
  switch (e.type) {
    case "Pipe":
    case "BinaryExpr":
      return [e.left, e.right];
    case "UnaryExpr":
      return [e.argument];
    case "MemberExpr":
      return [e.object];
    case "IndexExpr":
      return [e.object, ...e.indices];
    case "ListExpr":
      return e.elements;
    case "ThenExpr":
      return e.parts;
    case "Call":
      return e.args.map((a) => a.value);
    default:
      return [];
  }
}

// The first node found deeper than the limit, if any.
function tooDeep(root: Expression): Expression | null {
  const stack: [Expression, number][] = [[root, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_EXPRESSION_DEPTH) return node;
    for (const child of children(node)) stack.push([child, depth + 1]);
  }
  return null;
}

// Reports every statement, setting and block parameter default nested too deeply, and drops it.
export function dropTooDeep(program: Program, bag: DiagnosticBag): void {
  const ok = (value: Expression | null, statementStart: number): boolean => {
    const deep = value && tooDeep(value);
    if (!deep) return true;
    bag.report("E0108", { start: statementStart, end: value.span.end }, {
      args: { limit: MAX_EXPRESSION_DEPTH },
      hint: "each operator of a chain such as `a + b + c` nests one level; split it with bindings (`s = a + b`, then `s + c`)",
    });
    return false;
  };
  const argsOk = (args: Argument[], start: number) => args.every((a) => ok(a.value, start));
  for (const decl of program.body) {
    if (decl.type === "ModelDecl") {
      decl.body = decl.body.filter((s) =>
        s.type === "InputDecl" || s.type === "TargetDecl" ? true : s.type === "ParamDecl" ? ok(s.init, s.span.start) : ok(s.value, s.span.start),
      );
    } else if (decl.type === "BlockDecl") {
      decl.body = decl.body.filter((s) => ok(s.value, s.span.start));
      for (const p of decl.params) if (!ok(p.default, p.span.start)) p.default = null;
    } else decl.settings = decl.settings.filter((s) => argsOk(s.args, s.span.start));
  }
}
