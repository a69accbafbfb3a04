// A construct that an export cannot carry over with the same meaning. The export never writes a
// different script or graph instead: it stops with this error, which names the construct and,
// where there is one, its place in the .nn file. The CLI prints it as a user error (exit 1).

import type { Span } from "../../grammar/ast.ts";

export class ExportError extends Error {
  constructor(
    message: string,
    readonly span: Span | null = null,
  ) {
    super(message);
    this.name = "ExportError";
  }
}
