// Learning-rate schedules with PyTorch's lr_scheduler semantics. Every schedule but
// ReduceLROnPlateau is a closed form of `t`, the number of steps or epochs (its unit, `every`) done
// so far, so a resumed run only needs `t` back; plateau keeps a little state of its own. The loop
// calls onStep after every optimizer step and onEpoch after every epoch; a schedule counts only
// its own unit. A null length (t_max, total, total_steps) means the rest of the run.

import type { ScheduleConfig, ScheduleUnit } from "../../../compiler/ir/config.ts";
import { Plateau } from "./plateau.ts";

export interface Schedule {
  readonly lr: number; // the learning rate for the next optimizer step
  // The momentum (Adam's β1) for the next step when the schedule cycles it (cyclic), else null:
  // the optimizer's own. `initialMomentum` is what the schedule sets when the run starts (null
  // when it never cycles momentum), as PyTorch's CyclicLR does when it is created.
  readonly momentum: number | null;
  readonly initialMomentum: number | null;
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
type MomentumForm = (t: number) => number | null;

export function createSchedule(config: ScheduleConfig, run: RunLength): Schedule {
  if (config.kind === "plateau") return new Plateau(config, run.baseLr);
  // The length of the whole run in the schedule's unit, for lengths left as "the rest of the run".
  const length = config.every === "step" ? run.stepsPerEpoch * run.epochs : run.epochs;
  const momentum = momentumForm(config);
  return new ClosedFormSchedule(config.every, closedForm(config, run.baseLr, length), momentum, firstMaxMomentum(config));
}

class ClosedFormSchedule implements Schedule {
  private t = 0;
  constructor(
    readonly every: ScheduleUnit,
    private readonly form: ClosedForm,
    private readonly momentumAt: MomentumForm | null,
    readonly initialMomentum: number | null,
  ) {}
  get lr(): number {
    return this.form(this.t);
  }
  get momentum(): number | null {
    return this.momentumAt ? this.momentumAt(this.t) : null;
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

// Where each phase of a schedule begins, in the schedule's unit (the steps or epochs done before
// it): the parts of a `then` sequence, and OneCycle's rise and fall (and, with three_phase, its
// final annealing) as oneCycle below splits them. Any other schedule is one phase.
export interface SchedulePhase {
  name: string;
  start: number;
}

export function schedulePhases(config: ScheduleConfig, run: RunLength): SchedulePhase[] {
  if (config.kind === "sequence") return config.parts.map((part, i) => ({ name: part.kind, start: i === 0 ? 0 : config.milestones[i - 1]! }));
  if (config.kind !== "onecycle") return [{ name: config.kind, start: 0 }];
  const total = Math.max(2, config.total_steps ?? run.stepsPerEpoch * run.epochs);
  // A phase ending at `end` (a fractional step) holds every t ≤ end; the next starts after it.
  const ends = config.three_phase ? [config.pct_start * total - 1, 2 * config.pct_start * total - 2] : [config.pct_start * total - 1];
  const names = config.three_phase ? ["onecycle rise", "onecycle fall", "onecycle anneal"] : ["onecycle rise", "onecycle fall"];
  const starts = [0, ...ends.map((end) => Math.max(0, Math.floor(end) + 1))];
  // A phase that holds no step (a tiny pct_start) is left out.
  return names.map((name, i) => ({ name, start: starts[i]! })).filter((phase, i, all) => i + 1 === all.length || all[i + 1]!.start > phase.start);
}

type CyclicConfig = Extract<ScheduleConfig, { kind: "cyclic" }>;

// CyclicLR: where step t is in its cycle (0 at the bottom, 1 at the top) times the mode's
// amplitude factor, as PyTorch's get_lr computes them.
function cyclicPosition(config: CyclicConfig, t: number): number {
  const total = config.step_size_up + config.step_size_down;
  const ratio = config.step_size_up / total;
  const cycle = Math.floor(1 + t / total);
  const x = 1 + t / total - cycle;
  const scale = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
  const factor = config.mode === "triangular" ? 1 : config.mode === "triangular2" ? 1 / 2 ** (cycle - 1) : config.gamma ** t;
  return scale * factor;
}

function cyclic(config: CyclicConfig): ClosedForm {
  return (t) => config.base_lr + (config.max_lr - config.base_lr) * cyclicPosition(config, t);
}

// With cycle_momentum (PyTorch's default) the momentum moves opposite to the rate: max_momentum at
// the bottom of a cycle, base_momentum at the top.
function cyclicMomentum(config: CyclicConfig): ClosedForm {
  return (t) => config.max_momentum - (config.max_momentum - config.base_momentum) * cyclicPosition(config, t);
}

// The momentum a schedule sets at each step, or null when it never cycles momentum. In a sequence
// only a cycling part sets it; the other parts leave the optimizer's (see initialMomentum).
function momentumForm(config: ScheduleConfig): MomentumForm | null {
  if (config.kind === "cyclic") return config.cycle_momentum ? cyclicMomentum(config) : null;
  if (config.kind !== "sequence") return null;
  const starts = [0, ...config.milestones];
  const forms = config.parts.map(momentumForm);
  if (forms.every((form) => form === null)) return null;
  return (t) => {
    let i = 0;
    while (i + 1 < starts.length && t >= starts[i + 1]!) i++;
    return forms[i] ? forms[i]!(t - starts[i]!) : null;
  };
}

// The momentum a cycling schedule gives the optimizer when the run starts (its max_momentum).
function firstMaxMomentum(config: ScheduleConfig): number | null {
  if (config.kind === "cyclic") return config.cycle_momentum ? config.max_momentum : null;
  if (config.kind === "sequence") return config.parts.map(firstMaxMomentum).find((m) => m !== null) ?? null;
  return null;
}

// OneCycleLR, phase by phase as PyTorch computes it; it leaves momentum alone (PyTorch's
// cycle_momentum=False). Past total_steps PyTorch raises; here the rate stays at the end.
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
