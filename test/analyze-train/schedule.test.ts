import { describe, expect, it } from "vitest";
import { analyze, call, kw, setting, seq, type Value } from "./build.ts";

const schedule = (value: Value, ...more: ReturnType<typeof setting>[]) => analyze([setting("schedule", value), ...more]);
const validation = setting("split", kw("validation", 0.1));

describe("schedules", () => {
  it("fills in each schedule's defaults", () => {
    const cases: [Value, object][] = [
      ["constant", { kind: "constant", every: "epoch" }],
      [call("step", 10), { kind: "step", step_size: 10, gamma: 0.1, every: "epoch" }],
      [call("step", kw("step_size", 3), kw("every", "step")), { kind: "step", step_size: 3, gamma: 0.1, every: "step" }],
      [call("multistep", [3, 6]), { kind: "multistep", milestones: [3, 6], gamma: 0.1, every: "epoch" }],
      [call("exponential", 0.9), { kind: "exponential", gamma: 0.9, every: "epoch" }],
      [call("inverse_time", 0.5), { kind: "inverse_time", decay: 0.5, every: "epoch" }],
      ["polynomial", { kind: "polynomial", total: null, power: 1, every: "epoch" }],
      ["cosine", { kind: "cosine", t_max: null, eta_min: 0, every: "epoch" }],
      [call("cosine", kw("eta_min", 1e-5), kw("T_max", 20)), { kind: "cosine", t_max: 20, eta_min: 1e-5, every: "epoch" }],
      ["warmup", { kind: "warmup", total_iters: 5, start_factor: 1 / 3, end_factor: 1, every: "step" }],
      [call("cyclic", kw("low", 0.001), kw("high", 0.1)), { kind: "cyclic", base_lr: 0.001, max_lr: 0.1, step_size_up: 2000, step_size_down: 2000, mode: "triangular", gamma: 1, cycle_momentum: true, base_momentum: 0.8, max_momentum: 0.9, every: "step" }],
      [
        call("onecycle", kw("max_lr", 0.1)),
        { kind: "onecycle", max_lr: 0.1, total_steps: null, pct_start: 0.3, anneal_strategy: "cos", div_factor: 25, final_div_factor: 1e4, three_phase: false, every: "step" },
      ],
    ];
    for (const [value, expected] of cases) {
      const { config, codes } = schedule(value);
      expect(codes).toEqual([]);
      expect(config?.schedule).toEqual(expected);
    }
  });

  it("reads plateau with its metric and mode", () => {
    expect(schedule("plateau", validation).config?.schedule).toEqual({
      kind: "plateau",
      metric: "val_loss",
      mode: "min",
      factor: 0.1,
      patience: 10,
      threshold: 1e-4,
      threshold_mode: "rel",
      cooldown: 0,
      min_lr: 0,
      every: "epoch",
    });
    expect(schedule(call("plateau", kw("on", "val_accuracy")), validation).config?.schedule).toMatchObject({ mode: "max" });
  });

  it("requires a validation split for plateau on a val_ metric", () => {
    const { codes, bag } = schedule("plateau");
    expect(codes).toEqual(["E0611"]);
    expect(bag.items[0]!.hint).toContain("split validation: 0.1");
    expect(schedule(call("plateau", kw("on", "train_loss"))).codes).toEqual([]);
  });

  it("composes a sequence with cumulative milestones in one unit", () => {
    const { config, codes } = schedule(seq(call("warmup", kw("steps", 200)), call("cosine", kw("to", 1e-5))));
    expect(codes).toEqual([]);
    expect(config?.schedule).toEqual({
      kind: "sequence",
      parts: [
        { kind: "warmup", total_iters: 200, start_factor: 1 / 3, end_factor: 1, every: "step" },
        { kind: "cosine", t_max: null, eta_min: 1e-5, every: "step" },
      ],
      milestones: [200],
      every: "step",
    });
    const three = schedule(seq(call("constant", kw("for", 2)), call("step", 1, kw("for", 3)), call("exponential", 0.9)));
    expect(three.codes).toEqual([]);
    expect(three.config?.schedule).toMatchObject({ milestones: [2, 5], every: "epoch" });
  });

  it("lets an explicit unit anywhere set the sequence's unit", () => {
    const { config } = schedule(seq(call("warmup", kw("steps", 3)), call("cosine", kw("every", "epoch"))));
    expect(config?.schedule).toMatchObject({ every: "epoch", parts: [{ every: "epoch" }, { every: "epoch" }] });
  });

  it("gives a `for` to a part whose length is the rest of the run", () => {
    const { config } = schedule(seq(call("cosine", kw("for", 10)), "constant"));
    expect(config?.schedule).toMatchObject({ parts: [{ kind: "cosine", t_max: 10 }, { kind: "constant" }], milestones: [10] });
  });

  it("needs a length for every part but the last", () => {
    const { codes, bag } = schedule(seq("cosine", "constant"));
    expect(codes).toEqual(["E0607"]);
    expect(bag.items[0]!.hint).toContain("for: 10");
    expect(schedule(seq("constant", call("cosine", kw("for", 3)))).codes).toEqual(["E0609"]);
    expect(schedule(call("cosine", kw("for", 3))).codes).toEqual(["E0609"]);
  });

  it("reports parts that disagree on their unit, pointing at both", () => {
    const first = call("warmup", kw("steps", 3), kw("every", "step"));
    const { codes, bag } = schedule(seq(first, call("cosine", kw("every", "epoch"))));
    expect(codes).toEqual(["E0608"]);
    expect(bag.items[0]!.notes[0]!.span).toEqual(first.span);
    expect(schedule(seq(call("step", 2, kw("for", 4), kw("every", "epoch")), call("cyclic", 0.01, 0.1))).codes).toEqual(["E0608"]);
    // Without its own `every`, a part follows the unit a later part fixes.
    expect(schedule(seq(call("step", 2, kw("for", 4)), call("cyclic", 0.01, 0.1))).config?.schedule).toMatchObject({ every: "step" });
  });

  it("does not chain plateau", () => {
    expect(schedule(seq(call("warmup", 3), "plateau"), validation).codes).toEqual(["E0610"]);
  });

  it("checks arguments that depend on each other", () => {
    expect(schedule(call("multistep", [5, 3])).codes).toEqual(["E0614"]);
    expect(schedule(call("multistep", [3, 3])).codes).toEqual(["E0614"]);
    expect(schedule(call("cyclic", kw("base_lr", 0.1), kw("max_lr", 0.01))).codes).toEqual(["E0615"]);
    expect(schedule(call("onecycle", kw("max_lr", 0.1), kw("pct_start", 1))).codes).toEqual(["E0406"]);
    expect(schedule(call("warmup", kw("from", 0))).codes).toEqual(["E0406"]);
    expect(schedule(call("cyclic", 0.01, 0.1, kw("every", "epoch"))).codes).toEqual(["E0405"]);
    expect(schedule(call("cosine", kw("to", 1), kw("eta_min", 2))).codes).toEqual(["E0404"]);
  });

  it("reports an unknown schedule and a value that is not a call", () => {
    expect(schedule("cosin").bag.items[0]!.hint).toBe("did you mean `cosine`?");
    expect(schedule(3).codes).toEqual(["E0605"]);
  });
});
