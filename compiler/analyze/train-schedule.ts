// The `schedule` setting: one learning-rate schedule (train-schedule-kinds.ts) or several composed
// with `a then b then c` (PyTorch's SequentialLR).
//
// Units. Every schedule advances either after each optimizer step or after each epoch (`every:`).
// The defaults: warmup, cyclic and onecycle advance per step (cyclic and onecycle always do); all
// others per epoch (plateau always does). In a sequence the parts share one unit: the unit of the
// first part that states one (with `every:`, or by always advancing per step or per epoch), else
// the first part's default. A part that states another unit is an error.
//
// Lengths. Every part but the last needs a length, in the sequence's unit, so the next part knows
// when to start (SequentialLR's milestones): `for: N` on any schedule, or its own length
// (warmup's `steps`, cosine's `t_max`, polynomial's `total`, onecycle's `total_steps`). The last
// part runs to the end of training.

import type { Expression } from "../../grammar/ast.ts";
import type { DiagnosticBag } from "../diagnostics/registry.ts";
import type { ScheduleConfig, ScheduleUnit } from "../ir/config.ts";
import { FIXED_UNIT, parsePart, type Part } from "./train-schedule-kinds.ts";
import type { Monitor } from "./train-metrics.ts";

export { SCHEDULES } from "./train-schedule-kinds.ts";

export interface ParsedSchedule {
  config: ScheduleConfig;
  monitor: Monitor | null; // the metric plateau watches, checked against the split by the caller
}

export const DEFAULT_SCHEDULE: ScheduleConfig = { kind: "constant", every: "epoch" };

// Reads `schedule VALUE`; null after reporting when it is not a valid schedule.
export function parseSchedule(value: Expression, bag: DiagnosticBag): ParsedSchedule | null {
  const expressions = value.type === "ThenExpr" ? value.parts : [value];
  const parts = expressions.map((e) => parsePart(e, bag));
  if (parts.some((p) => p === null)) return null;
  const valid = parts as Part[];
  const last = valid.at(-1)!;
  if (last.forSpan) {
    bag.report("E0609", last.forSpan, {
      args: { name: last.name },
      hint: "the last schedule runs until training ends; remove `for`, or add `then constant` after it",
    });
    return null;
  }
  if (valid.length === 1) return { config: last.config, monitor: last.monitor };

  let ok = true;
  for (const part of valid) {
    if (part.name === "plateau") {
      bag.report("E0610", part.span, { hint: "use `plateau` on its own, as the whole schedule" });
      ok = false;
    }
  }
  const anchor = valid.find((p) => p.unitStated) ?? valid[0]!;
  for (const part of valid) {
    if (!part.unitStated || part.unit === anchor.unit) continue;
    bag.report("E0608", part.span, {
      args: { first: anchor.name, firstUnit: anchor.unit, second: part.name, secondUnit: part.unit },
      notes: [bag.note(`\`${anchor.name}\` advances every ${anchor.unit}`, anchor.span)],
      hint: FIXED_UNIT.has(part.name) || FIXED_UNIT.has(anchor.name)
        ? "`cyclic` and `onecycle` always advance every step, `plateau` every epoch; pick parts that agree"
        : `give both the same \`every: ${anchor.unit}\``,
    });
    ok = false;
  }
  const milestones: number[] = [];
  let elapsed = 0;
  for (const part of valid.slice(0, -1)) {
    if (part.length === null) {
      bag.report("E0607", part.span, {
        args: { name: part.name },
        hint: `say how many ${anchor.unit}s it runs before the next one, e.g. \`${part.name}(for: 10)\``,
      });
      ok = false;
      continue;
    }
    elapsed += part.length;
    milestones.push(elapsed);
  }
  if (!ok) return null;
  for (const part of valid) setUnit(part.config, anchor.unit);
  return { config: { kind: "sequence", parts: valid.map((p) => p.config), milestones, every: anchor.unit }, monitor: null };
}

function setUnit(config: ScheduleConfig, unit: ScheduleUnit): void {
  // Parts with a fixed unit already agree (a disagreement was reported above).
  if (config.kind !== "cyclic" && config.kind !== "onecycle" && config.kind !== "plateau") config.every = unit;
}

