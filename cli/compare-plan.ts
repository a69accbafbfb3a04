// Planning `nnc compare`: the runs to train (the file's train blocks, those chosen with --train, or
// one block under the cross product of --vary lists), each run's overrides, the check that the
// runs share one data split, and each run's label: the settings in which it differs from the
// others, and nothing else.
//
// `--vary KEY=V1, V2, …` is read as a list of `--set KEY=V` overrides. Each value's override holds
// the whole typed text with the other values blanked out (value-list.ts), so a value's diagnostics
// point at the value inside the --vary text, under the name `--vary #N`.

import type { Program, TrainDecl } from "../grammar/ast.ts";
import type { Override } from "../compiler/index.ts";
import { differingDataSetting, type LoadedModel } from "./load.ts";
import { targetInfo } from "./session.ts";
import { UserError } from "./user-error.ts";
import { isolateValue, splitValues } from "./value-list.ts";

export interface Vary {
  option: string; // `--vary #1`
  key: string;
  values: { text: string; override: Override }[];
}

export interface ComparePlanRun {
  train: string | undefined; // the --train that chooses the run's block
  overrides: Override[]; // the command line's --set and shorthands, then the run's --vary values
  varied: { key: string; value: string }[];
}

export function parseVary(command: string, typed: readonly string[]): Vary[] {
  const varies = typed.map((text, i): Vary => {
    const option = `--vary #${i + 1}`;
    const equals = text.indexOf("=");
    const key = equals < 0 ? "" : text.slice(0, equals).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UserError(`nnc ${command}: --vary needs KEY=VALUE, VALUE, …: a train block's setting and the values to try, as in \`--vary batch=1,32,full\`, but got \`${text}\``);
    }
    const values = splitValues(text, equals + 1).map((value) => ({
      text: value.text,
      override: { name: option, text: isolateValue(text, equals, value), shown: text },
    }));
    if (values.length < 2) throw new UserError(`nnc ${command}: ${option} (\`${text}\`) gives one value; give two or more to compare, separated by commas (one value for every run is --set)`);
    const seen = new Map<string, number>();
    values.forEach((value, k) => {
      const normal = value.text.replace(/\s+/g, " ");
      if (seen.has(normal) && normal !== "") {
        throw new UserError(`nnc ${command}: ${option} gives \`${value.text}\` twice (values ${seen.get(normal)! + 1} and ${k + 1}), which would train the same run twice`);
      }
      seen.set(normal, k);
    });
    return { option, key, values };
  });
  varies.forEach((vary, i) => {
    const earlier = varies.slice(0, i).find((other) => other.key === vary.key);
    if (earlier) throw new UserError(`nnc ${command}: ${earlier.option} and ${vary.option} both vary \`${vary.key}\`; give its values in one --vary`);
  });
  return varies;
}

// One run per combination of the --vary values, the first --vary changing slowest.
export function variationRuns(train: string | undefined, overrides: readonly Override[], varies: readonly Vary[]): ComparePlanRun[] {
  let runs: ComparePlanRun[] = [{ train, overrides: [...overrides], varied: [] }];
  for (const vary of varies) {
    runs = runs.flatMap((run) =>
      vary.values.map((value) => ({ train, overrides: [...run.overrides, value.override], varied: [...run.varied, { key: vary.key, value: value.text }] })),
    );
  }
  return runs;
}

// One run per train block: those chosen with --train (by model name or number), or all of them.
export function blockRuns(command: string, program: Program, file: string, trains: readonly string[] | undefined, overrides: readonly Override[]): ComparePlanRun[] {
  const count = program.body.filter((d) => d.type === "TrainDecl").length;
  const chosen = trains?.length ? [...trains] : Array.from({ length: count }, (_, i) => String(i + 1));
  if (chosen.length < 2) {
    const what = trains?.length ? "one --train chooses one run" : `\`${file}\` has ${count === 0 ? "no train block" : "one train block"}`;
    throw new UserError(
      `nnc ${command}: nothing to compare: ${what}; give --train once per block to compare (at least two), or --vary KEY=A,B to train one block under variations (e.g. --vary "optimizer=sgd(lr: 0.1), adam()")`,
    );
  }
  return chosen.map((train) => ({ train, overrides: [...overrides], varied: [] }));
}

// The runs train on one split of one data set, prepared once (as an ensemble's members do), so
// their validation and test figures are measured on the same examples.
export function checkOneSplit(command: string, names: readonly string[], loadeds: readonly LoadedModel[]): void {
  const first = loadeds[0]!;
  const differing = differingDataSetting(loadeds);
  if (differing) {
    throw new UserError(
      `nnc ${command}: ${names[0]} and ${names[differing.index]} differ in \`${differing.setting}\`; the runs of a comparison train on one data set and one split (prepared once), so that their validation and test figures are measured on the same examples`,
    );
  }
  loadeds.forEach((loaded, i) => {
    if (JSON.stringify(targetInfo(loaded.model)) !== JSON.stringify(targetInfo(first.model)) || loaded.config.target_encoding !== first.config.target_encoding) {
      throw new UserError(`nnc ${command}: ${names[0]} trains \`${first.model.name}\` and ${names[i]} trains \`${loaded.model.name}\`, whose targets read the data differently; compare models with the same target`);
    }
  });
}

// Train blocks chosen twice (`--train 1 --train mlp` may name one block twice).
export function checkDistinctBlocks(command: string, names: readonly string[], loadeds: readonly LoadedModel[]): void {
  loadeds.forEach((loaded, i) => {
    const earlier = loadeds.slice(0, i).findIndex((other) => other.config.span.start === loaded.config.span.start);
    if (earlier >= 0) throw new UserError(`nnc ${command}: ${names[earlier]} and ${names[i]} are the same train block, which would train the same run twice`);
  });
}

// Each run's label: `key=value` for every setting whose value is not the same in all runs (the
// model's name too, when the runs train different models), as written, spaces collapsed. Runs that
// differ in nothing written are told apart by their train block's number.
export function runLabels(source: string, plan: readonly ComparePlanRun[], loadeds: readonly LoadedModel[]): string[] {
  if (plan.every((run) => run.varied.length)) return plan.map((run) => run.varied.map(({ key, value }) => `${key}=${oneLine(value)}`).join(", "));
  const settings = plan.map((run, i) => {
    const values = new Map<string, string>();
    values.set("model", loadeds[i]!.model.name);
    const decl = chosenTrainDecl(loadeds[i]!.compiled.program, run.train, loadeds[i]!.model.name);
    for (const setting of decl?.settings ?? []) values.set(setting.key.name, oneLine(source.slice(setting.key.span.end, setting.span.end)));
    for (const override of run.overrides) {
      const [, key, value] = /^\s*(\S+)\s*([\s\S]*)$/.exec(override.text) ?? [];
      if (key) values.set(key, oneLine(value ?? ""));
    }
    return values;
  });
  const keys = [...new Set(settings.flatMap((values) => [...values.keys()]))];
  const differing = keys.filter((key) => new Set(settings.map((values) => values.get(key) ?? "")).size > 1);
  const labels = settings.map((values) => differing.map((key) => (values.has(key) ? `${key}=${values.get(key)}` : `no ${key}`)).join(", "));
  if (new Set(labels).size === labels.length && labels.every((label) => label !== "")) return labels;
  return labels.map((label, i) => `#${plan[i]!.train ?? i + 1}${label ? ` ${label}` : ""}`);
}

// The train block a run uses: `--train N` numbers the blocks; a model's name (or none) chooses the
// model's first block, as compile() does.
export function chosenTrainDecl(program: Program, train: string | undefined, model: string): TrainDecl | null {
  const blocks = program.body.filter((d): d is TrainDecl => d.type === "TrainDecl");
  if (train !== undefined && /^\d+$/.test(train)) return blocks[Number(train) - 1] ?? null;
  return blocks.find((d) => d.model.name === model) ?? null;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
