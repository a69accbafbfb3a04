// `nnc run` on the terminal and in pipes: one table row per epoch whatever the output is, integer
// options checked like the same settings in a file, and Ctrl-C that stops the run between steps,
// restores the terminal (cursor shown, line wrap on), says where the last checkpoint is and exits
// with 130.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../runtime/train/checkpoint.ts";

const NNC = resolve("bin/nnc.js");
const scratch = mkdtempSync(join(tmpdir(), "nnc-terminal-"));

function nnc(...args: string[]) {
  const result = spawnSync(process.execPath, [NNC, ...args], { encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// A run long enough to interrupt: many epochs of a small synthetic set.
const LONG_RUN = `
model moons_mlp {
  input  x: [B, 2]
  target y: class[B] of 2
  h = dense(x, 16) |> tanh
  logits = dense(h, 2)
  loss cross_entropy(logits, y)
}

train moons_mlp {
  data      moons(n: 400, noise: 0.1, seed: 1)
  batch     8
  epochs    100000
  optimizer sgd(lr: 0.05)
}
`;

// Spawns `command`, waits until its output matches `ready`, then calls `poke` and collects the
// rest until the process exits.
function runUntil(command: string, args: string[], ready: RegExp, poke: (child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let poked = false;
    const check = () => {
      if (!poked && ready.test(stdout + stderr)) {
        poked = true;
        poke(child);
      }
    };
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      check();
    });
    child.stderr!.on("data", (chunk) => {
      stderr += chunk;
      check();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`timed out; output so far:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe("nnc run output", () => {
  it("prints one table row per epoch when the output is piped", () => {
    const { code, stdout } = nnc("run", "examples/softmax_regression.nn", "--epochs", "21");
    expect(code).toBe(0);
    const rows = stdout.split("\n").filter((line) => /^\s+\d+\/21\s/.test(line));
    expect(rows.map((row) => Number(row.trim().split("/")[0]))).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it("checks --seed against the same range as `seed` in a file, and integers for precision", () => {
    for (const [option, value, message] of [
      ["--seed", "4294967296", "--seed needs a whole number from 0 to 4294967295, but got `4294967296`"],
      ["--seed", "-1", "--seed needs a whole number from 0 to 4294967295"],
      // Number() reads both as numbers (16 and 0); a seed in a file could not be written so.
      ["--seed", "0x10", "--seed needs a whole number from 0 to 4294967295, but got `0x10`"],
      ["--seed", "", "--seed needs a whole number from 0 to 4294967295, but got ``"],
      ["--epochs", "9007199254740993", "--epochs needs a whole number ≥ 1"],
      ["--batch", "2.5", "--batch needs a whole number ≥ 1"],
    ]) {
      const { code, stderr } = nnc("run", "examples/softmax_regression.nn", `${option}=${value}`);
      expect(code, `${option} ${value}`).toBe(1);
      expect(stderr, `${option} ${value}`).toContain(message);
    }
  });
});

describe("Ctrl-C during nnc run", () => {
  const file = join(scratch, "long.nn");
  writeFileSync(file, LONG_RUN);

  it("stops between steps, names the last checkpoint and exits with 130", async () => {
    const checkpoint = join(scratch, "long.safetensors");
    const { code, stderr } = await runUntil(process.execPath, [NNC, "run", file, "--save", checkpoint], /\n\s+3\/100000 /, (child) => child.kill("SIGINT"));
    expect(code).toBe(130);
    const match = /nnc run: interrupted \(SIGINT\); the last checkpoint is (\S+) \(epoch (\d+)\)/.exec(stderr);
    expect(match, stderr).not.toBeNull();
    expect(match![1]).toBe(checkpoint);
    expect(loadCheckpoint(checkpoint).progress.epoch).toBe(Number(match![2]));
    expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  // `script` (util-linux) runs the command on a pseudo-terminal, so the progress bar is drawn and
  // Ctrl-C is the byte \x03 typed at that terminal.
  const hasScript = spawnSync("script", ["--version"]).status === 0;
  it.skipIf(!hasScript)("on a terminal, shows the cursor and turns line wrap back on", async () => {
    const command = `${process.execPath} ${NNC} run ${file}`;
    const { stdout } = await runUntil("script", ["-qfec", command, "/dev/null"], /epoch 2 \[/, (child) => child.stdin!.write("\x03"));
    const hidden = stdout.indexOf("\x1b[?25l");
    expect(hidden).toBeGreaterThanOrEqual(0);
    expect(stdout.lastIndexOf("\x1b[?25h")).toBeGreaterThan(hidden);
    expect(stdout.lastIndexOf("\x1b[?7h")).toBeGreaterThan(stdout.indexOf("\x1b[?7l"));
    expect(stdout).toContain("interrupted (SIGINT); no checkpoint was written");
  });
});
