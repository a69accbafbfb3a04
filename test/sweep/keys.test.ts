// What a --space key means against a train block (a setting, an optimizer's or schedule's argument,
// a path), the settings a trial's values become, the checks of every value by the compiler before
// any trial runs (located in the --space text), and the best trial's train block.

import { describe, expect, it } from "vitest";
import { parse } from "../../grammar/index.ts";
import type { TrainDecl } from "../../grammar/ast.ts";
import { setOverride } from "../../compiler/analyze/overrides.ts";
import { formatDiagnostics } from "../../compiler/diagnostics/print.ts";
import { bestTrainBlock } from "../../cli/sweep/best-block.ts";
import { checkSpaceValues } from "../../cli/sweep/check.ts";
import { checkDistinct, effectiveSettings, resolveKey, trialSettings, type Dimension } from "../../cli/sweep/keys.ts";
import { parseSpace } from "../../cli/sweep/space.ts";

const SOURCE = `model m {
  input x: [B, 2]
  target y: class[B] of 2
  h = dense(x, 8) |> relu
  logits = dense(h, 2)
  loss cross_entropy(logits, y)
}

train m {
  data      moons(n: 100, seed: 1)
  split     validation: 0.2
  batch     16
  epochs    3
  optimizer sgd(0.1, nesterov: true, momentum: 0.9)
  schedule  step(size: 2)
  seed      1
}
`;
const decl = parse(SOURCE, "m.nn").program.body.find((d): d is TrainDecl => d.type === "TrainDecl")!;

function dimensions(spaces: string[], sets: string[] = []) {
  const overrides = sets.map((s, i) => setOverride(i + 1, s)!);
  const settings = effectiveSettings(SOURCE, decl, overrides);
  const resolved = spaces.map((typed, i) => resolveKey(parseSpace(i + 1, typed).entry!, settings));
  const sources = new Map([["m.nn", SOURCE], ...spaces.map((s, i) => [`--space #${i + 1}`, s] as [string, string])]);
  const printed = formatDiagnostics(
    resolved.flatMap((r) => r.diagnostics),
    sources,
    { color: false },
  );
  return { settings, overrides, dims: resolved.map((r) => r.dimension), printed, sources };
}

describe("--space keys", () => {
  it("reads a setting, an argument of the optimizer or schedule, and a path", () => {
    const { dims } = dimensions(["batch=choice(8, full)", "lr=loguniform(1e-3, 1)", "gamma=uniform(0.1, 0.9)", "optimizer.momentum=uniform(0.5, 0.95)", "schedule.step_size=int(1, 3)"]);
    expect(dims.map((d) => d!.target)).toEqual([
      { kind: "setting", setting: "batch" },
      { kind: "argument", setting: "optimizer", argument: "lr" },
      { kind: "argument", setting: "schedule", argument: "gamma" },
      { kind: "argument", setting: "optimizer", argument: "momentum" },
      // PyTorch's name is an alias of nnc's.
      { kind: "argument", setting: "schedule", argument: "size" },
    ]);
  });

  it("writes a trial's values into the calls, every argument by name, others as written", () => {
    const { dims, settings } = dimensions(["lr=loguniform(1e-3, 1)", "momentum=uniform(0.5, 0.95)", "batch=choice(8, full)", "gamma=uniform(0.1, 0.9)"]);
    const values = trialSettings(dims as Dimension[], [0.00316, 0.7, "full", 0.5], settings);
    expect([...values]).toEqual([
      ["batch", "full"],
      ["optimizer", "sgd(lr: 0.00316, nesterov: true, momentum: 0.7)"],
      ["schedule", "step(size: 2, gamma: 0.5)"],
    ]);
  });

  it("starts from a --set's call when the command line replaces the block's", () => {
    const { dims, settings } = dimensions(["lr=loguniform(1e-4, 1e-2)"], ["optimizer=adam(lr: 3e-3, eps: 1e-6)"]);
    expect(trialSettings(dims as Dimension[], [0.001], settings).get("optimizer")).toBe("adam(lr: 0.001, eps: 1e-6)");
  });

  const mistakes: [string[], string][] = [
    [["betas=uniform(0.1, 0.2)"], "--space #1:1:1: error[space-key]: `betas` is neither a train setting nor an argument of the run's optimizer, schedule"],
    [["optimizer.betas=uniform(0.1, 0.2)"], "--space #1:1:1: error[space-key]: `sgd` has no argument `betas`"],
    [["data.n=int(50, 100)"], "error[space-key]: a sweep cannot vary `data`"],
    [["split=choice(validation: 0.1, validation: 0.3)"], "error[space-key]: a sweep cannot vary `split`"],
    [["seed=int(1, 5)"], "error[space-key]: a sweep cannot vary `seed`"],
    [["stop.patience=int(1, 5)"], "error[space-key]: `stop.patience`: there is no `stop` call to change: the train block has none"],
    [["schedule=uniform(0, 1)"], "--space #1:1:10: error[space-key]: `schedule` takes a call or a name, not a number to draw"],
    [["epochs=loguniform(1, 10)"], "error[space-key]: `epochs` takes whole numbers, but `loguniform` draws real ones"],
    [["nesterov=uniform(0, 1)"], "error[space-key]: `sgd`'s `nesterov` is not a number"],
    [["size=uniform(1, 4)"], "error[space-key]: `step`'s `size` is a whole number, but `uniform` draws real ones"],
    [["foo.lr=uniform(0, 1)"], "error[space-key]: `foo.lr`: only the arguments of `optimizer`, `schedule`, `stop`, `clip` can be swept by path"],
  ];
  for (const [spaces, expected] of mistakes) {
    it(`refuses ${spaces.join(" ")}`, () => {
      const { dims, printed } = dimensions(spaces);
      expect(dims[0]).toBeNull();
      expect(printed).toContain(expected);
    });
  }

  it("refuses a key swept twice, or a setting and one of its arguments", () => {
    const check = (spaces: string[]) => {
      const { dims, sources } = dimensions(spaces);
      return formatDiagnostics(checkDistinct(dims as Dimension[]), sources, { color: false });
    };
    expect(check(["lr=uniform(0.1, 1)", "optimizer.lr=uniform(0.1, 1)"])).toContain("--space #2:1:1: error[space-key]: --space #1 already sweeps `optimizer.lr`");
    expect(check(["optimizer=choice(adam(), sgd(lr: 0.1))", "lr=uniform(0.1, 1)"])).toContain("--space #1 already sweeps `optimizer`\n1 | lr=uniform(0.1, 1)\n  | ^^\n--space #1:1:1: note: swept here");
    expect(check(["lr=uniform(0.1, 1)", "momentum=uniform(0.5, 0.9)"])).toBe("");
  });
});

describe("checking every value before a trial runs", () => {
  const checked = (spaces: string[]) => {
    const { dims, settings, overrides, sources } = dimensions(spaces);
    const diagnostics = checkSpaceValues({ file: "m.nn", text: SOURCE, train: undefined, budget: {} }, overrides, dims as Dimension[], settings);
    return formatDiagnostics(diagnostics, sources, { color: false });
  };

  it("passes a space whose bounds and choices all check", () => {
    expect(checked(["lr=loguniform(1e-4, 1)", "momentum=uniform(0.5, 0.99)", "batch=choice(1, 32, full)", "schedule=choice(constant, cosine(to: 0))"])).toBe("");
  });

  it("puts a bound's error on the bound, with the call it was checked in", () => {
    expect(checked(["momentum=uniform(0, 1.5)"])).toBe(
      [
        "--space #1:1:18: error[E0612]: Nesterov momentum needs `momentum` > 0 and `dampening` 0, but momentum is 0 and dampening 0",
        "1 | momentum=uniform(0, 1.5)",
        "  |                  ^",
        "--space #1: note: checked as `--set optimizer=sgd(lr: 0.1, nesterov: true, momentum: 0)`",
        "  = hint: for example `sgd(lr: 0.1, momentum: 0.9, nesterov: true)`",
        "",
        "--space #1:1:21: error[E0406]: `momentum` must be ≥ 0 and < 1, but it is 1.5",
        "1 | momentum=uniform(0, 1.5)",
        "  |                     ^^^",
        "--space #1: note: checked as `--set optimizer=sgd(lr: 0.1, nesterov: true, momentum: 1.5)`",
        "",
        "2 errors",
        "",
      ].join("\n"),
    );
  });

  it("checks a whole setting's choice in place, where it was typed", () => {
    expect(checked(["schedule=choice(constant, cosine(to: -1))"])).toContain("--space #1:1:38: error[E0406]");
    expect(checked(["batch=choice(16, 0)"])).toContain("--space #1:1:18: error[E0605]: `batch` expects a positive whole number or `full`, but got the number 0");
  });
});

describe("the best trial's train block", () => {
  it("is the file's block with the settings replaced in place, new ones last, formatted", async () => {
    const block = await bestTrainBlock(SOURCE, "m.nn", decl, new Map([["optimizer", "sgd(lr: 0.05, nesterov: true, momentum: 0.8)"], ["batch", "full"], ["clip", "norm(1)"], ["regularize", "l2(1e-4)"]]));
    expect(block).toBe(
      [
        "# and in model m, in place of its regularize statements: regularize l2(1e-4)",
        "train m {",
        "  data      moons(n: 100, seed: 1)",
        "  split     validation: 0.2",
        "  batch     full",
        "  epochs    3",
        "  optimizer sgd(lr: 0.05, nesterov: true, momentum: 0.8)",
        "  schedule  step(size: 2)",
        "  seed      1",
        "  clip      norm(1)",
        "}",
        "",
      ].join("\n"),
    );
  });
});
