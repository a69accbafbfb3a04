// The training half of an exported PyTorch script, from the checked model and its TrainConfig:
// the loss, the regularizers (l2 as λ/2·Σw², l1 as λ·Σ|w|, on the parameters nnc chose), the
// optimizer (torch.optim), the schedule (torch.optim.lr_scheduler, composed with SequentialLR),
// early stopping and the loop's settings. Anything PyTorch would compute differently is an
// ExportError naming it.

import type { CheckedModel } from "../analyze/model-types.ts";
import type { OptimizerConfig, ScheduleConfig, TrainConfig } from "../ir/config.ts";
import { ExportError } from "./errors.ts";
import { pyBool, pyFloat, pyList, pyNumber, pyString } from "./python-names.ts";

export function lossCode(model: CheckedModel): string {
  const loss = model.loss!;
  const reduction = pyString(loss.reduction);
  const body = (() => {
    switch (loss.kind) {
      case "mse":
        return `F.mse_loss(prediction, target, reduction=${reduction})`;
      case "bce_with_logits":
        return `F.binary_cross_entropy_with_logits(prediction, target, reduction=${reduction})`;
      case "cross_entropy":
        // Class indices or probability (one-hot) rows: PyTorch's CrossEntropyLoss takes both.
        return `F.cross_entropy(prediction, target, reduction=${reduction})`;
      // relu rather than clamp: its gradient at the hinge is 0, as nnc's.
      case "hinge":
        return `reduce(torch.relu(1 - target * prediction))`;
      case "perceptron":
        return `reduce(torch.relu(-target * prediction))`;
    }
  })();
  const lines = [
    "def data_loss(prediction, target):",
    `    """${loss.kind}(${loss.reduction}), as nnc defines it."""`,
  ];
  if (loss.kind === "hinge" || loss.kind === "perceptron") lines.push(`    reduce = torch.${loss.reduction}`);
  lines.push(`    return ${body}`);
  return lines.join("\n");
}

export function regularizationCode(model: CheckedModel): string {
  const lines = [
    "# (parameter, λ) for each regularizer, on the parameters nnc chose for it.",
    `L2 = ${pyList(model.regularizers.filter((r) => r.kind === "l2").flatMap((r) => r.params.map((p) => `(${pyString(p)}, ${pyFloat(r.lambda)})`)))}`,
    `L1 = ${pyList(model.regularizers.filter((r) => r.kind === "l1").flatMap((r) => r.params.map((p) => `(${pyString(p)}, ${pyFloat(r.lambda)})`)))}`,
    "",
    "",
    "def regularization(model):",
    `    """l2(λ) adds λ/2·Σw² (gradient λ·w, PyTorch's weight_decay); l1(λ) adds λ·Σ|w|."""`,
    "    total = torch.zeros((), device=next(model.parameters()).device)",
    "    for name, strength in L2:",
    "        total = total + strength / 2 * (model.get_parameter(name) ** 2).sum()",
    "    for name, strength in L1:",
    "        total = total + strength * model.get_parameter(name).abs().sum()",
    "    return total",
  ];
  return lines.join("\n");
}

export function optimizerCode(optimizer: OptimizerConfig): string {
  const call = (() => {
    switch (optimizer.kind) {
      case "sgd":
        return `torch.optim.SGD(parameters, lr=${pyFloat(optimizer.lr)}, momentum=${pyFloat(optimizer.momentum)}, dampening=${pyFloat(optimizer.dampening)}, nesterov=${pyBool(optimizer.nesterov)}, weight_decay=${pyFloat(optimizer.weight_decay)})`;
      case "adagrad":
        return `torch.optim.Adagrad(parameters, lr=${pyFloat(optimizer.lr)}, lr_decay=${pyFloat(optimizer.lr_decay)}, weight_decay=${pyFloat(optimizer.weight_decay)}, initial_accumulator_value=${pyFloat(optimizer.initial_accumulator_value)}, eps=${pyFloat(optimizer.eps)})`;
      case "rmsprop":
        return `torch.optim.RMSprop(parameters, lr=${pyFloat(optimizer.lr)}, alpha=${pyFloat(optimizer.alpha)}, eps=${pyFloat(optimizer.eps)}, weight_decay=${pyFloat(optimizer.weight_decay)}, momentum=${pyFloat(optimizer.momentum)}, centered=${pyBool(optimizer.centered)})`;
      case "adam":
      case "adamw":
        return `torch.optim.${optimizer.kind === "adam" ? "Adam" : "AdamW"}(parameters, lr=${pyFloat(optimizer.lr)}, betas=(${pyFloat(optimizer.beta1)}, ${pyFloat(optimizer.beta2)}), eps=${pyFloat(optimizer.eps)}, weight_decay=${pyFloat(optimizer.weight_decay)}, amsgrad=${pyBool(optimizer.amsgrad)})`;
      case "lbfgs":
        return `torch.optim.LBFGS(parameters, lr=${pyFloat(optimizer.lr)}, max_iter=${optimizer.max_iter}, max_eval=${optimizer.max_eval}, tolerance_grad=${pyFloat(optimizer.tolerance_grad)}, tolerance_change=${pyFloat(optimizer.tolerance_change)}, history_size=${optimizer.history_size}, line_search_fn=${optimizer.line_search === "strong_wolfe" ? '"strong_wolfe"' : "None"})`;
    }
  })();
  return [
    "def make_optimizer(model):",
    `    """${optimizer.kind}, with the arguments of the train block (torch.optim's defaults elsewhere)."""`,
    "    parameters = list(model.parameters())",
    `    return ${call}`,
  ].join("\n");
}

// make_schedule(optimizer, length) → (scheduler or None). `length` is the run's length in the
// schedule's unit (steps or epochs), for lengths the train block leaves as "the rest of the run".
export function scheduleCode(schedule: ScheduleConfig, lr0: number): string {
  const lines = [
    "def make_schedule(optimizer, length):",
    `    """The train block's schedule (advanced per ${schedule.every}); None for a constant rate."""`,
  ];
  const parts = schedule.kind === "sequence" ? schedule.parts : [schedule];
  if (parts.some((p) => p.kind === "cyclic" && p.cycle_momentum)) {
    lines.push('    if "momentum" not in optimizer.defaults and int(torch.__version__.split(".")[0]) < 2:');
    lines.push("        # CyclicLR cycles Adam's β1 (as nnc does) only from PyTorch 2.0 on.");
    lines.push('        raise SystemExit("cyclic(cycle_momentum: true) on Adam needs PyTorch 2.0 or later")');
  }
  if (schedule.kind === "constant") {
    lines.push("    return None");
  } else if (schedule.kind === "plateau") {
    lines.push(
      `    return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=${pyString(schedule.mode)}, factor=${pyFloat(schedule.factor)}, patience=${schedule.patience}, threshold=${pyFloat(schedule.threshold)}, threshold_mode=${pyString(schedule.threshold_mode)}, cooldown=${schedule.cooldown}, min_lr=${pyFloat(schedule.min_lr)})`,
    );
  } else if (schedule.kind === "sequence") {
    if (schedule.parts.some((p) => p.kind === "onecycle")) {
      throw new ExportError(
        "`onecycle` inside `then` cannot be exported: PyTorch's OneCycleLR replaces the optimizer's initial_lr, which SequentialLR and the other parts read, so the numbers would differ from nnc's (each part from lr0)",
      );
    }
    if (schedule.parts.some((p) => p.kind === "plateau" || p.kind === "sequence")) throw new ExportError("a `then` sequence may hold neither plateau nor another sequence");
    const starts = [0, ...schedule.milestones];
    lines.push("    # SequentialLR: each part starts from lr0 and counts its own t from 0, as nnc's `then`.");
    lines.push("    parts = []");
    schedule.parts.forEach((part, i) => {
      lines.push(`    fresh_start(optimizer, ${pyFloat(lr0)})`);
      lines.push(`    parts.append(${partCode(part, starts[i] ? `length - ${starts[i]}` : "length")})`);
    });
    lines.push(`    fresh_start(optimizer, ${pyFloat(lr0)})`);
    lines.push(`    return torch.optim.lr_scheduler.SequentialLR(optimizer, schedulers=parts, milestones=${pyList(schedule.milestones.map(String))})`);
  } else {
    lines.push(`    return ${partCode(schedule, "length")}`);
  }
  return lines.join("\n");
}

// One schedule as a torch.optim.lr_scheduler object; `length` is a Python expression for the rest
// of the run in the schedule's unit.
function partCode(schedule: ScheduleConfig, length: string): string {
  const S = "torch.optim.lr_scheduler";
  switch (schedule.kind) {
    case "constant":
      return `${S}.LambdaLR(optimizer, lambda t: 1.0)`;
    case "step":
      return `${S}.StepLR(optimizer, step_size=${schedule.step_size}, gamma=${pyFloat(schedule.gamma)})`;
    case "multistep":
      return `${S}.MultiStepLR(optimizer, milestones=${pyList(schedule.milestones.map(String))}, gamma=${pyFloat(schedule.gamma)})`;
    case "exponential":
      return `${S}.ExponentialLR(optimizer, gamma=${pyFloat(schedule.gamma)})`;
    case "inverse_time":
      // lr0 / (1 + decay·t): PyTorch has no class of its own for it.
      return `${S}.LambdaLR(optimizer, lambda t: 1.0 / (1.0 + ${pyFloat(schedule.decay)} * t))`;
    case "polynomial":
      return `${S}.PolynomialLR(optimizer, total_iters=${schedule.total === null ? `max(1, ${length})` : schedule.total}, power=${pyFloat(schedule.power)})`;
    case "cosine":
      return `${S}.CosineAnnealingLR(optimizer, T_max=${schedule.t_max === null ? `max(1, ${length})` : schedule.t_max}, eta_min=${pyFloat(schedule.eta_min)})`;
    case "warmup":
      return `${S}.LinearLR(optimizer, start_factor=${pyFloat(schedule.start_factor)}, end_factor=${pyFloat(schedule.end_factor)}, total_iters=${schedule.total_iters})`;
    case "cyclic": {
      // With cycle_momentum, SGD's momentum (Adam's β1, on PyTorch 2) cycles too, as in nnc.
      const momentum = schedule.cycle_momentum
        ? `cycle_momentum=True, base_momentum=${pyFloat(schedule.base_momentum)}, max_momentum=${pyFloat(schedule.max_momentum)}`
        : "cycle_momentum=False";
      return `${S}.CyclicLR(optimizer, base_lr=${pyFloat(schedule.base_lr)}, max_lr=${pyFloat(schedule.max_lr)}, step_size_up=${schedule.step_size_up}, step_size_down=${schedule.step_size_down}, mode=${pyString(schedule.mode)}, gamma=${pyFloat(schedule.gamma)}, ${momentum})`;
    }
    case "onecycle":
      return `${S}.OneCycleLR(optimizer, max_lr=${pyFloat(schedule.max_lr)}, total_steps=${schedule.total_steps === null ? `max(2, ${length})` : schedule.total_steps}, pct_start=${pyFloat(schedule.pct_start)}, anneal_strategy=${pyString(schedule.anneal_strategy)}, div_factor=${pyFloat(schedule.div_factor)}, final_div_factor=${pyFloat(schedule.final_div_factor)}, three_phase=${pyBool(schedule.three_phase)}, cycle_momentum=False)`;
    case "plateau":
    case "sequence":
      throw new ExportError(`a \`${schedule.kind}\` schedule cannot be part of a sequence`);
  }
}

// The loop's settings as Python constants.
export function settingsCode(config: TrainConfig, model: CheckedModel, unusedByLoss: boolean, batchNorms: number): string {
  const loss = model.loss!;
  const early = config.early_stopping;
  const schedule = config.schedule;
  const lines = [
    `MODEL = ${pyString(model.name)}`,
    `SEED = ${config.seed}`,
    `EPOCHS = ${config.epochs}`,
    `BATCH = ${config.batch === "full" ? "None  # full batch: every process takes its whole shard" : `${config.batch}  # examples per optimizer step, over all processes together`}`,
    `SHUFFLE = ${pyBool(config.shuffle)}`,
    `STANDARDIZE = ${pyBool(config.standardize)}  # fitted on the training split only`,
    `CLIP_GRAD_NORM = ${config.clip_grad_norm === null ? "None" : pyFloat(config.clip_grad_norm)}`,
    `LOSS = ${pyString(loss.kind)}`,
    `REDUCTION = ${pyString(loss.reduction)}`,
    `CLASS_TARGET = ${pyBool(loss.targetMode === "class")}`,
    `LBFGS = ${pyBool(config.optimizer.kind === "lbfgs")}`,
    `SCHEDULE_EVERY = ${pyString(schedule.every)}  # when the schedule advances: after every "step" or every "epoch"`,
    `PLATEAU_METRIC = ${schedule.kind === "plateau" ? pyString(schedule.metric) : "None"}`,
    `ONECYCLE_STEPS = ${schedule.kind === "onecycle" && schedule.total_steps !== null ? schedule.total_steps : "None"}  # OneCycleLR's total_steps, when the train block sets it`,
    `EARLY_STOPPING = ${early ? `dict(metric=${pyString(early.metric)}, mode=${pyString(early.mode)}, patience=${early.patience}, min_delta=${pyFloat(early.min_delta)}, restore=${pyString(early.restore)})` : "None"}`,
    `CHECKPOINT_EVERY = ${config.checkpoint ? config.checkpoint.every : "None"}  # epochs between saves`,
    `BATCH_NORMS = ${batchNorms}`,
    `FIND_UNUSED_PARAMETERS = ${pyBool(unusedByLoss)}  # some parameters do not reach the loss`,
  ];
  return lines.join("\n");
}

export { pyNumber };
