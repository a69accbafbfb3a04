// Checking a sweep's space before any trial runs: every value a trial can be given is checked by
// the compiler, as a --set would be, together with the file and the command line's --set. A range
// is checked at its two bounds (the checker's rules are ranges, so a value between two good bounds
// is good), a choice at each value. A mistake is reported where the value was typed in the --space
// text: a whole setting's value (`batch=choice(16, 0)`) is checked in place, so the checker's own
// location is exact; an argument (`momentum=uniform(0.5, 1.5)`) is checked inside the call it
// goes into, and the checker's message is moved onto the bound, with a note showing that call.

import type { Span } from "../../grammar/ast.ts";
import { compile, type Override } from "../../compiler/index.ts";
import type { Budget } from "../../compiler/analyze/budget.ts";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.ts";
import { dedupeDiagnostics } from "../../compiler/diagnostics/print.ts";
import { isolateValue } from "../value-list.ts";
import { trialSettings, type Dimension, type EffectiveSettings, type Value } from "./keys.ts";

export function overrideKey(override: Override): string {
  return override.text.trim().split(/\s/)[0]!;
}

export function checkSpaceValues(
  source: { file: string; text: string; train: string | undefined; budget: Partial<Budget> },
  overrides: readonly Override[],
  dimensions: readonly Dimension[],
  settings: EffectiveSettings,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const dimension of dimensions) {
    const distribution = dimension.distribution;
    const checked: { value: Value; span: Span }[] =
      distribution.kind === "choice"
        ? distribution.values.map((value, k) => ({ value, span: dimension.args[k]! }))
        : [
            { value: distribution.low, span: dimension.args[0]! },
            { value: distribution.high, span: dimension.args[1]! },
          ];
    const setting = dimension.target.setting;
    for (const { value, span } of checked) {
      const generated =
        dimension.target.kind === "setting"
          ? { name: dimension.option, text: isolateValue(dimension.typed, dimension.equals, span), shown: dimension.typed }
          : ((text: string) => ({ name: `${dimension.option} as`, text: `${setting} ${text}`, shown: `${setting}=${text}` }))(trialSettings([dimension], [value], settings).get(setting)!);
      const compiled = compile(source.text, source.file, {
        train: source.train,
        budget: source.budget,
        overrides: [...overrides.filter((o) => overrideKey(o) !== setting), generated],
      });
      for (const d of compiled.diagnostics) {
        if (d.severity !== "error") continue;
        // In place (a whole setting's value), or in the generated call: moved onto the value.
        if (d.file !== generated.name || generated.name === dimension.option) {
          diagnostics.push(d);
          continue;
        }
        const notes = d.notes.map((n) => (n.file === generated.name ? { ...n, file: dimension.option, span } : n));
        notes.push({ message: `checked as \`--set ${generated.shown}\``, file: dimension.option, span: null });
        diagnostics.push({ ...d, file: dimension.option, span, notes });
      }
    }
  }
  return dedupeDiagnostics(diagnostics);
}
