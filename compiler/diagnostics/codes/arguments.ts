// Diagnostics about the arguments of a call (codes E04xx): layers, losses, regularizers,
// optimizers, schedules, data sources and settings all bind their arguments through
// compiler/analyze/args.ts, which reports these. See ../registry.ts.
import type { CodeTable } from "../registry.ts";

export const ARGUMENT_CODES: CodeTable = {
  E0401: { severity: "error", title: "unknown-argument", message: "`{callee}` has no argument named `{name}`" },
  E0402: { severity: "error", title: "too-many-arguments", message: "too many arguments: `{callee}` takes at most {count} without names" },
  E0403: { severity: "error", title: "missing-argument", message: "`{callee}` needs the argument `{name}`" },
  E0404: { severity: "error", title: "duplicate-argument", message: "the argument `{name}` of `{callee}` is given twice" },
  E0405: { severity: "error", title: "argument-type", message: "`{name}` expects {expected}, but got {got}" },
  E0406: { severity: "error", title: "argument-range", message: "`{name}` {requirement}, but it is {got}" },
};
