// `nnc sweep` end to end on small data, its trials real `nnc run` processes: two rounds, the
// ranked table, the best trial as a train block (the same run as `nnc run` with its settings), the
// report with each round's box, the journal (a second run trains nothing; Ctrl-C and a resume lose
// nothing), a diverging trial, and the mistakes: a bad --space located in its text, a value that
// does not check, a journal of another file or of a changed one.

import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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

function lines(path: string): string[] {
  return readFileSync(path, "utf8").trim().split("\n");
}

const scratch = mkdtempSync(join(tmpdir(), "nnc-sweep-"));
const SOURCE = `model mlp {
  input x: [B, 2]
  target y: class[B] of 2
  h = dense(x, 8) |> relu
  logits = dense(h, 2)
  loss cross_entropy(logits, y)
}

train mlp {
  data      moons(n: 120, noise: 0.3, seed: 1)
  split     validation: 0.25
  batch     16
  epochs    3
  optimizer sgd(lr: 0.1, momentum: 0.5)
  seed      1
}
`;
const FILE = join(scratch, "mlp.nn");
writeFileSync(FILE, SOURCE);
const SPACE = ["--space", "lr=loguniform(1e-3, 1)", "--space", "batch=choice(8, full)"];
const at = (name: string) => ["--report", join(scratch, `${name}.html`)];

describe("nnc sweep", () => {
  it("searches two rounds, ranks the trials, prints the best as a train block and reports the boxes", () => {
    const result = nnc("sweep", FILE, ...SPACE, "--trials", "3", "--rounds", "2", "--parallel", "2", ...at("two"), "--json");
    expect(result.code, result.stderr).toBe(0);
    const out = json(result.stdout);
    expect(out).toMatchObject({ model: "mlp", metric: "val_loss", direction: "min", journal: join(scratch, "two.jsonl") });
    expect(out.trials).toHaveLength(6);
    const metrics = out.trials.map((t: { metric: number }) => t.metric);
    expect(metrics).toEqual([...metrics].sort((a, b) => a - b));
    expect(out.rounds[0].box).toEqual({ lr: [0.001, 1], batch: ["8", "full"] });
    // Round 2's box lies inside the space, around the best trials of round 1.
    const [low, high] = out.rounds[1].box.lr;
    expect(low).toBeGreaterThanOrEqual(0.001);
    expect(high).toBeLessThanOrEqual(1);
    for (const trial of out.trials.filter((t: { round: number }) => t.round === 2)) {
      expect(trial.values.lr).toBeGreaterThanOrEqual(low);
      expect(trial.values.lr).toBeLessThanOrEqual(high);
    }
    // The best trial as a block to paste: the file's block with the sweep's settings in place.
    const best = out.best;
    expect(best.train_block).toContain(`  optimizer sgd(lr: ${best.values.lr}, momentum: 0.5)\n`);
    expect(best.train_block).toContain(`  batch     ${best.values.batch}\n`);
    expect(result.stderr).toContain(`best: trial ${best.round}.${best.trial}, val_loss `);
    // A trial is the run `nnc run` makes with its settings.
    const alone = json(nnc("run", FILE, "--set", `batch=${best.values.batch}`, "--set", `optimizer=sgd(lr: ${best.values.lr}, momentum: 0.5)`, "--json").stdout);
    expect(alone.validation.loss).toBe(best.metric);
    // The journal: the sweep's identity, then one line per trial.
    const journal = lines(join(scratch, "two.jsonl"));
    expect(JSON.parse(journal[0]!)).toMatchObject({ kind: "sweep", format: "nnc-sweep-1", file: FILE, space: ["lr=loguniform(1e-3, 1)", "batch=choice(8, full)"], trials: 3, rounds: 2 });
    expect(journal).toHaveLength(7);
    // The report: a scatter per key, the lr axis logarithmic with a band per round, and the trials in order.
    const lr = readFileSync(join(scratch, "two.val_loss-lr.svg"), "utf8");
    expect(lr).toContain('data-x-scale="log"');
    expect(lr.match(/<g class="band"/g)).toHaveLength(2);
    expect(existsSync(join(scratch, "two.val_loss-batch.svg"))).toBe(true);
    expect(readFileSync(join(scratch, "two.val_loss-trials.csv"), "utf8")).toMatch(/^series,trial,val_loss,label\n/);

    // Run again: every trial is in the journal, so nothing trains and the result is the same.
    const again = nnc("sweep", FILE, ...SPACE, "--trials", "3", "--rounds", "2", "--parallel", "2", ...at("two"), "--json");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("resuming: 6 trial results already in it");
    expect(again.stderr).not.toMatch(/trial \d\.\d: lr=/);
    expect(json(again.stdout).best).toEqual(best);
  });

  it("keeps a diverging trial as a result, ranked after the others", () => {
    const result = nnc("sweep", FILE, "--space", "lr=choice(0.05, 1e30)", "--trials", "4", "--seed", "2", ...at("nan"), "--json");
    expect(result.code, result.stderr).toBe(0);
    const trials = json(result.stdout).trials;
    const diverged = trials.filter((t: { status: string }) => t.status === "diverged");
    expect(diverged.length).toBeGreaterThan(0);
    expect(diverged[0].error).toMatch(/^the (loss|weights) became/);
    expect(trials.at(-1).status).toBe("diverged");
  });

  it("stops on Ctrl-C without recording the trials it stops, and resumes where it stopped", async () => {
    const journal = join(scratch, "stop.jsonl");
    const args = ["bin/nnc.js", "sweep", FILE, ...SPACE, "--trials", "6", "--parallel", "1", ...at("stop")];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    for (let waited = 0; !(existsSync(journal) && lines(journal).length >= 2) && waited < 100_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("nnc sweep: interrupted;");
    const kept = lines(journal).length - 1;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(6);
    const resumed = nnc(...args.slice(1), "--resume");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`resuming: ${kept} trial result`);
    expect(resumed.stdout.match(/^ {2}trial 1\.\d: /gm)).toHaveLength(6 - kept);
    expect(lines(journal)).toHaveLength(7);
  });

  it("locates a bad --space in its text, and a value that does not check at the value", () => {
    const bad = nnc("sweep", FILE, "--space", "lr=loguniform(0, 1)");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      "--space #1:1:15: error[space-range]: `loguniform` is uniform in the logarithm, so its bounds must be > 0, but the low bound is 0\n1 | lr=loguniform(0, 1)\n  |               ^\n  = hint: use uniform(…) for a range that reaches 0\n\n1 error\n",
    );
    const key = nnc("sweep", FILE, "--space", "lr=loguniform(1e-3, 1)", "--space", "beta=uniform(0.1, 0.9)");
    expect(key.code).toBe(1);
    expect(key.stderr).toMatch(/^--space #2:1:1: error\[space-key\]: `beta` is neither a train setting nor an argument of the run's optimizer/);
    const range = nnc("sweep", FILE, "--space", "momentum=uniform(0.5, 1)");
    expect(range.code).toBe(1);
    expect(range.stderr).toContain("--space #1:1:23: error[E0406]: `momentum` must be ≥ 0 and < 1, but it is 1\n1 | momentum=uniform(0.5, 1)\n  |                       ^\n--space #1: note: checked as `--set optimizer=sgd(lr: 0.1, momentum: 1)`");
    const choice = nnc("sweep", FILE, "--space", "schedule=choice(constant, cosine(to: -1))");
    expect(choice.code).toBe(1);
    expect(choice.stderr).toMatch(/^--space #1:1:38: error\[E0406\]/);
  });

  it("refuses a journal of another file, of the file changed, or of another space", () => {
    const journal = join(scratch, "shared.jsonl");
    const first = nnc("sweep", FILE, "--space", "lr=choice(0.05, 0.1)", "--trials", "1", "--journal", journal, ...at("shared"));
    expect(first.code, first.stderr).toBe(0);
    const other = join(scratch, "other.nn");
    writeFileSync(other, SOURCE.replace("seed      1", "seed      2"));
    const refused = nnc("sweep", other, "--space", "lr=choice(0.05, 0.1)", "--trials", "1", "--journal", journal, ...at("shared"));
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `nnc sweep: the journal ${journal} belongs to another sweep: it is a sweep of ${FILE}, not of ${other} (their SHA-256 differ). Its trials cannot be mixed with this sweep's; give another --journal, or remove ${journal} to start over`,
    );
    const space = nnc("sweep", FILE, "--space", "lr=choice(0.05, 0.2)", "--trials", "1", "--journal", journal, ...at("shared"));
    expect(space.stderr).toContain("the --space options `lr=choice(0.05, 0.1)` there, `lr=choice(0.05, 0.2)` here");
    appendFileSync(FILE, "\n# edited\n");
    try {
      const changed = nnc("sweep", FILE, "--space", "lr=choice(0.05, 0.1)", "--trials", "1", "--journal", journal, ...at("shared"));
      expect(changed.stderr).toContain(`${FILE} has changed since the journal was started (its SHA-256 differs)`);
    } finally {
      writeFileSync(FILE, SOURCE);
    }
    expect(lines(journal)).toHaveLength(2);
  });

  it("refuses options it cannot use", () => {
    expect(nnc("sweep", FILE).stderr).toContain("nnc sweep: what to search? give one --space KEY=DISTRIBUTION(…) per key");
    expect(nnc("sweep", FILE, ...SPACE, "--metric", "val_acc").stderr).toContain("nnc sweep: unknown --metric `val_acc`; choose one of `train_loss`");
    expect(nnc("sweep", FILE, ...SPACE, "--metric", "test_loss").stderr).toContain("nnc sweep: --metric test_loss needs a test split, and the train block holds none out");
    expect(nnc("sweep", FILE, ...SPACE, "--set", "split=test: 0.2", "--metric", "val_loss").stderr).toContain("--metric val_loss needs a validation split");
    expect(nnc("sweep", FILE, ...SPACE, "--trials", "0").stderr).toContain("nnc sweep: --trials needs a whole number from 1 to 10000, but got `0`");
    expect(nnc("sweep", FILE, "--space", "epochs=int(1, 4)", "--halving").stderr).toContain("nnc sweep: --halving chooses each trial's epochs");
    expect(nnc("sweep", FILE, ...SPACE, "--halving", "--trials", "1").stderr).toContain("nnc sweep: --halving needs at least 2 trials per round and 2 epochs to halve");
    expect(nnc("sweep", FILE, ...SPACE, "--resume", "--journal", join(scratch, "none.jsonl")).stderr).toContain("--resume: there is no journal at");
    const help = nnc("sweep", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: nnc sweep FILE --space KEY=DISTRIBUTION(...)");
  });
});
