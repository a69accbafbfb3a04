// Overrides: training settings given on the command line (`nnc run f.nn --set batch=32`), each
// written as a train block would write it and checked by the same parser and checker, so
// `--set "optimizer=adam(lr: -1)"` gets the file's own message, located in the override's text.
//
// An override replaces the train block's setting of the same key (or adds one); `regularize`
// replaces the model's `regularize` statements instead (`regularize=none` removes them). The file is
// checked on its own first; the overrides are applied to the chosen train block afterwards, so a
// mistake is always the override's.
//
// Each override's text is given offsets after the file's, as if it were appended to it (the
// first starts one past the file's end, the next one past the first's end, and so on), so one
// checker run sees the file's settings and the overrides side by side and a note can point at
// either; the diagnostics are then moved back to the override they fell in, as offsets into its
// text under its own name (`--set #1`).

import type { Call, RegularizeDecl, Setting, Span, TrainDecl } from "../../grammar/ast.ts";
import { parseSetting } from "../../grammar/index.ts";
import type { Diagnostic, Note } from "../diagnostics/diagnostic.ts";
import { DiagnosticBag } from "../diagnostics/registry.ts";
import type { TrainConfig } from "../ir/config.ts";
import type { CheckedModel, CheckedRegularizer } from "./model-types.ts";
import { checkRegularizer } from "./regularizers.ts";
import { analyzeTrain } from "./train.ts";

export interface Override {
  // What diagnostics call it in place of a file name: `--set #1`, `--epochs`.
  name: string;
  // The setting as the parser reads it, `KEY VALUE` (`optimizer adam(lr: 3e-3)`). It is as long as
  // what the user typed (`optimizer=adam(lr: 3e-3)`, with `=` read as a space), so the columns of
  // a diagnostic are the columns of the typed text.
  text: string;
  // What the user typed, shown in a diagnostic's code frame.
  shown: string;
}

// The override of `--set KEY=VALUE` number `index` (from 1), or null when it has no `=`.
export function setOverride(index: number, typed: string): Override | null {
  const equals = typed.indexOf("=");
  if (equals < 0) return null;
  return { name: `--set #${index}`, text: `${typed.slice(0, equals)} ${typed.slice(equals + 1)}`, shown: typed };
}

// An option that stands for a setting (`--epochs 3` is `--set epochs=3`). The two dashes are read
// as spaces, so the setting's columns are the typed option's.
export function optionOverride(option: string, key: string, value: string): Override {
  return { name: option, text: `  ${key} ${value}`, shown: `${option} ${value}` };
}

// The overrides' typed texts by name, for printing their diagnostics.
export function overrideSources(overrides: readonly Override[]): Map<string, string> {
  return new Map(overrides.map((o) => [o.name, o.shown]));
}

export interface OverrideResult {
  model: CheckedModel;
  config: TrainConfig | null; // null when there are errors
  diagnostics: Diagnostic[]; // only those the overrides caused, located in the overrides or the file
}

// Applies `overrides` to the train block `decl` of `model` in `file` (whose text is `textLength`
// long). `known` are the file's own diagnostics, so only new ones come back.
export function applyOverrides(
  overrides: readonly Override[],
  target: { file: string; textLength: number; decl: TrainDecl; model: CheckedModel; baseDir: string; known: readonly Diagnostic[] },
): OverrideResult {
  const bag = new DiagnosticBag(target.file);
  const bases: number[] = [];
  let next = target.textLength + 1;
  const settings: Setting[] = [];
  for (const override of overrides) {
    bases.push(next);
    const parsed = parseSetting(readable(override.text), target.file);
    if (parsed.setting?.key.name === REGULARIZE_STANDIN) parsed.setting.key.name = "regularize";
    bag.items.push(...parsed.diagnostics.map((d) => shiftDiagnostic(d, next)));
    if (parsed.setting) settings.push(shiftSpans(parsed.setting, next));
    next += override.text.length + 1;
  }
  const locate = (diagnostics: Diagnostic[]) => diagnostics.map((d) => moveToOverride(d, overrides, bases));
  if (bag.hasErrors) return { model: target.model, config: null, diagnostics: locate(bag.items) };

  const regularize = settings.filter((s) => s.key.name === "regularize");
  const model = regularize.length ? withRegularizers(target.model, regularize, bag) : target.model;
  const keys = new Set(settings.map((s) => s.key.name));
  const decl: TrainDecl = {
    ...target.decl,
    settings: [...target.decl.settings.filter((s) => !keys.has(s.key.name)), ...settings.filter((s) => s.key.name !== "regularize")],
  };
  const config = bag.hasErrors ? null : analyzeTrain(decl, model.interface, bag, { baseDir: target.baseDir });
  // The file's own warnings come back from the second look at its settings; they were printed.
  const known = new Set(target.known.map(diagnosticKey));
  const diagnostics = locate(bag.items.filter((d) => !known.has(diagnosticKey(d))));
  return { model, config: diagnostics.some((d) => d.severity === "error") ? null : config, diagnostics };
}

// `regularize` is a keyword of models, so it cannot start a setting; the parser is given a name
// of the same length in its place, and the setting gets its name back.
const REGULARIZE_STANDIN = "_egularize";

function readable(text: string): string {
  return text.replace(/^(\s*)regularize(?![A-Za-z0-9_])/, `$1${REGULARIZE_STANDIN}`);
}

// `regularize l2(1e-4), l1(1e-5, on: [h1])` or `regularize none`: the model's regularizers,
// replacing those of its `regularize` statements. Each value is checked as a statement would be.
function withRegularizers(model: CheckedModel, settings: Setting[], bag: DiagnosticBag): CheckedModel {
  const first = settings[0]!;
  for (const repeated of settings.slice(1)) {
    bag.report("E0602", repeated.key.span, { args: { name: "regularize" }, notes: [bag.note("first given here", first.key.span)] });
  }
  const args = first.args;
  if (args.length === 1 && !args[0]!.name && args[0]!.value.type === "Identifier" && args[0]!.value.name === "none") {
    return { ...model, regularizers: [] };
  }
  const regularizers: CheckedRegularizer[] = [];
  for (const arg of args) {
    if (arg.name || arg.value.type !== "Call") {
      bag.report("E0107", arg.span, { hint: "write `--set \"regularize=l2(1e-4)\"`, several separated by commas, or `--set regularize=none`" });
      continue;
    }
    const statement: RegularizeDecl = { type: "RegularizeDecl", value: arg.value as Call, span: arg.span };
    const checked = checkRegularizer(statement, model.params, model.name, bag);
    if (checked) regularizers.push(checked);
  }
  return { ...model, regularizers };
}

function diagnosticKey(d: Diagnostic): string {
  return `${d.file}\0${d.code}\0${d.span?.start}\0${d.span?.end}\0${d.message}`;
}

// Every span in a parsed setting, moved `by` characters on. A span object shared by two nodes is
// moved once.
function shiftSpans<T>(node: T, by: number): T {
  const moved = new Set<object>();
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null || moved.has(value)) return;
    moved.add(value);
    if (isSpan(value)) {
      value.start += by;
      value.end += by;
      return;
    }
    for (const child of Object.values(value)) visit(child);
  };
  visit(node);
  return node;
}

function isSpan(value: object): value is Span {
  const keys = Object.keys(value);
  return keys.length === 2 && typeof (value as Span).start === "number" && typeof (value as Span).end === "number";
}

function shiftDiagnostic(d: Diagnostic, by: number): Diagnostic {
  const shift = (span: Span | null) => (span ? { start: span.start + by, end: span.end + by } : null);
  return { ...d, span: shift(d.span), notes: d.notes.map((n) => ({ ...n, span: shift(n.span) })) };
}

// A diagnostic (or note) whose span lies past the file's text belongs to the override whose range
// holds it: it takes the override's name and an offset into the override's text.
function moveToOverride(d: Diagnostic, overrides: readonly Override[], bases: number[]): Diagnostic {
  const place = <T extends { file: string; span: Span | null }>(item: T): T => {
    if (!item.span || bases.length === 0 || item.span.start < bases[0]!) return item;
    let k = bases.length - 1;
    while (k > 0 && item.span.start < bases[k]!) k--;
    const base = bases[k]!;
    return { ...item, file: overrides[k]!.name, span: { start: item.span.start - base, end: item.span.end - base } };
  };
  const placed = place(d);
  return { ...placed, notes: d.notes.map((n: Note) => place(n)) };
}
