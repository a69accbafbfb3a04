// The train-block analyzer: reads `train MODEL { ... }`, checks every setting and how the settings
// fit together and fit the model, and produces a TrainConfig with every default filled in. Each
// setting may appear once, in any order; `data` and `optimizer` are required, everything else has
// a default (see SETTINGS). The caller resolves the model's name: `model` is null when there is no
// such model (or it failed to analyze), and then the checks against the model are skipped.
//
// The tables below are the language reference: docs/LANGUAGE.md is generated from them.

import type { Expression, Setting, Span, TrainDecl } from "../../grammar/ast.ts";
import { closest, type DiagnosticBag } from "../diagnostics/registry.ts";
import type { TrainConfig, ModelInterface, ScheduleConfig, SplitConfig } from "../ir/config.ts";
import { bindArguments, type BoundValue } from "./args.ts";
import { findThen, listNames } from "./train-bind.ts";
import { checkDataFitsModel, parseData } from "./train-data.ts";
import { parseInitializer } from "./init.ts";
import { checkMetricFitsModel, checkMonitorHasValidation, defaultMetrics, type Monitor, type ReportedMetric } from "./train-metrics.ts";
import { parseOptimizer } from "./train-optimizer.ts";
import { DEFAULT_SCHEDULE, parseSchedule } from "./train-schedule.ts";
import { DEFAULT_BATCH, DEFAULT_EPOCHS, parseBatch, parseClip, parseStop, SETTINGS } from "./train-settings.ts";

export { DATA_SOURCES } from "./train-data.ts";
export { OPTIMIZERS } from "./train-optimizer.ts";
export { SCHEDULES } from "./train-schedule.ts";
export { CLIP_RULES, SETTINGS, STOP_RULES, type SettingSpec } from "./train-settings.ts";
export type { TrainSignature } from "./train-bind.ts";

// A setting as written, with its arguments bound to the setting's signature.
interface Given {
  setting: Setting;
  values: Record<string, BoundValue>;
  spans: Record<string, Span>;
}

export function analyzeTrain(decl: TrainDecl, model: ModelInterface | null, bag: DiagnosticBag, options: { baseDir: string }): TrainConfig | null {
  const errorsBefore = countErrors(bag);
  const { given, seen } = collectSettings(decl, bag);
  const expression = (key: string, param: string) => given.get(key)?.values[param] as Expression | undefined;

  for (const [key, spec] of Object.entries(SETTINGS)) {
    if (!spec.required || seen.has(key)) continue;
    bag.report("E0603", { start: decl.span.start, end: decl.model.span.end }, {
      args: { model: decl.model.name, name: key },
      hint:
        key !== "data" ? "for example `optimizer adam(lr: 1e-3)`"
        : model?.loss === "objective" ? "the loss is a formula over the model's parameters, so write `data none`"
        : "for example `data mnist(train: 8000, test: 2000)`",
    });
  }

  const dataValue = expression("data", "data");
  const data = dataValue ? parseData(dataValue, options.baseDir, bag) : null;
  const target_encoding = data ? checkDataFitsModel(data, model, bag) : null;
  const withoutData = data?.source.kind === "none";
  checkDataless(data, seen, bag);

  const split: SplitConfig = {
    validation: (given.get("split")?.values.validation as number | undefined) ?? 0,
    test: (given.get("split")?.values.test as number | undefined) ?? 0,
  };
  checkSplit(split, given.get("split"), data?.source.kind ?? null, bag);

  const batchValue = expression("batch", "batch");
  const batch = batchValue ? parseBatch(batchValue, bag) : undefined;
  const optimizerValue = expression("optimizer", "optimizer");
  const optimizer = optimizerValue ? parseOptimizer(optimizerValue, bag) : null;
  if (optimizer?.kind === "lbfgs" && batchValue && batch !== null && batch !== undefined && batch !== "full") {
    bag.report("E0613", batchValue.span, {
      args: { batch },
      notes: [bag.note("L-BFGS was chosen here", optimizerValue!.span)],
      hint: "write `batch full`, or pick a mini-batch optimizer such as `adam`",
    });
  }

  const initValue = expression("init", "init");
  const init = initValue ? parseInitializer(initValue, bag) : null;

  const monitors: Monitor[] = [];
  const scheduleValue = expression("schedule", "schedule");
  const schedule = scheduleValue ? parseSchedule(scheduleValue, bag) : { config: { ...DEFAULT_SCHEDULE }, monitor: null };
  if (schedule?.monitor) monitors.push(schedule.monitor);
  const stopValue = expression("stop", "stop");
  const stop = stopValue ? parseStop(stopValue, bag) : null;
  if (stop) monitors.push(stop.monitor);
  for (const monitor of monitors) {
    if (withoutData) {
      if (monitor.metric !== "train_loss") bag.report("E0716", monitor.span, { args: { name: monitor.metric }, hint: WITHOUT_DATA_METRICS });
    } else if (checkMonitorHasValidation(monitor, split.validation, bag)) checkMetricFitsModel(monitor.metric, monitor.span, model, bag);
  }
  const clipValue = expression("clip", "clip");
  const clip = clipValue ? parseClip(clipValue, bag) : null;
  if (optimizer?.kind === "lbfgs" && clipValue && clip !== null) {
    bag.report("E0619", clipValue.span, {
      notes: [bag.note("L-BFGS was chosen here", optimizerValue!.span)],
      hint: "remove `clip`, or pick a first-order optimizer such as `adam` to clip its gradients",
    });
  }
  if (optimizer && scheduleValue && schedule && cyclesMomentum(schedule.config) && (optimizer.kind === "adagrad" || optimizer.kind === "lbfgs")) {
    bag.report("E0620", scheduleValue.span, {
      args: { optimizer: optimizer.kind },
      notes: [bag.note(`\`${optimizer.kind}\` was chosen here`, optimizerValue!.span)],
      hint: "write `cyclic(…, cycle_momentum: false)` to cycle only the learning rate",
    });
  }

  const metrics = parseMetrics(given.get("metrics"), withoutData ? null : model, bag);
  if (withoutData) {
    given.get("metrics")?.setting.args.forEach((arg, i) => {
      const metric = (given.get("metrics")!.values.metrics as string[])[i];
      if (metric !== "loss") bag.report("E0716", arg.span, { args: { name: metric ?? "" }, hint: WITHOUT_DATA_METRICS });
    });
  }
  const checkpoint = given.get("checkpoint");

  if (countErrors(bag) > errorsBefore || !data || !target_encoding || !optimizer || !schedule || batch === null) return null;
  const value = <T>(key: string, param: string, otherwise: T): T => (given.get(key)?.values[param] as T | undefined) ?? otherwise;
  return {
    model: decl.model.name,
    span: decl.span,
    // Without data, the data set is `steps` empty examples, one per step (runtime/data/load.ts).
    data: data.source.kind === "none" ? { kind: "none", steps: value("steps", "steps", 1) } : data.source,
    dataSpan: data.span,
    split,
    standardize: value<string>("normalize", "normalize", "none") === "standardize",
    target_encoding,
    // L-BFGS is a full-batch method, so it defaults to the whole training set.
    batch: withoutData ? (optimizer.kind === "lbfgs" ? "full" : 1) : (batch ?? (optimizer.kind === "lbfgs" ? "full" : DEFAULT_BATCH)),
    epochs: value("epochs", "epochs", DEFAULT_EPOCHS),
    shuffle: withoutData ? false : value("shuffle", "shuffle", true),
    optimizer,
    schedule: schedule.config,
    early_stopping: stop?.config ?? null,
    clip_grad_norm: clip,
    seed: value("seed", "seed", 0),
    init,
    metrics: metrics ?? defaultMetrics(model),
    checkpoint: checkpoint ? { path: checkpoint.values.path as string, every: checkpoint.values.every as number } : null,
  };
}

// The settings that are about data, refused with `data none`.
const DATA_SETTINGS = ["batch", "split", "normalize", "shuffle"];
const WITHOUT_DATA_METRICS = "without data the one metric is the loss (`train_loss` for `stop` and `plateau`)";

// `data none` takes no settings about data, and `steps` (the length of an epoch without data) is
// only for `data none`.
function checkDataless(data: ReturnType<typeof parseData> | null, seen: Map<string, Setting>, bag: DiagnosticBag): void {
  if (!data) return;
  if (data.source.kind !== "none") {
    const steps = seen.get("steps");
    if (steps) {
      bag.report("E0717", steps.key.span, {
        args: { data: data.source.kind === "csv" ? "a CSV file" : data.source.kind },
        hint: "an epoch is one pass over the data; `batch` sets how many steps that takes",
      });
    }
    return;
  }
  for (const key of DATA_SETTINGS) {
    const setting = seen.get(key);
    if (setting) bag.report("E0716", setting.key.span, { args: { name: key }, hint: "remove it: every step computes the loss from the parameters alone" });
  }
}

// Whether the schedule, or a part of it, is a `cyclic` that cycles momentum (PyTorch's CyclicLR
// refuses an optimizer without momentum or betas then).
function cyclesMomentum(config: ScheduleConfig): boolean {
  if (config.kind === "cyclic") return config.cycle_momentum;
  return config.kind === "sequence" && config.parts.some(cyclesMomentum);
}

function countErrors(bag: DiagnosticBag): number {
  return bag.items.filter((d) => d.severity === "error").length;
}

// Binds each setting's arguments, reporting unknown and repeated keys and `then` where it does not
// belong. A setting with a mistake in its arguments is left out of `given`, so later checks do not
// pile up messages about the same mistake; `seen` still holds it, so it is not reported missing.
function collectSettings(decl: TrainDecl, bag: DiagnosticBag): { given: Map<string, Given>; seen: Map<string, Setting> } {
  const given = new Map<string, Given>();
  const seen = new Map<string, Setting>();
  for (const setting of decl.settings) {
    const key = setting.key.name;
    const spec = Object.hasOwn(SETTINGS, key) ? SETTINGS[key] : undefined;
    if (!spec) {
      const suggestion = closest(key, Object.keys(SETTINGS));
      bag.report("E0601", setting.key.span, {
        args: { name: key },
        hint: suggestion ? `did you mean \`${suggestion}\`?` : `the settings are ${listNames(Object.keys(SETTINGS))}`,
      });
      continue;
    }
    const first = seen.get(key);
    if (first) {
      bag.report("E0602", setting.key.span, { args: { name: key }, notes: [bag.note("first given here", first.key.span)] });
      continue;
    }
    seen.set(key, setting);
    if (!checkThen(setting, bag)) continue;
    if (spec.variadic) {
      // Each value is bound on its own to the one parameter (`metrics loss, accuracy`).
      const bound = setting.args.length === 0 ? [bindArguments(spec, [], setting.span, bag)] : setting.args.map((a) => bindArguments(spec, [a], a.span, bag));
      if (bound.every((b) => b.ok)) given.set(key, { setting, values: { [spec.params[0]!.name]: bound.map((b) => b.values[spec.params[0]!.name]!) }, spans: {} });
      continue;
    }
    const bound = bindArguments(spec, setting.args, setting.span, bag);
    if (bound.ok) given.set(key, { setting, values: bound.values, spans: bound.spans });
  }
  return { given, seen };
}

// `then` only joins schedules, and only at the top of the `schedule` setting.
function checkThen(setting: Setting, bag: DiagnosticBag): boolean {
  const misplaced = setting.args.flatMap((arg) => {
    if (setting.key.name === "schedule" && arg.value.type === "ThenExpr") return arg.value.parts.flatMap(findThen);
    return findThen(arg.value);
  });
  for (const then of misplaced) {
    bag.report("E0606", then.span, {
      hint: setting.key.name === "schedule" ? "write the sequence at the top: `schedule warmup(steps: 100) then cosine()`" : null,
    });
  }
  return misplaced.length === 0;
}

function checkSplit(split: SplitConfig, given: Given | undefined, dataKind: string | null, bag: DiagnosticBag): void {
  if (!given) return;
  if (dataKind === "mnist" && split.test > 0) {
    bag.report("E0709", given.spans.test ?? given.setting.span, { hint: "choose how many test digits MNIST holds back with `mnist(test: 2000)`" });
  }
  const sum = split.validation + split.test;
  if (sum >= 1) {
    bag.report("E0616", given.setting.span, { args: { sum: Number(sum.toPrecision(12)) }, hint: "for example `split validation: 0.1, test: 0.2`" });
  }
}

function parseMetrics(given: Given | undefined, model: ModelInterface | null, bag: DiagnosticBag): ReportedMetric[] | null {
  if (!given) return null;
  const metrics = given.values.metrics as ReportedMetric[];
  const result: ReportedMetric[] = [];
  given.setting.args.forEach((arg, i) => {
    const metric = metrics[i]!;
    if (!checkMetricFitsModel(metric, arg.span, model, bag)) return;
    // Naming a metric twice reports it once; it is not worth an error.
    if (!result.includes(metric)) result.push(metric);
  });
  return result;
}

