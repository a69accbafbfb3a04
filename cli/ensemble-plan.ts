// Planning `nnc ensemble`: which way the members differ (--seeds, several --train, --snapshots),
// the checks that they make one ensemble, and each member's train block and configuration. A
// snapshot run's schedule is written in the language itself, as one cosine per cycle joined by
// `then` (each part starts again from the optimizer's rate), and checked like any --set.

import type { Override } from "../compiler/index.ts";
import type { TrainConfig } from "../compiler/ir/config.ts";
import type { PreparedData } from "../runtime/train/prepare.ts";
import { differingDataSetting, loadModel, type LoadedModel } from "./load.ts";
import { integerOption, type budgetOption } from "./options.ts";
import { UserError } from "./user-error.ts";

const MAX_MEMBERS = 100;
const MAX_SEED = 4294967295;

export type Mode = { kind: "seeds"; count: number } | { kind: "train"; blocks: string[] } | { kind: "snapshots"; count: number };

// A member to train: its model and train block, its configuration, and what tells it apart.
export interface Plan {
  loaded: LoadedModel;
  config: TrainConfig;
  label: string;
  seed: number;
  train: string | null; // the --train that chose its block
  saveEvery: number; // epochs between saves of the member's checkpoint
}

// Exactly one way of forming the ensemble; one --train beside --seeds or --snapshots chooses the
// train block.
export function chooseMode(values: { seeds?: string; train?: string[]; snapshots?: string }): Mode {
  const trains = values.train ?? [];
  const ways = [values.seeds !== undefined && "--seeds", values.snapshots !== undefined && "--snapshots", trains.length > 1 && "several --train"].filter(Boolean);
  if (ways.length > 1) throw new UserError(`nnc ensemble: choose one way to form the ensemble, but got ${ways.join(" and ")}`);
  if (values.seeds !== undefined) return { kind: "seeds", count: integerOption("ensemble", "seeds", values.seeds, 2, MAX_MEMBERS)! };
  if (values.snapshots !== undefined) return { kind: "snapshots", count: integerOption("ensemble", "snapshots", values.snapshots, 2, MAX_MEMBERS)! };
  if (trains.length > 1) return { kind: "train", blocks: trains };
  const one = trains.length === 1 ? `one --train makes one member; give --train once per member (at least two), or add ` : "choose how the members differ: ";
  throw new UserError(`nnc ensemble: ${one}--seeds N (members differ by seed), --train A --train B (by train block) or --snapshots N (the cycles of one run); see nnc ensemble --help`);
}

// The train blocks of an ensemble train one model on one data set: the members' checkpoints
// combine (`nnc eval` loads them into one model), and the test split is held out from each.
export function checkOneEnsemble(blocks: string[], loadeds: LoadedModel[]): void {
  const first = loadeds[0]!;
  loadeds.forEach((loaded, i) => {
    const earlier = loadeds.slice(0, i).findIndex((other) => other.config.span.start === loaded.config.span.start);
    if (earlier >= 0) {
      throw new UserError(`nnc ensemble: --train ${blocks[earlier]} and --train ${blocks[i]} are the same train block, whose members would be the same run`);
    }
    if (loaded.model.name !== first.model.name) {
      throw new UserError(
        `nnc ensemble: --train ${blocks[0]} trains \`${first.model.name}\` but --train ${blocks[i]} trains \`${loaded.model.name}\`; the members of an ensemble are one model`,
      );
    }
  });
  const differing = differingDataSetting(loadeds);
  if (differing) {
    throw new UserError(
      `nnc ensemble: the train blocks of --train ${blocks[0]} and --train ${blocks[differing.index]} differ in \`${differing.setting}\`; the members of an ensemble train on the same data, split and normalization, so that the test split is held out from all of them`,
    );
  }
}

// One member per seed or per train block. The members never use the train block's `checkpoint`:
// each is saved once, at its end (and when early stopping restores its best epoch), where --out says.
export function planMembers(mode: Mode, loadeds: LoadedModel[], blocks: (string | undefined)[]): Plan[] {
  const member = (loaded: LoadedModel, config: TrainConfig, label: string, train: string | null): Plan => ({
    loaded,
    config,
    label,
    seed: config.seed,
    train,
    saveEvery: config.epochs,
  });
  if (mode.kind === "train") return loadeds.map((loaded, i) => member(loaded, loaded.config, `--train ${blocks[i]}`, blocks[i]!));
  const loaded = loadeds[0]!;
  const train = blocks[0] ?? null;
  if (mode.kind === "snapshots") return [member(loaded, loaded.config, "snapshots", train)];
  return Array.from({ length: mode.count }, (_, i) => {
    const seed = (loaded.config.seed + i) % (MAX_SEED + 1);
    return member(loaded, { ...loaded.config, seed }, `seed ${seed}`, train);
  });
}

// The snapshot run: the epochs are cut into `count` cycles as evenly as whole epochs allow, and the
// train block's schedule is replaced, as by --set, by one cosine per cycle over the cycle's steps.
export function snapshotRun(
  file: string,
  plan: Plan,
  count: number,
  overrides: Override[],
  data: PreparedData,
  budget: ReturnType<typeof budgetOption>,
  train: string | undefined,
  log: (line: string) => void,
): { plan: Plan; boundaries: number[]; schedule: string } {
  const config = plan.config;
  if (overrides.some((o) => /^\s*schedule(?![A-Za-z0-9_])/.test(o.text))) {
    throw new UserError("nnc ensemble: --snapshots sets the schedule itself (one cosine annealing per cycle); leave out --set schedule=…");
  }
  if (count > config.epochs) {
    throw new UserError(`nnc ensemble: --snapshots ${count} needs at least ${count} epochs (a cycle is at least one epoch), but the run has ${config.epochs}; raise --epochs`);
  }
  // Steps per epoch as the loop takes them: L-BFGS takes one, a mini-batch run ⌈n / batch⌉.
  const n = data.train.n;
  const stepsPerEpoch = config.optimizer.kind === "lbfgs" || config.batch === "full" ? 1 : Math.ceil(n / Math.min(config.batch, n));
  const { boundaries, schedule } = snapshotSchedule(config.epochs, count, stepsPerEpoch);
  const snapshotOverride: Override = { name: "--snapshots", text: `schedule ${schedule}`, shown: `schedule=${schedule}` };
  const loaded = loadModel("ensemble", file, train, budget, [...overrides, snapshotOverride]);
  if (loaded.config.early_stopping) log("snapshots: early stopping is off, so that every cycle runs to its end");
  return {
    plan: { ...plan, loaded, config: { ...loaded.config, early_stopping: null }, saveEvery: 1 },
    boundaries,
    schedule,
  };
}

// The cycles of a snapshot run of `epochs` epochs: the epoch each ends after, and the schedule, one
// cosine per cycle over its steps (the last runs to the end of the run).
export function snapshotSchedule(epochs: number, count: number, stepsPerEpoch: number): { boundaries: number[]; schedule: string } {
  const boundaries = Array.from({ length: count }, (_, k) => Math.round(((k + 1) * epochs) / count));
  const parts = boundaries.map((end, k) => {
    const steps = (end - (boundaries[k - 1] ?? 0)) * stepsPerEpoch;
    if (k === count - 1) return "cosine()";
    return k === 0 ? `cosine(t_max: ${steps}, every: step)` : `cosine(t_max: ${steps})`;
  });
  return { boundaries, schedule: parts.join(" then ") };
}
