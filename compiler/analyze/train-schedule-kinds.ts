// Each learning-rate schedule on its own: the table of schedules (PyTorch's lr_scheduler classes,
// with friendlier argument names and PyTorch's as aliases) and the reading of one call into its
// ScheduleConfig, with its unit and length for train-schedule.ts to compose into a sequence.

import type { Expression, Span } from "../../grammar/ast.ts";
import type { DiagnosticBag } from "../diagnostics/registry.ts";
import type { ScheduleConfig, ScheduleUnit } from "../ir/config.ts";
import type { ArgType, BoundValue, ParamSpec } from "./args.ts";
import { bindCall, callSite, describeValue, lookup, type TrainSignature } from "./train-bind.ts";
import { defaultMode, MONITORED_METRICS, type Monitor, type MonitoredMetric } from "./train-metrics.ts";

const positive: ArgType = { kind: "number", min: 0, minExclusive: true };
const nonNegative: ArgType = { kind: "number", min: 0 };
const count: ArgType = { kind: "number", integer: true, min: 1 };
const countOrZero: ArgType = { kind: "number", integer: true, min: 0 };
const gamma = (value?: number): ParamSpec => ({ name: "gamma", type: positive, default: value, doc: "the factor the learning rate is multiplied by (> 0)" });

function every(unit: ScheduleUnit, fixed = false): ParamSpec {
  return {
    name: "every",
    type: { kind: "enum", values: fixed ? [unit] : ["step", "epoch"] },
    default: unit,
    doc: fixed ? `always \`${unit}\`` : `advance after every optimizer \`step\` or every \`epoch\` (default \`${unit}\`)`,
  };
}
const forParam: ParamSpec = {
  name: "for",
  type: count,
  optional: true,
  doc: "in a `then` sequence: how many steps or epochs this part runs before the next one",
};

export const SCHEDULES: Record<string, TrainSignature> = {
  constant: { name: "constant", doc: "keep the optimizer's learning rate", params: [every("epoch"), forParam] },
  step: {
    name: "step",
    doc: "multiply the learning rate by `gamma` every `size` epochs (StepLR)",
    aliases: { step_size: "size" },
    params: [{ name: "size", type: count, doc: "the period, in the schedule's unit (PyTorch's step_size)" }, gamma(0.1), every("epoch"), forParam],
  },
  multistep: {
    name: "multistep",
    doc: "multiply the learning rate by `gamma` at each milestone (MultiStepLR)",
    params: [
      { name: "milestones", type: { kind: "list", of: count, minLength: 1 }, doc: "increasing step or epoch numbers" },
      gamma(0.1),
      every("epoch"),
      forParam,
    ],
  },
  exponential: { name: "exponential", doc: "multiply the learning rate by `gamma` every epoch (ExponentialLR)", params: [gamma(), every("epoch"), forParam] },
  inverse_time: {
    name: "inverse_time",
    doc: "lr0 / (1 + decay·t), t counting epochs (or steps)",
    params: [{ name: "decay", type: nonNegative, doc: "how fast the learning rate falls (≥ 0)" }, every("epoch"), forParam],
  },
  polynomial: {
    name: "polynomial",
    doc: "lr0 · (1 − t/total)^power down to 0 at `total` (PolynomialLR)",
    aliases: { total_iters: "total" },
    params: [
      { name: "total", type: count, optional: true, doc: "when the learning rate reaches 0; default the rest of the run" },
      { name: "power", type: nonNegative, default: 1, doc: "the polynomial's power (≥ 0)" },
      every("epoch"),
      forParam,
    ],
  },
  cosine: {
    name: "cosine",
    doc: "cosine annealing from the learning rate down to `to` over `t_max` (CosineAnnealingLR)",
    aliases: { eta_min: "to", T_max: "t_max" },
    params: [
      { name: "to", type: nonNegative, default: 0, doc: "the final learning rate (PyTorch's eta_min)" },
      { name: "t_max", type: count, optional: true, doc: "the length of the half cosine; default the rest of the run" },
      every("epoch"),
      forParam,
    ],
  },
  warmup: {
    name: "warmup",
    doc: "linear warmup: the learning rate's factor goes from `from` to `to` over `steps` (LinearLR)",
    aliases: { start_factor: "from", end_factor: "to", total_iters: "steps" },
    params: [
      { name: "steps", type: count, default: 5, doc: "the warmup's length, in the schedule's unit (PyTorch's total_iters)" },
      { name: "from", type: { kind: "number", min: 0, max: 1, minExclusive: true }, default: 1 / 3, doc: "the starting factor, in (0, 1] (start_factor)" },
      { name: "to", type: { kind: "number", min: 0, max: 1 }, default: 1, doc: "the final factor, in [0, 1] (end_factor)" },
      every("step"),
      forParam,
    ],
  },
  cyclic: {
    name: "cyclic",
    doc: "cycle the learning rate between `low` and `high` (CyclicLR; always per step)",
    aliases: { base_lr: "low", max_lr: "high" },
    params: [
      { name: "low", type: positive, doc: "the lowest learning rate (PyTorch's base_lr)" },
      { name: "high", type: positive, doc: "the highest learning rate (max_lr)" },
      { name: "step_size_up", type: count, default: 2000, doc: "steps from low to high" },
      { name: "step_size_down", type: count, optional: true, doc: "steps from high to low; default step_size_up" },
      { name: "mode", type: { kind: "enum", values: ["triangular", "triangular2", "exp_range"] }, default: "triangular", doc: "`triangular`, `triangular2` (halve each cycle) or `exp_range`" },
      { name: "gamma", type: { kind: "number", min: 0, max: 1, minExclusive: true }, default: 1, doc: "the decay per step of `exp_range`, in (0, 1]" },
      { name: "cycle_momentum", type: { kind: "bool" }, default: true, doc: "cycle the optimizer's momentum (Adam's β1) opposite to the rate, as PyTorch's default; `false` for optimizers without momentum" },
      { name: "base_momentum", type: { kind: "number", min: 0, max: 1, maxExclusive: true }, default: 0.8, doc: "the momentum at the top of a cycle (at `high`), in [0, 1)" },
      { name: "max_momentum", type: { kind: "number", min: 0, max: 1, maxExclusive: true }, default: 0.9, doc: "the momentum at the bottom of a cycle (at `low`), in [0, 1)" },
      every("step", true),
      forParam,
    ],
  },
  onecycle: {
    name: "onecycle",
    doc: "one cycle up to `max_lr` and down far below the start (OneCycleLR; always per step); momentum is not cycled",
    aliases: { anneal_strategy: "anneal" },
    params: [
      { name: "max_lr", type: positive, doc: "the peak learning rate" },
      { name: "total_steps", type: count, optional: true, doc: "the cycle's length; default the rest of the run" },
      { name: "pct_start", type: { kind: "number", min: 0, max: 1, minExclusive: true, maxExclusive: true }, default: 0.3, doc: "the fraction of the cycle spent rising, in (0, 1)" },
      { name: "anneal", type: { kind: "enum", values: ["cos", "linear"] }, default: "cos", doc: "`cos` or `linear` annealing (anneal_strategy)" },
      { name: "div_factor", type: positive, default: 25, doc: "the start is max_lr / div_factor" },
      { name: "final_div_factor", type: positive, default: 1e4, doc: "the end is the start / final_div_factor" },
      { name: "three_phase", type: { kind: "bool" }, default: false, doc: "come back down symmetrically before the final annealing" },
      every("step", true),
      forParam,
    ],
  },
  plateau: {
    name: "plateau",
    doc: "multiply the learning rate by `factor` when a metric stops improving (ReduceLROnPlateau; always per epoch)",
    params: [
      { name: "on", type: { kind: "enum", values: MONITORED_METRICS }, default: "val_loss", doc: "the metric to watch" },
      { name: "mode", type: { kind: "enum", values: ["min", "max"] }, optional: true, doc: "`min` or `max`; default `max` for accuracy, else `min`" },
      { name: "factor", type: { kind: "number", min: 0, max: 1, minExclusive: true, maxExclusive: true }, default: 0.1, doc: "the reduction factor, in (0, 1)" },
      { name: "patience", type: countOrZero, default: 10, doc: "epochs without improvement before reducing" },
      { name: "threshold", type: nonNegative, default: 1e-4, doc: "the smallest change that counts as an improvement" },
      { name: "threshold_mode", type: { kind: "enum", values: ["rel", "abs"] }, default: "rel", doc: "whether `threshold` is relative or absolute" },
      { name: "cooldown", type: countOrZero, default: 0, doc: "epochs to wait after a reduction" },
      { name: "min_lr", type: nonNegative, default: 0, doc: "the learning rate never goes below this" },
      // No `for`: plateau cannot be chained, so it never needs a length.
      every("epoch", true),
    ],
  },
};

export const FIXED_UNIT = new Set(["cyclic", "onecycle", "plateau"]);

// One schedule as written, before the parts of a sequence agree on their unit.
export interface Part {
  name: string;
  span: Span;
  config: ScheduleConfig;
  unit: ScheduleUnit;
  unitStated: boolean; // with `every:`, or by a schedule that always uses one unit
  length: number | null;
  forSpan: Span | null;
  monitor: Monitor | null;
}

export function parsePart(expression: Expression, bag: DiagnosticBag): Part | null {
  const site = callSite(expression);
  if (!site) {
    bag.report("E0605", expression.span, {
      args: { setting: "schedule", expected: "a schedule such as `cosine(to: 1e-5)`", got: describeValue(expression) },
    });
    return null;
  }
  const signature = lookup(SCHEDULES, site, "a learning-rate schedule", bag);
  if (!signature) return null;
  const { values: v, spans, given, ok } = bindCall(signature, site, bag);
  if (!ok) return null;
  const num = (name: string) => v[name] as number;
  const maybe = (name: string) => (v[name] === undefined ? null : num(name));
  const unit = v.every as ScheduleUnit;
  const forLength = maybe("for");

  const built = buildConfig(site.name, v, unit, bag, spans);
  if (!built) return null;
  const natural =
    built.kind === "warmup" ? built.total_iters
    : built.kind === "cosine" ? built.t_max
    : built.kind === "polynomial" ? built.total
    : built.kind === "onecycle" ? built.total_steps
    : null;
  // A part whose own length is "the rest of the run" runs for `for` steps inside a sequence.
  if (forLength !== null) {
    if (built.kind === "cosine" && built.t_max === null) built.t_max = forLength;
    if (built.kind === "polynomial" && built.total === null) built.total = forLength;
    if (built.kind === "onecycle" && built.total_steps === null) built.total_steps = forLength;
  }
  const monitor = built.kind === "plateau" ? { metric: built.metric as MonitoredMetric, span: spans.on ?? site.span } : null;
  return {
    name: site.name,
    span: site.span,
    config: built,
    unit,
    unitStated: given.has("every") || FIXED_UNIT.has(site.name),
    length: forLength ?? natural,
    forSpan: spans.for ?? null,
    monitor,
  };
}

function buildConfig(
  name: string,
  v: Record<string, BoundValue>,
  unit: ScheduleUnit,
  bag: DiagnosticBag,
  spans: Record<string, Span>,
): ScheduleConfig | null {
  const num = (key: string) => v[key] as number;
  const maybe = (key: string) => (v[key] === undefined ? null : num(key));
  switch (name) {
    case "constant":
      return { kind: "constant", every: unit };
    case "step":
      return { kind: "step", step_size: num("size"), gamma: num("gamma"), every: unit };
    case "multistep": {
      const milestones = v.milestones as number[];
      for (let i = 1; i < milestones.length; i++) {
        if (milestones[i]! > milestones[i - 1]!) continue;
        bag.report("E0614", spans.milestones ?? null, {
          args: { next: milestones[i]!, previous: milestones[i - 1]! },
          hint: "list the milestones in increasing order, each once",
        });
        return null;
      }
      return { kind: "multistep", milestones, gamma: num("gamma"), every: unit };
    }
    case "exponential":
      return { kind: "exponential", gamma: num("gamma"), every: unit };
    case "inverse_time":
      return { kind: "inverse_time", decay: num("decay"), every: unit };
    case "polynomial":
      return { kind: "polynomial", total: maybe("total"), power: num("power"), every: unit };
    case "cosine":
      return { kind: "cosine", t_max: maybe("t_max"), eta_min: num("to"), every: unit };
    case "warmup":
      return { kind: "warmup", total_iters: num("steps"), start_factor: num("from"), end_factor: num("to"), every: unit };
    case "cyclic": {
      if (num("low") >= num("high")) {
        bag.report("E0615", spans.high ?? spans.low ?? null, {
          args: { low: num("low"), high: num("high") },
          notes: spans.low ? [bag.note("`low` was given here", spans.low)] : [],
          hint: "the learning rate cycles from `low` up to `high` and back",
        });
        return null;
      }
      const up = num("step_size_up");
      return {
        kind: "cyclic",
        base_lr: num("low"),
        max_lr: num("high"),
        step_size_up: up,
        step_size_down: maybe("step_size_down") ?? up,
        mode: v.mode as "triangular" | "triangular2" | "exp_range",
        gamma: num("gamma"),
        cycle_momentum: v.cycle_momentum as boolean,
        base_momentum: num("base_momentum"),
        max_momentum: num("max_momentum"),
        every: "step",
      };
    }
    case "onecycle":
      return {
        kind: "onecycle",
        max_lr: num("max_lr"),
        total_steps: maybe("total_steps"),
        pct_start: num("pct_start"),
        anneal_strategy: v.anneal as "cos" | "linear",
        div_factor: num("div_factor"),
        final_div_factor: num("final_div_factor"),
        three_phase: v.three_phase as boolean,
        every: "step",
      };
    case "plateau": {
      const metric = v.on as MonitoredMetric;
      return {
        kind: "plateau",
        metric,
        mode: (v.mode as "min" | "max" | undefined) ?? defaultMode(metric),
        factor: num("factor"),
        patience: num("patience"),
        threshold: num("threshold"),
        threshold_mode: v.threshold_mode as "rel" | "abs",
        cooldown: num("cooldown"),
        min_lr: num("min_lr"),
        every: "epoch",
      };
    }
  }
  return null;
}
