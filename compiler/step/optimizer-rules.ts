// Every first-order optimizer of the language as a rule that emits its update as IR, so the whole
// training step is one graph that every backend runs. A rule names its per-parameter slots (the
// state PyTorch keeps, saved in checkpoints as `optimizer.<param>.<slot>`), the scalars that
// change from step to step (fed by the host as scalar inputs: the learning rate, bias corrections,
// a cycled momentum), and how to compute those scalars on the host from the step count.
//
// The per-element functions in runtime/train/optimizers/ are the test oracles these rules must
// match (test/step/optimizer-rules.test.ts). The IR computes each operation in f32, as PyTorch's
// tensor ops do; the oracles compute in f64 and round once, so the two agree to a few ulps.

import type { OptimizerConfig } from "../ir/config.ts";
import type { GraphBuilder } from "../ir/graph.ts";

export type FirstOrderConfig = Exclude<OptimizerConfig, { kind: "lbfgs" }>;

export interface SlotSpec {
  name: string; // PyTorch's state key, e.g. "exp_avg"
  init: number; // the value every element starts with
}

// Where a rule finds its tensors and scalars while it emits one parameter's update.
export interface UpdateContext {
  b: GraphBuilder;
  param: number;
  grad: number;
  slot(name: string): number; // the slot's current value (a `state` node)
  scalar(name: string): number; // a scalar input, shape []
}

export interface UpdateResult {
  param: number; // the parameter's new value
  slots: Record<string, number>; // each slot's new value
}

// What the host knows at a step: its number (counted from 1, as PyTorch's `state["step"]`), the
// schedule's learning rate, and the momentum (SGD, RMSProp) or β1 (Adam) when a schedule cycles
// it (null: the configured value).
export interface StepScalarsInput {
  step: number;
  lr: number;
  momentum: number | null;
}

export interface OptimizerRule<C extends FirstOrderConfig> {
  slots(config: C): SlotSpec[];
  scalars(config: C): string[];
  hostScalars(config: C, at: StepScalarsInput): Record<string, number>;
  update(ctx: UpdateContext, config: C): UpdateResult;
}

// g + λθ, the L2 form of weight decay (omitted when λ = 0, as PyTorch skips it).
function withWeightDecay(ctx: UpdateContext, weightDecay: number): number {
  const { b, grad, param } = ctx;
  return weightDecay === 0 ? grad : b.binary("add", grad, b.scale(param, weightDecay));
}

// a·x + c·y with a and c scalar nodes or numbers.
function blend(b: GraphBuilder, a: number | { node: number }, x: number, c: number | { node: number }, y: number): number {
  const times = (k: number | { node: number }, v: number) => (typeof k === "number" ? b.scale(v, k) : b.binary("mul", v, k.node));
  return b.binary("add", times(a, x), times(c, y));
}

// SGD (torch.optim.SGD): b ← μb + (1 − dampening)g, with b ← g on the first step; Nesterov steps
// along g + μb, plain momentum along b; θ ← θ − lr·step. The first step is the general formula
// with the scalars μ = 0 and (1 − dampening) = 1, and b starting at zero; Nesterov's own μ
// (`nesterov_momentum`) is the real one from the first step on.
const sgd: OptimizerRule<Extract<FirstOrderConfig, { kind: "sgd" }>> = {
  slots: (c) => (c.momentum !== 0 ? [{ name: "momentum_buffer", init: 0 }] : []),
  scalars(c) {
    if (c.momentum === 0) return ["lr"];
    return ["lr", "momentum", "momentum_keep", ...(c.nesterov ? ["nesterov_momentum"] : [])];
  },
  hostScalars(c, { step, lr, momentum }): Record<string, number> {
    if (c.momentum === 0) return { lr };
    const mu = momentum ?? c.momentum;
    const first = step === 1;
    const scalars: Record<string, number> = { lr, momentum: first ? 0 : mu, momentum_keep: first ? 1 : 1 - c.dampening };
    if (c.nesterov) scalars.nesterov_momentum = mu;
    return scalars;
  },
  update(ctx, c): UpdateResult {
    const { b } = ctx;
    const g = withWeightDecay(ctx, c.weight_decay);
    const lr = ctx.scalar("lr");
    if (c.momentum === 0) return { param: b.binary("sub", ctx.param, b.binary("mul", g, lr)), slots: {} };
    const buffer = blend(b, { node: ctx.scalar("momentum") }, ctx.slot("momentum_buffer"), { node: ctx.scalar("momentum_keep") }, g);
    const direction = c.nesterov ? b.binary("add", g, b.binary("mul", buffer, ctx.scalar("nesterov_momentum"))) : buffer;
    return { param: b.binary("sub", ctx.param, b.binary("mul", direction, lr)), slots: { momentum_buffer: buffer } };
  },
};

// AdaGrad (torch.optim.Adagrad): s ← s + g²; θ ← θ − clr·g/(√s + eps) with
// clr = lr / (1 + (t − 1)·lr_decay).
const adagrad: OptimizerRule<Extract<FirstOrderConfig, { kind: "adagrad" }>> = {
  slots: (c) => [{ name: "sum", init: c.initial_accumulator_value }],
  scalars: () => ["clr"],
  hostScalars: (c, { step, lr }) => ({ clr: lr / (1 + (step - 1) * c.lr_decay) }),
  update(ctx, c) {
    const { b } = ctx;
    const g = withWeightDecay(ctx, c.weight_decay);
    const sum = b.binary("add", ctx.slot("sum"), b.binary("mul", g, g));
    const denom = b.binary("add", b.unary("sqrt", sum), b.constant(c.eps));
    const param = b.binary("sub", ctx.param, b.binary("div", b.binary("mul", g, ctx.scalar("clr")), denom));
    return { param, slots: { sum } };
  },
};

// RMSProp (torch.optim.RMSprop): v ← αv + (1 − α)g²; centered: ḡ ← αḡ + (1 − α)g and
// avg = √(v − ḡ²) + eps, else avg = √v + eps; momentum: buf ← μ·buf + g/avg, θ ← θ − lr·buf;
// otherwise θ ← θ − lr·g/avg.
const rmsprop: OptimizerRule<Extract<FirstOrderConfig, { kind: "rmsprop" }>> = {
  slots: (c) => [
    { name: "square_avg", init: 0 },
    ...(c.centered ? [{ name: "grad_avg", init: 0 }] : []),
    ...(c.momentum !== 0 ? [{ name: "momentum_buffer", init: 0 }] : []),
  ],
  scalars: (c) => (c.momentum !== 0 ? ["lr", "momentum"] : ["lr"]),
  hostScalars: (c, { lr, momentum }): Record<string, number> => (c.momentum !== 0 ? { lr, momentum: momentum ?? c.momentum } : { lr }),
  update(ctx, c): UpdateResult {
    const { b } = ctx;
    const g = withWeightDecay(ctx, c.weight_decay);
    const slots: Record<string, number> = {};
    slots.square_avg = blend(b, c.alpha, ctx.slot("square_avg"), 1 - c.alpha, b.binary("mul", g, g));
    let variance = slots.square_avg;
    if (c.centered) {
      slots.grad_avg = blend(b, c.alpha, ctx.slot("grad_avg"), 1 - c.alpha, g);
      variance = b.binary("sub", variance, b.binary("mul", slots.grad_avg, slots.grad_avg));
    }
    const avg = b.binary("add", b.unary("sqrt", variance), b.constant(c.eps));
    const lr = ctx.scalar("lr");
    if (c.momentum === 0) return { param: b.binary("sub", ctx.param, b.binary("div", b.binary("mul", g, lr), avg)), slots };
    slots.momentum_buffer = b.binary("add", b.binary("mul", ctx.slot("momentum_buffer"), ctx.scalar("momentum")), b.binary("div", g, avg));
    return { param: b.binary("sub", ctx.param, b.binary("mul", slots.momentum_buffer, lr)), slots };
  },
};

// Adam and AdamW (torch.optim.Adam, AdamW), in PyTorch's arrangement:
//   AdamW: θ ← θ·(1 − lr·λ) first;  Adam: g ← g + λθ;
//   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;  amsgrad: v̂ ← max(v̂, v), used for v;
//   θ ← θ − step_size·m / (√v / bc2_sqrt + eps),  step_size = lr/(1 − β1ᵗ), bc2_sqrt = √(1 − β2ᵗ).
// β1 is a scalar so a schedule can cycle it (PyTorch's OneCycleLR and CyclicLR cycle betas[0]).
const adam: OptimizerRule<Extract<FirstOrderConfig, { kind: "adam" | "adamw" }>> = {
  slots: (c) => [{ name: "exp_avg", init: 0 }, { name: "exp_avg_sq", init: 0 }, ...(c.amsgrad ? [{ name: "max_exp_avg_sq", init: 0 }] : [])],
  scalars: (c) => ["beta1", "one_minus_beta1", "step_size", "bc2_sqrt", ...(c.kind === "adamw" && c.weight_decay !== 0 ? ["shrink"] : [])],
  hostScalars(c, { step, lr, momentum }) {
    const beta1 = momentum ?? c.beta1;
    const scalars: Record<string, number> = {
      beta1,
      one_minus_beta1: 1 - beta1,
      step_size: lr / (1 - beta1 ** step),
      bc2_sqrt: Math.sqrt(1 - c.beta2 ** step),
    };
    if (c.kind === "adamw" && c.weight_decay !== 0) scalars.shrink = 1 - lr * c.weight_decay;
    return scalars;
  },
  update(ctx, c) {
    const { b } = ctx;
    let theta = ctx.param;
    let g = ctx.grad;
    if (c.kind === "adamw") {
      if (c.weight_decay !== 0) theta = b.binary("mul", theta, ctx.scalar("shrink"));
    } else {
      g = withWeightDecay(ctx, c.weight_decay);
    }
    const slots: Record<string, number> = {};
    slots.exp_avg = blend(b, { node: ctx.scalar("beta1") }, ctx.slot("exp_avg"), { node: ctx.scalar("one_minus_beta1") }, g);
    slots.exp_avg_sq = blend(b, c.beta2, ctx.slot("exp_avg_sq"), 1 - c.beta2, b.binary("mul", g, g));
    let v = slots.exp_avg_sq;
    if (c.amsgrad) v = slots.max_exp_avg_sq = b.binary("maximum", ctx.slot("max_exp_avg_sq"), v);
    const denom = b.binary("add", b.binary("div", b.unary("sqrt", v), ctx.scalar("bc2_sqrt")), b.constant(c.eps));
    const param = b.binary("sub", theta, b.binary("div", b.binary("mul", slots.exp_avg, ctx.scalar("step_size")), denom));
    return { param, slots };
  },
};

export const OPTIMIZER_RULES: { [K in FirstOrderConfig["kind"]]: OptimizerRule<Extract<FirstOrderConfig, { kind: K }>> } = {
  sgd,
  adagrad,
  rmsprop,
  adam,
  adamw: adam,
};

export function optimizerRule<C extends FirstOrderConfig>(config: C): OptimizerRule<C> {
  return OPTIMIZER_RULES[config.kind] as unknown as OptimizerRule<C>;
}
