// Builds ASTs by hand for unit tests of the analyzer, so they test the analyzer alone (the parser
// has its own tests). Every node gets a distinct span, so notes and hints can be told apart.

import type * as A from "../../grammar/ast.ts";

let offset = 0;
const span = (): A.Span => ({ start: offset, end: (offset += 1) });

export const id = (name: string): A.Identifier => ({ type: "Identifier", name, span: span() });
export const num = (value: number): A.NumberLiteral => ({ type: "NumberLiteral", value, raw: String(value), isInteger: Number.isInteger(value), span: span() });
export const str = (value: string): A.StringLiteral => ({ type: "StringLiteral", value, raw: JSON.stringify(value), span: span() });
export const list = (...elements: A.Expression[]): A.ListExpr => ({ type: "ListExpr", elements, span: span() });
export const neg = (argument: A.Expression): A.UnaryExpr => ({ type: "UnaryExpr", operator: "-", argument, span: span() });

type Arg = A.Expression | [string, A.Expression];
const toArg = (a: Arg): A.Argument =>
  Array.isArray(a) ? { type: "Argument", name: id(a[0]), value: a[1], span: span() } : { type: "Argument", name: null, value: a, span: span() };

export const call = (name: string, ...args: Arg[]): A.Call => ({ type: "Call", callee: id(name), args: args.map(toArg), span: span() });
export const pipe = (left: A.Expression, ...stages: (A.Expression | string)[]): A.Expression =>
  stages.reduce<A.Expression>((l, r) => ({ type: "Pipe", left: l, right: typeof r === "string" ? id(r) : r, span: span() }), left);
export const bin = (operator: A.BinaryExpr["operator"], left: A.Expression, right: A.Expression): A.BinaryExpr => ({
  type: "BinaryExpr",
  operator,
  operatorSpan: span(),
  left,
  right,
  span: span(),
});
export const member = (object: A.Expression, property: string): A.MemberExpr => ({ type: "MemberExpr", object, property: id(property), span: span() });

const dims = (ds: (number | string)[]): A.Dim[] => ds.map((d) => (typeof d === "number" ? num(d) : id(d)));
export const shape = (ds: (number | string)[], classes: number | null = null): A.ShapeExpr => ({
  type: "ShapeExpr",
  kind: classes === null ? "f32" : "class",
  kindSpan: null,
  dims: dims(ds),
  classes: classes === null ? null : num(classes),
  span: span(),
});

export const input = (name: string, ds: (number | string)[]): A.InputDecl => ({ type: "InputDecl", name: id(name), shape: shape(ds), span: span() });
export const target = (name: string, ds: (number | string)[], classes: number | null = null): A.TargetDecl => ({
  type: "TargetDecl",
  name: id(name),
  shape: shape(ds, classes),
  span: span(),
});
export const bind = (name: string, value: A.Expression): A.Binding => ({ type: "Binding", name: id(name), value, span: span() });
export const output = (name: string, value: A.Expression): A.OutputDecl => ({ type: "OutputDecl", name: id(name), value, span: span() });
export const loss = (value: A.Expression): A.LossDecl => ({ type: "LossDecl", value, span: span() });
export const reg = (value: A.Call): A.RegularizeDecl => ({ type: "RegularizeDecl", value, span: span() });
export const ret = (value: A.Expression): A.ReturnStatement => ({ type: "ReturnStatement", value, span: span() });

export const model = (name: string, ...body: A.ModelStatement[]): A.ModelDecl => ({ type: "ModelDecl", name: id(name), body, span: span() });
export const block = (name: string, params: (string | [string, A.Expression])[], ...body: A.BlockStatement[]): A.BlockDecl => ({
  type: "BlockDecl",
  name: id(name),
  params: params.map((p) => ({ type: "BlockParam", name: id(Array.isArray(p) ? p[0] : p), default: Array.isArray(p) ? p[1] : null, span: span() })),
  body,
  span: span(),
});
export const program = (...body: A.TopLevel[]): A.Program => ({ type: "Program", body, comments: [], span: span() });
