// How `nnc fmt` keeps comments. Prettier attaches each comment to a node (leading, trailing or
// dangling) from the spans of the tree; these hooks tell it which nodes exist, and take over the
// comments of declaration bodies that print.ts lays out itself: the comment at the end of a
// statement's line, the one on the line of a `{`, and those after the last statement.

import { util, type AstPath, type Doc } from "prettier";
import type * as A from "../grammar/ast.ts";

// Prettier's comment records: our Comment node plus the placement prettier decided on.
export interface AttachedComment extends A.Comment {
  leading?: boolean;
  trailing?: boolean;
  printed?: boolean;
  marker?: string;
  enclosingNode?: A.Node;
  precedingNode?: A.Node;
  followingNode?: A.Node;
}

// The children of each node, in source order. Spans and the program's own comment list are not
// nodes, so prettier must not descend into them.
const VISITOR_KEYS: Record<A.Node["type"], string[]> = {
  Program: ["body"],
  ModelDecl: ["name", "body"],
  BlockDecl: ["name", "params", "body"],
  BlockParam: ["name", "default"],
  TrainDecl: ["model", "settings"],
  InputDecl: ["name", "shape"],
  TargetDecl: ["name", "shape"],
  ParamDecl: ["name", "shape", "init"],
  ShapeExpr: ["dims", "classes"],
  Binding: ["name", "value"],
  OutputDecl: ["name", "value"],
  LossDecl: ["value"],
  RegularizeDecl: ["value"],
  ReturnStatement: ["value"],
  Setting: ["key", "args"],
  NumberLiteral: [],
  StringLiteral: [],
  Identifier: [],
  MemberExpr: ["object", "property"],
  IndexExpr: ["object", "indices"],
  ListExpr: ["elements"],
  Call: ["callee", "args"],
  Argument: ["name", "value"],
  Pipe: ["left", "right"],
  BinaryExpr: ["left", "right"],
  UnaryExpr: ["argument"],
  ThenExpr: ["parts"],
  Comment: [],
};

export function getVisitorKeys(node: A.Node): string[] {
  return VISITOR_KEYS[node.type] ?? [];
}

export function canAttachComment(node: A.Node): boolean {
  return Boolean(node.type) && node.type !== "Comment";
}

export function printComment(path: AstPath<A.Comment>): Doc {
  // Trailing blanks inside a comment are invisible; dropping them keeps the output clean.
  return `#${path.node.text.trimEnd()}`;
}

const DECLARATIONS = new Set<A.Node["type"]>(["ModelDecl", "BlockDecl", "TrainDecl"]);
const BODY_ITEMS = new Set<A.Node["type"]>(["InputDecl", "TargetDecl", "ParamDecl", "Binding", "OutputDecl", "LossDecl", "RegularizeDecl", "ReturnStatement", "Setting"]);

// Is the comment inside a declaration, on the line of its `{` (after it, or after the header and
// before it), with no statement before it? Such a comment belongs to the body, not to the
// declaration's name or last parameter (whose group it would break).
function opensBody(comment: AttachedComment, text: string): boolean {
  const decl = comment.enclosingNode;
  if (!decl || !DECLARATIONS.has(decl.type)) return false;
  const before = comment.precedingNode;
  if (before && BODY_ITEMS.has(before.type)) return false;
  // Right after the declaration's name (`block r # note` ⏎ `(x) {`) is in the header too.
  const name = decl.type === "TrainDecl" ? decl.model : (decl as A.ModelDecl | A.BlockDecl).name;
  if (before === name) return true;
  const from = before ? before.span.end : decl.span.start;
  if (text.slice(from, comment.span.start).includes("{")) return true;
  const after = text.slice(comment.span.end, comment.followingNode?.span.start ?? decl.span.end);
  return /^\s*\{/.test(after);
}

// A comment inside a statement but outside any call's parentheses or list's brackets
// (`h = a + # note` ⏎ `b`, `input x: [B, # note` ⏎ `4]`) would be printed where the printed line
// ends, which is the statement's end; the next run would then read it as the statement's
// end-of-line comment and line it up with its neighbours. It becomes that comment right away, so
// formatting twice gives what formatting once gave. Inside parentheses or brackets, a comment
// within one argument or element (`k: # note` ⏎ `v`) follows that argument; one between them keeps
// prettier's placement. Either way it breaks the call or list over lines and keeps its place.
function floatToStatement(comment: AttachedComment, text: string, ast: A.Node | undefined): boolean {
  if (!ast || ast.type !== "Program") return false;
  for (const decl of ast.body) {
    if (decl.type === "BlockDecl" && inParams(decl, comment, text)) return placeInItems(decl.params, comment, text) !== "between";
    const items: A.Node[] = decl.type === "TrainDecl" ? decl.settings : decl.body;
    const statement = items.find((item) => contains(item, comment.span));
    if (!statement) continue;
    const placed = placeInBrackets(statement, comment, text);
    if (placed === "none") util.addDanglingComment(statement, comment, "eol");
    return placed !== "between";
  }
  return false;
}

function contains(node: A.Node, span: A.Span): boolean {
  return node.span.start <= span.start && span.end <= node.span.end;
}

function children(node: A.Node): A.Node[] {
  return getVisitorKeys(node).flatMap((key) => {
    const child = (node as unknown as Record<string, A.Node | A.Node[] | null>)[key];
    return Array.isArray(child) ? child : child ? [child] : [];
  });
}

// "none": the comment is in no call or list; "inside": it was attached to the argument or element
// around it; "between": it sits between two of them, where prettier's default placement is right.
function placeInBrackets(node: A.Node, comment: AttachedComment, text: string): "none" | "inside" | "between" {
  const items = node.type === "ListExpr" ? node.elements : node.type === "Call" && openParen(node, text) < comment.span.start ? node.args : null;
  if (items) return placeInItems(items, comment, text);
  const child = children(node).find((c) => contains(c, comment.span));
  return child ? placeInBrackets(child, comment, text) : "none";
}

// The items of a call, a list or a block's parameters, between their brackets.
function placeInItems(items: readonly A.Node[], comment: AttachedComment, text: string): "none" | "inside" | "between" {
  const item = items.find((i) => contains(i, comment.span));
  // A comment right after `(` would otherwise trail the call's name, outside the group that
  // breaks over lines; it leads the first argument instead.
  if (!item && items[0] && comment.span.end <= items[0].span.start) {
    util.addLeadingComment(items[0], comment);
    return "inside";
  }
  // After the last item, before the closing bracket: it trails the last item.
  const last = items[items.length - 1];
  if (!item && last && last.span.end <= comment.span.start) {
    util.addTrailingComment(last, comment);
    return "inside";
  }
  if (!item) return items.length ? "between" : "none";
  const deeper = placeInBrackets(item, comment, text);
  if (deeper !== "none") return deeper;
  // A comment on a line of its own leads the next item, where the next run will find it.
  const next = items[items.indexOf(item) + 1];
  if (next && (comment as { placement?: string }).placement === "ownLine") util.addLeadingComment(next, comment);
  else util.addTrailingComment(item, comment);
  return "inside";
}

// Where a call's `(` is: after its name, past blanks and comments (`mse # note` ⏎ `(p, y)`).
function openParen(call: A.Call, text: string): number {
  return skipBlanks(text, call.callee.span.end);
}

// Is the comment between a block's first parameter and the `)` after its last one?
function inParams(block: A.BlockDecl, comment: AttachedComment, text: string): boolean {
  const first = block.params[0];
  const last = block.params[block.params.length - 1];
  if (!first || !last || comment.span.start < first.span.start) return false;
  let close = skipBlanks(text, last.span.end);
  if (text[close] === ",") close = skipBlanks(text, close + 1);
  return comment.span.end <= close;
}

// The offset of the next character after `from` that is neither blank nor in a comment.
function skipBlanks(text: string, from: number): number {
  let i = from;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text[i] !== "#") return i;
    while (i < text.length && text[i] !== "\n") i++;
  }
}

// An end-of-line comment after a statement belongs to that statement (print.ts lines the comments
// of neighbouring statements up in one column); one on the line of a `{` stays there.
function handleEndOfLine(comment: AttachedComment, text: string, _options?: unknown, ast?: A.Node): boolean {
  if (floatToStatement(comment, text, ast)) return true;
  const decl = comment.enclosingNode;
  const before = comment.precedingNode;
  if (decl && DECLARATIONS.has(decl.type) && before && BODY_ITEMS.has(before.type)) {
    util.addDanglingComment(before, comment, "eol");
    return true;
  }
  if (!opensBody(comment, text)) return handleOwnLine(comment, text);
  util.addDanglingComment(decl, comment, "brace");
  return true;
}

// A comment on its own line before a statement leads that statement (prettier's default). One
// after the last statement stays at the end of the body, and one in an empty body stays inside the
// braces; both are printed by print.ts before the `}`.
function handleOwnLine(comment: AttachedComment, text: string, _options?: unknown, ast?: A.Node): boolean {
  if (floatToStatement(comment, text, ast)) return true;
  const decl = comment.enclosingNode;
  if (!decl || !DECLARATIONS.has(decl.type)) return false;
  const following = comment.followingNode;
  if (following && BODY_ITEMS.has(following.type)) return false;
  const before = comment.precedingNode;
  if (before && BODY_ITEMS.has(before.type)) {
    util.addDanglingComment(decl, comment, "end");
    return true;
  }
  if (!opensBody(comment, text)) return false;
  util.addDanglingComment(decl, comment, "end");
  return true;
}

export const handleComments = {
  endOfLine: handleEndOfLine,
  ownLine: handleOwnLine,
  remaining: handleOwnLine,
};

// The dangling comments of the node at `path` with the given marker, each printed and marked as
// printed (prettier checks that every comment was printed exactly once).
export function printDangling(path: AstPath<A.Node>, marker: string | undefined, printCommentAt: (path: AstPath<A.Comment>) => Doc): Doc[] {
  const node = path.node as A.Node & { comments?: AttachedComment[] };
  const out: Doc[] = [];
  if (!node.comments) return out;
  path.each((commentPath) => {
    const comment = commentPath.node as unknown as AttachedComment;
    if (comment.leading || comment.trailing || comment.marker !== marker) return;
    comment.printed = true;
    out.push(printCommentAt(commentPath as unknown as AstPath<A.Comment>));
  }, "comments" as never);
  return out;
}
