// `--set KEY=VALUE` and the options of every command as a user types them: a setting overridden
// changes the run, a wrong one gets the file's own message located in the override's text, and an
// option a command does not have gets nnc's message, not Node's.

import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function nnc(...args: string[]) {
  const result = spawnSync(process.execPath, ["bin/nnc.js", ...args], { encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json(stdout: string) {
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

const IRIS = "examples/softmax_regression.nn";

describe("options a command does not have", () => {
  const commands: [string, string[]][] = [
    ["check", [IRIS]],
    ["fmt", [IRIS]],
    ["compile", [IRIS, "--stats"]],
    ["run", [IRIS]],
    ["eval", [IRIS, "--checkpoint", "x.safetensors"]],
    ["predict", [IRIS, "--checkpoint", "x.safetensors", "--input", "x.csv"]],
    ["export", [IRIS, "--to", "pytorch", "-o", "x.py"]],
    ["ensemble", [IRIS, "--seeds", "2"]],
    ["compare", [IRIS, "--vary", "batch=8,16"]],
    ["sweep", [IRIS, "--space", "lr=loguniform(1e-3, 1)"]],
    ["analyze", [IRIS]],
  ];
  for (const [command, args] of commands) {
    it(`nnc ${command} names the option and its help, in its own words`, () => {
      const { code, stdout, stderr } = nnc(command, ...args, "--frobnicate");
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.trim()).toBe(`nnc ${command}: unknown option --frobnicate; see nnc ${command} --help`);
    });
  }

  it("suggests the option meant", () => {
    expect(nnc("run", IRIS, "--epoch", "3").stderr.trim()).toBe("nnc run: unknown option --epoch (did you mean --epochs?); see nnc run --help");
    expect(nnc("check", IRIS, "--jsn").stderr.trim()).toBe("nnc check: unknown option --jsn (did you mean --json?); see nnc check --help");
    expect(nnc("run", IRIS, "-x").stderr.trim()).toBe("nnc run: unknown option -x; see nnc run --help");
  });

  it("says when an option lacks its value or has one it does not take", () => {
    expect(nnc("run", IRIS, "--seed").stderr.trim()).toBe("nnc run: --seed needs a value; see nnc run --help");
    expect(nnc("eval", IRIS, "--checkpoint", "--json").stderr.trim()).toBe("nnc eval: --checkpoint needs a value, but the next argument is the option --json; see nnc eval --help");
    expect(nnc("run", IRIS, "--json=yes").stderr.trim()).toBe("nnc run: --json takes no value, but got `--json=yes`; see nnc run --help");
  });

  it("reads a value that starts with a dash as the value", () => {
    expect(nnc("run", IRIS, "--seed", "-1").stderr.trim()).toBe("nnc run: --seed needs a whole number from 0 to 4294967295, but got `-1`");
  });
});

describe("nnc run --set", () => {
  it("changes the run: the optimizer, the regularizers, the split, the batch", () => {
    const plain = json(nnc("run", IRIS, "--json", "--epochs", "20").stdout);
    const slow = json(nnc("run", IRIS, "--json", "--epochs", "20", "--set", "optimizer=sgd(lr: 1e-4)").stdout);
    expect(slow.test.loss).toBeGreaterThan(plain.test.loss + 0.3);
    expect(plain.test.reg_loss).toBe(0);
    const penalized = json(nnc("run", IRIS, "--json", "--epochs", "20", "--set", "regularize=l2(1)").stdout);
    expect(penalized.test.reg_loss).toBeGreaterThan(0);
    const split = json(nnc("run", IRIS, "--json", "--epochs", "2", "--set", "split=validation: 0.2, test: 0.4").stdout);
    expect(split.test.examples).toBe(60);
    const lbfgs = json(nnc("run", IRIS, "--json", "--epochs", "5", "--set", "batch=full", "--set", "optimizer=lbfgs()").stdout);
    expect(lbfgs.steps).toBe(5);
    expect(lbfgs.lbfgs.iterations).toBeGreaterThan(0);
  });

  it("prints a setting that does not check with the file's message, located in the override", () => {
    const { code, stderr } = nnc("run", IRIS, "--set", "batch=32", "--set", "optimizer=adam(lr: -1)");
    expect(code).toBe(1);
    expect(stderr).toBe("--set #2:1:20: error[E0406]: `lr` must be > 0, but it is -1\n1 | optimizer=adam(lr: -1)\n  |                    ^^\n\n1 error\n");
  });

  it("refuses an override without `=`, one that does not parse, and an unknown setting", () => {
    expect(nnc("run", IRIS, "--set", "batch").stderr.trim()).toBe(
      "nnc run: --set needs KEY=VALUE, a train block's setting and its value as in `--set batch=32`, but got `batch`",
    );
    const parse = nnc("run", IRIS, "--set", "optimizer=adam(lr: ");
    expect(parse.code).toBe(1);
    expect(parse.stderr).toContain("--set #1:1:20: error[E0105]: expected an expression but found the end of the setting");
    const unknown = nnc("run", IRIS, "--set", "bach=3");
    expect(unknown.stderr).toContain("--set #1:1:1: error[E0601]: unknown training setting `bach`");
    expect(unknown.stderr).toContain("did you mean `batch`?");
  });

  it("makes --epochs a shorthand, so the same setting twice is an error", () => {
    const { code, stderr } = nnc("run", IRIS, "--epochs", "3", "--set", "epochs=4");
    expect(code).toBe(1);
    expect(stderr).toContain("--set #1:1:1: error[E0602]: the setting `epochs` is given twice");
    expect(stderr).toContain("--epochs:1:3: note: first given here");
  });
});

describe("nnc eval --set", () => {
  it("evaluates on the split the overridden settings make", () => {
    const checkpoint = join(mkdtempSync(join(tmpdir(), "nnc-set-")), "iris.safetensors");
    expect(nnc("run", IRIS, "--epochs", "2", "--save", checkpoint).code).toBe(0);
    expect(json(nnc("eval", IRIS, "--checkpoint", checkpoint, "--json").stdout).test.examples).toBe(30);
    expect(json(nnc("eval", IRIS, "--checkpoint", checkpoint, "--json", "--set", "split=test: 0.5").stdout).test.examples).toBe(75);
  });
});
