// What a --space KEY means, and the train-block settings a trial's values become.
//
//   KEY                          the trial's setting
//   batch, epochs, steps         `batch 64`: the setting itself (a number or a choice)
//   optimizer, schedule, stop,   `schedule cosine(to: 0)`: the whole setting, chosen with choice(…)
//   clip, init, shuffle,
//   regularize
//   optimizer.ARG                the train block's optimizer call with ARG replaced (or added):
//                                `optimizer adam(lr: 0.00316, eps: 1e-8)`
//   schedule.ARG, stop.ARG,      the same for the schedule (one call, not a `then` sequence),
//   clip.ARG                     early stopping and clipping
//   ARG                          the first of optimizer.ARG, schedule.ARG, stop.ARG, clip.ARG whose
//                                call has the argument ARG: `lr`, `momentum`, `weight_decay`,
//                                `gamma`, `patience`, …
//
// The calls are the ones the run would use: the train block's, or a --set's. A setting's value is
// always written whole, so a trial is the same run as `nnc run FILE --set KEY=VALUE …`.
// `data`, `split`, `normalize` and `seed` decide the validation split, so varying them would
// measure the trials on different examples; they are refused, as is `checkpoint` (every trial
// would write the same file) and `metrics`.

import type { Argument, Setting, Span, TrainDecl } from "../../grammar/ast.ts";
import { parseSetting } from "../../grammar/index.ts";
import type { Override } from "../../compiler/index.ts";
import type { Diagnostic } from "../../compiler/diagnostics/diagnostic.ts";
import { closest } from "../../compiler/diagnostics/registry.ts";
import { OPTIMIZERS } from "../../compiler/analyze/train-optimizer.ts";
import { SCHEDULES } from "../../compiler/analyze/train-schedule.ts";
import { CLIP_RULES, SETTINGS, STOP_RULES } from "../../compiler/analyze/train-settings.ts";
import { callSite, type CallSite, type TrainSignature } from "../../compiler/analyze/train-bind.ts";
import { isInteger, spaceDiagnostic, type SpaceEntry } from "./space.ts";

const CALL_TABLES: Record<string, Record<string, TrainSignature>> = { optimizer: OPTIMIZERS, schedule: SCHEDULES, stop: STOP_RULES, clip: CLIP_RULES };
const NUMBER_SETTINGS = new Set(["batch", "epochs", "steps"]);
const REFUSED: Record<string, string> = {
  data: "every trial is measured on one validation split of one data set",
  split: "every trial is measured on one validation split",
  normalize: "every trial is measured on the same inputs",
  seed: "the seed also draws the validation split, so the trials would be measured on different examples (a sweep's own --seed draws the samples)",
  checkpoint: "every trial would write the same file",
  metrics: "the sweep reads its --metric from every trial",
};

export type Target = { kind: "setting"; setting: string } | { kind: "argument"; setting: string; argument: string };

export interface Dimension extends SpaceEntry {
  target: Target;
}

// A setting's value as the run would have it: where its text is (the file, or a --set's text).
interface Effective {
  setting: Setting;
  text: string;
}

export type EffectiveSettings = Map<string, Effective>;

// The train block's settings with the command line's --set applied.
export function effectiveSettings(source: string, decl: TrainDecl, overrides: readonly Override[]): EffectiveSettings {
  const settings: EffectiveSettings = new Map();
  for (const setting of decl.settings) settings.set(setting.key.name, { setting, text: source });
  for (const override of overrides) {
    const parsed = parseSetting(override.text, override.name).setting;
    if (parsed && parsed.key.name !== "_egularize") settings.set(parsed.key.name, { setting: parsed, text: override.text });
  }
  return settings;
}

// The call a setting's value is, with its signature, or null (no such setting, or not one call).
function settingCall(settings: EffectiveSettings, name: string): { site: CallSite; signature: TrainSignature; text: string } | null {
  const effective = settings.get(name);
  const args = effective?.setting.args ?? [];
  if (!effective || args.length !== 1 || args[0]!.name) return null;
  const site = callSite(args[0]!.value);
  const signature = site && Object.hasOwn(CALL_TABLES[name]!, site.name) ? CALL_TABLES[name]![site.name]! : null;
  return site && signature ? { site, signature, text: effective.text } : null;
}

function canonical(signature: TrainSignature, name: string): string {
  return signature.aliases?.[name] ?? name;
}

export function resolveKey(entry: SpaceEntry, settings: EffectiveSettings): { dimension: Dimension | null; diagnostics: Diagnostic[] } {
  const fail = (span: Span, message: string, hint: string | null = null) => ({ dimension: null, diagnostics: [spaceDiagnostic("space-key", entry.option, span, message, hint)] });
  const [head, argument] = entry.key.split(".") as [string, string | undefined];
  if (Object.hasOwn(REFUSED, head)) return fail(entry.keySpan, `a sweep cannot vary \`${head}\`: ${REFUSED[head]}`);
  const numeric = entry.distribution.kind !== "choice";
  if (argument === undefined && (Object.hasOwn(SETTINGS, head) || head === "regularize")) {
    if (numeric && !NUMBER_SETTINGS.has(head)) {
      return fail(entry.nameSpan, `\`${head}\` takes ${head === "regularize" ? "regularizers" : "a call or a name"}, not a number to draw`, `choose among whole values with choice(…), or sweep an argument such as ${head === "optimizer" ? "`lr`" : `\`${head}.ARG\``}`);
    }
    if (numeric && !isInteger(entry.distribution)) return fail(entry.nameSpan, `\`${head}\` takes whole numbers, but \`${entry.distribution.kind}\` draws real ones`, `use int(…) or logint(…)`);
    return { dimension: { ...entry, target: { kind: "setting", setting: head } }, diagnostics: [] };
  }
  const candidates = argument === undefined ? Object.keys(CALL_TABLES) : [head];
  if (argument !== undefined && !Object.hasOwn(CALL_TABLES, head)) {
    return fail(entry.keySpan, `\`${head}.${argument}\`: only the arguments of ${Object.keys(CALL_TABLES).map((s) => `\`${s}\``).join(", ")} can be swept by path`);
  }
  const wanted = argument ?? head;
  for (const setting of candidates) {
    const call = settingCall(settings, setting);
    if (!call) continue;
    const name = canonical(call.signature, wanted);
    const param = call.signature.params.find((p) => p.name === name);
    if (!param) continue;
    if (numeric && param.type.kind !== "number") return fail(entry.nameSpan, `\`${call.site.name}\`'s \`${name}\` is not a number`, "choose among its values with choice(…)");
    if (numeric && param.type.kind === "number" && param.type.integer && !isInteger(entry.distribution)) {
      return fail(entry.nameSpan, `\`${call.site.name}\`'s \`${name}\` is a whole number, but \`${entry.distribution.kind}\` draws real ones`, "use int(…) or logint(…)");
    }
    return { dimension: { ...entry, target: { kind: "argument", setting, argument: name } }, diagnostics: [] };
  }
  if (argument !== undefined) {
    const call = settingCall(settings, head);
    if (!call) {
      const why = settings.has(head) ? `its value is not one call${head === "schedule" ? " (a `then` sequence is swept whole, with choice(…))" : ""}` : "the train block has none";
      return fail(entry.keySpan, `\`${head}.${argument}\`: there is no \`${head}\` call to change: ${why}`, settings.has(head) ? null : `add one to the train block, or with --set ${head}=…`);
    }
    const names = call.signature.params.map((p) => p.name);
    const suggestion = closest(argument, names);
    return fail(entry.keySpan, `\`${call.site.name}\` has no argument \`${argument}\``, suggestion ? `did you mean \`${head}.${suggestion}\`?` : `its arguments are ${names.map((n) => `\`${n}\``).join(", ")}`);
  }
  const calls = Object.keys(CALL_TABLES).flatMap((setting) => {
    const call = settingCall(settings, setting);
    return call ? [{ setting, name: call.site.name, params: call.signature.params.map((p) => p.name) }] : [];
  });
  const every = [...Object.keys(SETTINGS).filter((s) => !Object.hasOwn(REFUSED, s)), ...calls.flatMap((c) => c.params)];
  const suggestion = closest(head, every);
  const arguments_ = calls.map((c) => `${c.setting} \`${c.name}\` (${c.params.join(", ")})`).join("; ");
  return fail(entry.keySpan, `\`${head}\` is neither a train setting nor an argument of the run's ${calls.map((c) => c.setting).join(", ") || "calls"}`, suggestion ? `did you mean \`${suggestion}\`?` : `the arguments are: ${arguments_}`);
}

// Two --space of one setting, or of the setting and one of its arguments, would each overwrite
// the other.
export function checkDistinct(dimensions: readonly Dimension[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  dimensions.forEach((d, i) => {
    for (const e of dimensions.slice(0, i)) {
      const same = d.target.setting === e.target.setting && (d.target.kind === "setting" || e.target.kind === "setting" || (d.target.kind === "argument" && e.target.kind === "argument" && d.target.argument === e.target.argument));
      if (!same) continue;
      const what = d.target.kind === "argument" && e.target.kind === "argument" ? `\`${d.target.setting}.${d.target.argument}\`` : `\`${d.target.setting}\``;
      const diagnostic = spaceDiagnostic("space-key", d.option, d.keySpan, `${e.option} already sweeps ${what}`, d.target.kind === e.target.kind ? "give its values in one --space" : "sweep the whole setting or its arguments, not both");
      diagnostic.notes.push({ message: "swept here", file: e.option, span: e.keySpan });
      diagnostics.push(diagnostic);
    }
  });
  return diagnostics;
}

export type Value = number | string;

// A value as a train block writes it: numbers in their shortest form, a choice as typed.
export function valueText(value: Value): string {
  return typeof value === "number" ? String(value) : value;
}

// The settings of a trial, `KEY` → `VALUE` as a train block would write them: the dimensions'
// values, the arguments of one call gathered into that call.
export function trialSettings(dimensions: readonly Dimension[], values: readonly Value[], settings: EffectiveSettings): Map<string, string> {
  const result = new Map<string, string>();
  const argumentsBySetting = new Map<string, Map<string, string>>();
  dimensions.forEach((d, i) => {
    if (d.target.kind === "setting") result.set(d.target.setting, valueText(values[i]!));
    else {
      const replaced = argumentsBySetting.get(d.target.setting) ?? new Map<string, string>();
      replaced.set(d.target.argument, valueText(values[i]!));
      argumentsBySetting.set(d.target.setting, replaced);
    }
  });
  for (const [setting, replaced] of argumentsBySetting) result.set(setting, callWith(settingCall(settings, setting)!, replaced));
  return result;
}

// A call written again with some arguments replaced or added, every argument by name (a positional
// one takes its parameter's name), the others as written: `sgd(0.1, momentum: 0.9)` with lr 0.05 →
// `sgd(lr: 0.05, momentum: 0.9)`.
function callWith(call: { site: CallSite; signature: TrainSignature; text: string }, replaced: Map<string, string>): string {
  const positional = call.signature.params.filter((p) => p.positional !== false);
  let next = 0;
  const written = new Set<string>();
  const args = call.site.args.map((arg: Argument) => {
    const name = arg.name ? canonical(call.signature, arg.name.name) : (positional[next++]?.name ?? "");
    written.add(name);
    const value = replaced.get(name) ?? call.text.slice(arg.value.span.start, arg.value.span.end);
    return `${name}: ${value}`;
  });
  for (const [name, value] of replaced) if (!written.has(name)) args.push(`${name}: ${value}`);
  return `${call.site.name}(${args.join(", ")})`;
}
