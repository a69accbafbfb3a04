// Learning-rate schedules with PyTorch's lr_scheduler semantics. Every schedule but
// ReduceLROnPlateau is a closed form of `t`, the number of steps or epochs (its unit, `every`) done
// so far, so a resumed run only needs `t` back; plateau keeps a little state of its own. The loop
// calls onStep after every optimizer step and onEpoch after every epoch; a schedule counts only
// its own unit. A null length (t_max, total, total_steps) means the rest of the run.

import type { ScheduleConfig, ScheduleUnit } from "../../../compiler/ir/config.ts";
import { Plateau } from "./plateau.ts";

export interface Schedule {
  readonly lr: number; // the learning rate for the next optimizer step
  readonly every: ScheduleUnit; // the unit it advances in
  onStep(): void;
  onEpoch(metrics: Record<string, number>): void;
  saveState(): Record<string, number>;
  loadState(state: Record<string, number>): void;
}

export interface RunLength {
  baseLr: number;
  stepsPerEpoch: number;
  epochs: number;
}

type ClosedForm = (t: number) => number;

export function createSchedule(config: ScheduleConfig, run: RunLength): Schedule {
  if (config.kind === "plateau") return new Plateau(config, run.baseLr);
  // The length of the whole run in the schedule's unit, for lengths left as "the rest of the run".
  const length = config.every === "step" ? run.stepsPerEpoch * run.epochs : run.epochs;
  return new ClosedFormSchedule(config.every, closedForm(config, run.baseLr, length));
}

class ClosedFormSchedule implements Schedule {
  private t = 0;
  constructor(
    readonly every: ScheduleUnit,
    private readonly form: ClosedForm,
  ) {}
  get lr(): number {
    return this.form(this.t);
  }
  onStep(): void {
    if (this.every === "step") this.t++;
  }
  onEpoch(): void {
    if (this.every === "epoch") this.t++;
  }
  saveState(): Record<string, number> {
    return { t: this.t };
  }
  loadState(state: Record<string, number>): void {
    this.t = state.t ?? 0;
  }
}

// The learning rate after t units, for a schedule that starts at lr0 and runs for `length` units.
export function closedForm(config: ScheduleConfig, lr0: number, length: number): ClosedForm {
  switch (config.kind) {
    case "constant":
      return () => lr0;
    case "step":
      return (t) => lr0 * config.gamma ** Math.floor(t / config.step_size);
    case "multistep":
      return (t) => lr0 * config.gamma ** config.milestones.filter((m) => m <= t).length;
    case "exponential":
      return (t) => lr0 * config.gamma ** t;
    case "inverse_time":
      return (t) => lr0 / (1 + config.decay * t);
    case "polynomial": {
      const total = Math.max(1, config.total ?? length);
      return (t) => lr0 * (1 - Math.min(t, total) / total) ** config.power;
    }
    case "cosine": {
      // PyTorch's closed form; past t_max it follows the cosine back up, as PyTorch does.
      const tMax = Math.max(1, config.t_max ?? length);
      return (t) => config.eta_min + ((lr0 - config.eta_min) * (1 + Math.cos((Math.PI * t) / tMax))) / 2;
    }
    case "warmup":
      return (t) => {
        const progress = Math.min(t, config.total_iters) / config.total_iters;
        return lr0 * (config.start_factor + (config.end_factor - config.start_factor) * progress);
      };
    case "cyclic":
      return cyclic(config);
    case "onecycle":
      return oneCycle(config, Math.max(2, config.total_steps ?? length));
    case "sequence": {
      // SequentialLR: part i starts at milestones[i-1] with its own t = 0.
      const starts = [0, ...config.milestones];
      const forms = config.parts.map((part, i) => closedForm(part, lr0, Math.max(1, length - starts[i]!)));
      return (t) => {
        let i = 0;
        while (i + 1 < starts.length && t >= starts[i + 1]!) i++;
        return forms[i]!(t - starts[i]!);
      };
    }
    case "plateau":
      throw new Error("internal error: plateau is not a closed-form schedule");
  }
}

// CyclicLR. PyTorch also cycles the optimizer's momentum by default (cycle_momentum); nnc keeps
// the momentum fixed, as PyTorch does with cycle_momentum=False.
function cyclic(config: Extract<ScheduleConfig, { kind: "cyclic" }>): ClosedForm {
  const total = config.step_size_up + config.step_size_down;
  const ratio = config.step_size_up / total;
  return (t) => {
    const cycle = Math.floor(1 + t / total);
    const x = 1 + t / total - cycle;
    const scale = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    const height = (config.max_lr - config.base_lr) * scale;
    const factor = config.mode === "triangular" ? 1 : config.mode === "triangular2" ? 1 / 2 ** (cycle - 1) : config.gamma ** t;
    return config.base_lr + height * factor;
  };
}

// OneCycleLR, phase by phase as PyTorch computes it; like cyclic, it leaves momentum alone
// (PyTorch's cycle_momentum=False). Past total_steps PyTorch raises; here the rate stays at the end.
function oneCycle(config: Extract<ScheduleConfig, { kind: "onecycle" }>, total: number): ClosedForm {
  const initial = config.max_lr / config.div_factor;
  const minimum = initial / config.final_div_factor;
  const up = config.pct_start * total - 1;
  const phases = config.three_phase
    ? [
        { end: up, from: initial, to: config.max_lr },
        { end: 2 * config.pct_start * total - 2, from: config.max_lr, to: initial },
        { end: total - 1, from: initial, to: minimum },
      ]
    : [
        { end: up, from: initial, to: config.max_lr },
        { end: total - 1, from: config.max_lr, to: minimum },
      ];
  const anneal =
    config.anneal_strategy === "cos"
      ? (from: number, to: number, pct: number) => to + ((from - to) / 2) * (1 + Math.cos(Math.PI * pct))
      : (from: number, to: number, pct: number) => (to - from) * pct + from;
  return (step) => {
    const t = Math.min(step, total - 1);
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const phase = phases[i]!;
      if (t <= phase.end || i === phases.length - 1) return anneal(phase.from, phase.to, (t - start) / Math.max(phase.end - start, 1e-12));
      start = phase.end;
    }
    return minimum;
  };
}
