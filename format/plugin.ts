// `nnc fmt` is a prettier plugin: prettier owns the layout algorithm (groups that break only when a
// line passes the print width) and comment attachment; this file connects it to our parser, and
// print.ts says how each node looks.
//
// A file with syntax errors is never formatted: recovery may have dropped statements, and printing
// the tree that is left would delete the user's text. The parser throws instead, with our
// diagnostics as the message.

import * as prettier from "prettier";
import type { Parser, Plugin, Printer } from "prettier";
import type * as A from "../grammar/ast.ts";
import { parse } from "../grammar/index.ts";
import { formatDiagnostics } from "../compiler/diagnostics/print.ts";
import { canAttachComment, getVisitorKeys, handleComments, printComment } from "./comments.ts";
import { print } from "./print.ts";

function locStart(node: A.Node): number {
  return node.span.start;
}

function locEnd(node: A.Node): number {
  return node.span.end;
}

export class NnSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NnSyntaxError";
  }
}

const nnParser: Parser<A.Node> = {
  parse(text, options) {
    const file = typeof options.filepath === "string" ? options.filepath : "<input>";
    const { program, diagnostics } = parse(text, file);
    const errors = diagnostics.filter((d) => d.severity === "error");
    if (errors.length) throw new NnSyntaxError(formatDiagnostics(errors, new Map([[file, text]])).trimEnd());
    return program;
  },
  astFormat: "nn-ast",
  locStart,
  locEnd,
};

const nnPrinter: Printer<A.Node> = {
  print: print as Printer<A.Node>["print"],
  printComment: printComment as Printer<A.Node>["printComment"],
  canAttachComment,
  isBlockComment: () => false,
  getVisitorKeys,
  handleComments: handleComments as Printer<A.Node>["handleComments"],
};

export const languages: Plugin["languages"] = [{ name: "nn", parsers: ["nn"], extensions: [".nn"] }];
export const parsers = { nn: nnParser };
export const printers = { "nn-ast": nnPrinter };

export const plugin: Plugin<A.Node> = { languages, parsers, printers };
export default plugin;

// The canonical form of a .nn file. Rejects (with NnSyntaxError) when the file has syntax errors.
export function formatNn(text: string, file: string): Promise<string> {
  return prettier.format(text, { parser: "nn", plugins: [plugin], filepath: file });
}
