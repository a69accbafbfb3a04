// `--space KEY=DISTRIBUTION(ARGS)`: what each distribution reads, and every mistake located in the
// typed text, printed as nnc prints a --set's diagnostics.

import { describe, expect, it } from "vitest";
import { formatDiagnostics } from "../../compiler/diagnostics/print.ts";
import { parseSpace } from "../../cli/sweep/space.ts";

function printed(typed: string): string {
  const { diagnostics } = parseSpace(1, typed);
  return formatDiagnostics(diagnostics, new Map([["--space #1", typed]]), { color: false });
}

describe("--space", () => {
  it("reads ranges, whole-number ranges and choices", () => {
    expect(parseSpace(1, "lr=loguniform(1e-4, 1)").entry).toMatchObject({ key: "lr", equals: 2, distribution: { kind: "loguniform", low: 1e-4, high: 1 } });
    expect(parseSpace(2, " momentum = uniform( 0.5 ,0.99 ) ").entry).toMatchObject({ option: "--space #2", key: "momentum", distribution: { kind: "uniform", low: 0.5, high: 0.99 } });
    expect(parseSpace(1, "epochs=int(2, 10)").entry?.distribution).toEqual({ kind: "int", low: 2, high: 10 });
    expect(parseSpace(1, "batch=logint(8, 512)").entry?.distribution).toEqual({ kind: "logint", low: 8, high: 512 });
    expect(parseSpace(1, "optimizer.lr=loguniform(1e-4, 1)").entry?.key).toBe("optimizer.lr");
    const choice = parseSpace(1, "optimizer=choice(sgd(lr: 0.1, momentum: 0.9), adam(lr: 1e-3), adamw)").entry!;
    expect(choice.distribution).toEqual({ kind: "choice", values: ["sgd(lr: 0.1, momentum: 0.9)", "adam(lr: 1e-3)", "adamw"] });
    // Where each value was typed, for its diagnostics.
    expect(choice.args.map((a) => choice.typed.slice(a.start, a.end))).toEqual(["sgd(lr: 0.1, momentum: 0.9)", "adam(lr: 1e-3)", "adamw"]);
  });

  // Each mistake, and what nnc prints for it.
  const mistakes: [string, string][] = [
    ["lr loguniform(1e-4, 1)", "--space #1:1:1: error[space-syntax]: a --space is KEY=DISTRIBUTION(ARGUMENTS)"],
    ["=uniform(0, 1)", "--space #1:1:1: error[space-syntax]: a --space is KEY=DISTRIBUTION(ARGUMENTS)"],
    ["lr=", "--space #1:1:4: error[space-syntax]: expected a distribution after `=`"],
    ["lr=logunifrom(1e-4, 1)", "--space #1:1:4: error[space-distribution]: unknown distribution `logunifrom`\n1 | lr=logunifrom(1e-4, 1)\n  |    ^^^^^^^^^^\n  = hint: did you mean `loguniform`?"],
    ["lr=normal(0, 1)", "--space #1:1:4: error[space-distribution]: unknown distribution `normal`"],
    ["lr=uniform 0, 1", "--space #1:1:12: error[space-syntax]: expected `(` after `uniform`"],
    ["lr=uniform(0, 1", "--space #1:1:11: error[space-syntax]: this `(` is never closed"],
    ["lr=uniform(0, 1) * 2", "--space #1:1:18: error[space-syntax]: unexpected text after the distribution"],
    ["lr=uniform(0)", "--space #1:1:11: error[space-arguments]: `uniform` takes two numbers, its low and high bounds, but got 1"],
    ["lr=uniform(0, 1, 2)", "--space #1:1:11: error[space-arguments]: `uniform` takes two numbers, its low and high bounds, but got 3"],
    ["lr=uniform(0, big)", "--space #1:1:15: error[space-arguments]: the high bound of `uniform` must be a number, but got `big`\n1 | lr=uniform(0, big)\n  |               ^^^"],
    ["lr=uniform(1, 0.5)", "--space #1:1:12: error[space-range]: the low bound must be below the high bound, but 1 ≥ 0.5"],
    ["lr=loguniform(0, 1)", "--space #1:1:15: error[space-range]: `loguniform` is uniform in the logarithm, so its bounds must be > 0, but the low bound is 0"],
    ["batch=logint(-8, 64)", "--space #1:1:14: error[space-range]: `logint` is uniform in the logarithm"],
    ["epochs=int(1.5, 10)", "--space #1:1:12: error[space-range]: `int` draws whole numbers, so its bounds are whole numbers, but got 1.5"],
    ["batch=choice(64)", "--space #1:1:13: error[space-arguments]: `choice` needs at least two values, but got 1"],
    ["batch=choice(16, , 64)", "--space #1:1:18: error[space-arguments]: an empty value"],
    ["batch=choice(16, 64, 16)", "--space #1:1:22: error[space-arguments]: `16` is given twice"],
  ];
  for (const [typed, expected] of mistakes) {
    it(`refuses \`${typed}\`, located`, () => {
      expect(parseSpace(1, typed).entry).toBeNull();
      expect(printed(typed)).toContain(expected);
      expect(printed(typed)).toMatch(/\n1 error\n$/);
    });
  }
});
