// The printer of `nnc fmt`: AST → prettier doc. One case per node type. Every child node is
// printed through `print` (never read directly), so prettier prints the comments attached to it.
//
// The canonical style: two-space indents, one statement per line, one blank line between
// declarations, at most one blank line between statements (kept where the source had one),
// train settings with their values in one column, numbers and strings exactly as written, and
// calls, lists and pipes that break over indented lines only when they pass the print width.

import { doc, util, type AstPath, type Doc, type ParserOptions } from "prettier";
import type * as A from "../grammar/ast.ts";
import { printComment, printDangling, type AttachedComment } from "./comments.ts";

const { group, indent, softline, line, hardline, join, lineSuffix } = doc.builders;

type Print = (selector?: string | number | (string | number)[]) => Doc;

export function print(path: AstPath<A.Node>, options: ParserOptions<A.Node>, print: Print): Doc {
  const node = path.node;
  const printed = printNode(path, options, print);
  return needsParens(node, path.parent as A.Node | null, path.key) ? ["(", printed, ")"] : printed;
}

function printNode(path: AstPath<A.Node>, options: ParserOptions<A.Node>, print: Print): Doc {
  const node = path.node;
  switch (node.type) {
    case "Program": {
      if (node.body.length === 0) {
        const comments = printDangling(path, undefined, printComment);
        return comments.length ? [join(hardline, comments), hardline] : "";
      }
      return [join([hardline, hardline], path.map(() => print(), "body")), hardline];
    }
    case "ModelDecl":
      return ["model ", print("name"), " ", printBody(path, options, print, "body")];
    case "BlockDecl":
      return ["block ", print("name"), printList("(", path.map(() => print(), "params"), ")"), " ", printBody(path, options, print, "body")];
    case "TrainDecl":
      return ["train ", print("model"), " ", printBody(path, options, print, "settings")];
    case "BlockParam":
      return node.default ? [print("name"), ": ", print("default")] : print("name");
    case "InputDecl":
      return ["input ", print("name"), ": ", print("shape")];
    case "TargetDecl":
      return ["target ", print("name"), ": ", print("shape")];
    case "ParamDecl":
      return group(["param ", print("name"), node.shape ? [": ", print("shape")] : "", node.init ? [" init ", print("init")] : ""]);
    case "ShapeExpr":
      return [
        node.kindSpan ? node.kind : "",
        "[",
        join(", ", path.map(() => print(), "dims")),
        "]",
        node.classes ? [" of ", print("classes")] : "",
      ];
    case "Binding":
      return group([print("name"), " = ", print("value")]);
    case "OutputDecl":
      return group(["output ", print("name"), " = ", print("value")]);
    case "LossDecl":
      return ["loss ", print("value")];
    case "RegularizeDecl":
      return ["regularize ", print("value")];
    case "ReturnStatement":
      return ["return ", print("value")];
    case "Setting": {
      // The values of a train block line up one space after its longest key.
      const train = path.parent as A.TrainDecl;
      const width = Math.max(...train.settings.map((s) => s.key.name.length));
      const pad = " ".repeat(width - node.key.name.length + 1);
      return [print("key"), pad, join(", ", path.map(() => print(), "args"))];
    }
    case "Argument":
      return node.name ? [print("name"), ": ", print("value")] : print("value");
    case "Identifier":
      return node.name;
    case "NumberLiteral":
    case "StringLiteral":
      return node.raw;
    case "MemberExpr":
      return [print("object"), ".", print("property")];
    case "IndexExpr":
      return [print("object"), "[", join(", ", path.map(() => print(), "indices")), "]"];
    case "ListExpr":
      return printList("[", path.map(() => print(), "elements"), "]");
    case "Call":
      return [print("callee"), printList("(", path.map(() => print(), "args"), ")")];
    case "UnaryExpr":
      return ["-", print("argument")];
    case "BinaryExpr":
      // A power is written tight, as in the math: `x^2 - y^2`.
      return node.operator === "^" ? [print("left"), "^", print("right")] : [print("left"), " ", node.operator, " ", print("right")];
    case "Pipe": {
      // A chain `a |> f |> g` is one group: on one line when it fits, else one stage per line.
      const stages: Doc[] = [];
      let first: Doc = "";
      collectChain(path, print, stages, (d) => (first = d));
      return group([first, indent(stages.map((s) => [line, "|> ", s]))]);
    }
    case "ThenExpr": {
      const [head, ...rest] = path.map(() => print(), "parts");
      return group([head!, indent(rest.map((p) => [line, "then ", p]))]);
    }
    case "Comment":
      return printComment(path as AstPath<A.Comment>);
  }
}

// Walks down the left spine of a pipe chain: `((a |> f) |> g)` gives first `a`, stages `f`, `g`.
function collectChain(path: AstPath<A.Node>, print: Print, stages: Doc[], setFirst: (d: Doc) => void): void {
  const node = path.node as A.Pipe;
  const left = node.left;
  if (left.type === "Pipe") {
    // The nested pipe is printed here, stage by stage, instead of as a group of its own; its
    // comments (if any) are printed by hand the same way prettier would, through `print`.
    path.call((leftPath) => {
      const leftNode = leftPath.node as A.Pipe & { comments?: unknown[] };
      if (leftNode.comments?.length) setFirst(print());
      else collectChain(leftPath as AstPath<A.Node>, print, stages, setFirst);
    }, "left" as never);
  } else {
    setFirst(print("left"));
  }
  stages.push(print("right"));
}

// `(a, b)` or `[a, b]`, broken one item per line when it does not fit.
function printList(open: string, items: Doc[], close: string): Doc {
  if (items.length === 0) return [open, close];
  return group([open, indent([softline, join([",", line], items)]), softline, close]);
}

// The statements of a body, one per line, keeping one blank line where the source had any. The
// comments at the end of neighbouring lines are lined up in one column, two spaces after the
// longest of those lines, as a reader lines them up by hand.
function printBody(path: AstPath<A.Node>, options: ParserOptions<A.Node>, print: Print, key: "body" | "settings"): Doc {
  const text = options.originalText;
  const brace = printDangling(path, "brace", printComment).map((c) => ["  ", c]);
  const end = printDangling(path, "end", printComment);
  const lines: BodyLine[] = [];
  path.each((itemPath) => {
    const node = itemPath.node as A.Node & { comments?: AttachedComment[] };
    const eol = printDangling(itemPath as AstPath<A.Node>, "eol", printComment);
    // Several comments can end up at one statement's end (see floatToStatement in comments.ts).
    lines.push({ node, doc: print(), eol: eol.length ? join(" ", eol) : null, leading: Boolean(node.comments?.some((c) => c.leading)) });
  }, key as never);
  const columns = commentColumns(lines, options);
  const parts: Doc[] = [];
  lines.forEach((item, i) => {
    if (i > 0) parts.push(hardline, isNextLineEmpty(text, lines[i - 1]!.node.span.end) ? hardline : "");
    parts.push(item.doc);
    if (item.eol !== null) parts.push(lineSuffix([" ".repeat(columns[i]! - lastLineWidth(item, options)), item.eol]));
  });
  if (end.length) {
    const last = lines.at(-1);
    const blank = last && isNextLineEmpty(text, last.node.span.end) ? hardline : "";
    parts.push(parts.length ? [hardline, blank] : "", join(hardline, end));
  }
  if (parts.length === 0) return ["{", brace, "}"];
  return ["{", brace, indent([hardline, parts]), hardline, "}"];
}

interface BodyLine {
  node: A.Node;
  doc: Doc;
  eol: Doc | null;
  leading: boolean;
  width?: number;
}

// The column of each line's end-of-line comment: lines in a run (next to each other, each with
// such a comment, none with a comment line of its own) share the widest one's column.
function commentColumns(lines: BodyLine[], options: ParserOptions<A.Node>): number[] {
  const columns: number[] = [];
  let runStart = 0;
  for (let i = 0; i <= lines.length; i++) {
    const line = lines[i];
    const continues = line && line.eol !== null && i > runStart && !line.leading && !isNextLineEmpty(options.originalText, lines[i - 1]!.node.span.end);
    if (continues) continue;
    const run = lines.slice(runStart, i).filter((l) => l.eol !== null);
    const column = Math.max(0, ...run.map((l) => lastLineWidth(l, options))) + 2;
    for (let j = runStart; j < i; j++) columns[j] = column;
    if (line && line.eol === null) {
      columns[i] = 0;
      runStart = i + 1;
    } else runStart = i;
  }
  return columns;
}

// The width of a statement's last printed line (inside its body's indent), measured by printing
// it alone the way prettier will print it in place.
function lastLineWidth(line: BodyLine, options: ParserOptions<A.Node>): number {
  if (line.width === undefined) {
    propagateBreaks(line.doc);
    const { formatted } = doc.printer.printDocToString(line.doc, { ...options, printWidth: options.printWidth - 2 });
    line.width = util.getStringWidth(formatted.slice(formatted.lastIndexOf("\n") + 1));
  }
  return line.width;
}

// Whether the line after the one holding `offset` is blank (a trailing comment may end the line).
export function isNextLineEmpty(text: string, offset: number): boolean {
  let i = offset;
  while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\r")) i++;
  if (text[i] === "#") while (i < text.length && text[i] !== "\n") i++;
  if (text[i] !== "\n") return false;
  i++;
  while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\r")) i++;
  return text[i] === "\n";
}

// Precedence, loosest first, as in the grammar: `then`, `|>`, `+ -`, `* / @`, unary `-`, `^`, the
// rest.
function precedence(node: A.Node): number {
  switch (node.type) {
    case "ThenExpr":
      return 1;
    case "Pipe":
      return 2;
    case "BinaryExpr":
      return node.operator === "+" || node.operator === "-" ? 3 : node.operator === "^" ? 6 : 4;
    case "UnaryExpr":
      return 5;
    default:
      return 7;
  }
}

// The tree has no parentheses, so they are put back wherever the child binds more loosely than its
// place requires (or as tightly, on the right of a left-associative operator).
function needsParens(node: A.Node, parent: A.Node | null, key: PropertyKey | null): boolean {
  if (!parent) return false;
  const own = precedence(node);
  switch (parent.type) {
    case "BinaryExpr":
      // `^` groups to the right, and its exponent may be a negation of its own (`x^-1`).
      if (parent.operator === "^") return key === "right" ? own < 5 : own <= 6;
      return own < precedence(parent) || (own === precedence(parent) && key === "right");
    case "Pipe": {
      const outer = precedence(parent);
      return own < outer || (own === outer && key === "right");
    }
    case "UnaryExpr":
      return own < 5;
    case "MemberExpr":
    case "IndexExpr":
      return key === "object" && (own < 7 || node.type === "NumberLiteral");
    case "ThenExpr":
      return own <= 1;
    default:
      return false;
  }
}

// Marks every group that holds a hard line break as broken, as prettier does to the whole document
// before printing it (its own helper for this is not exported).
function propagateBreaks(root: Doc): void {
  const open: { break?: boolean | "propagated" }[] = [];
  doc.utils.traverseDoc(
    root,
    (d) => {
      if (typeof d !== "object" || Array.isArray(d)) return;
      if (d.type === "break-parent" && open.length) open[open.length - 1]!.break = true;
      if (d.type === "group") open.push(d);
    },
    (d) => {
      if (typeof d !== "object" || Array.isArray(d) || d.type !== "group") return;
      const group = open.pop();
      if (group?.break && open.length) open[open.length - 1]!.break = true;
    },
    true,
  );
}
