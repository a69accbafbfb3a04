// `nnc run --log` and `--report` as a user runs them: the history in --json, streamed to a JSON
// lines or CSV log while the run trains (read mid-run and after an interrupted run), the report's
// HTML page with its plots and their data beside it, the final train line that evaluates the final
// weights, and every way a path can be wrong: exit 1, the file and the reason, no stack trace, and
// nothing that was on disk lost.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const NNC = resolve("bin/nnc.js");
const scratch = mkdtempSync(join(tmpdir(), "nnc-outputs-"));

function nnc(...args: string[]) {
  const result = spawnSync(process.execPath, [NNC, ...args], { encoding: "utf8", cwd: scratch });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectRefused(result: ReturnType<typeof nnc>, message: RegExp) {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  // Refused before training: no epoch was run.
  expect(result.stdout).not.toMatch(/^\s+1\/\d+\s/m);
}

const MOONS = (settings: string, data = "moons(n: 200, noise: 0.2, seed: 1)") => `
model moons {
  input  x: [B, 2]
  target y: class[B] of 2
  h = dense(x, 8) |> tanh
  logits = dense(h, 2)
  loss cross_entropy(logits, y)
}

train moons {
  data      ${data}
  split     validation: 0.25
  batch     10
  optimizer sgd(lr: 0.2, momentum: 0.9)
  schedule  warmup(steps: 20) then cosine(to: 1e-3)
  seed      3
${settings}
}
`;

const file = join(scratch, "moons.nn");
writeFileSync(file, MOONS("  epochs 4"));

function jsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("the run's history", () => {
  it("is in --json, and --log FILE.jsonl streams the same records, a run line first and a final line last", () => {
    const log = join(scratch, "moons.jsonl");
    const { code, stdout, stderr } = nnc("run", file, "--json", "--log", log);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout.trim().split("\n").pop()!);
    const { history } = result;
    expect(history).toMatchObject({ format: "nnc-history-1", steps_per_epoch: 15, step_stride: 1 });
    expect(history.epochs).toHaveLength(4);
    expect(history.steps).toHaveLength(60);
    expect(history.events.map((e: { name: string; step: number }) => [e.name, e.step])).toEqual([
      ["warmup", 1],
      ["cosine", 21],
    ]);
    expect(result.train_running.loss).toBe(history.epochs[3].train_loss);

    const lines = jsonLines(log);
    expect(lines[0]).toEqual({ kind: "run", format: "nnc-history-1", epochs: 4, first_epoch: 1, steps_per_epoch: 15, step_stride: 1, columns: history.columns, model: "moons", file, backend: "cpu" });
    expect(lines.at(-1)).toMatchObject({ kind: "final", epochs: 4, steps: 60, train: result.train, train_running: result.train_running, validation: result.validation });
    const records = lines.slice(1, -1);
    expect(records.filter((r) => r.kind === "step")).toEqual(history.steps);
    expect(records.filter((r) => r.kind === "epoch")).toEqual(history.epochs);
    expect(records.filter((r) => r.kind === "event")).toEqual(history.events);
    expect(stderr).toContain(`log: ${log}`);
  });

  it("--log FILE.csv: a header, then one row per step, epoch and event with a kind column", () => {
    const log = join(scratch, "moons.csv");
    const { code, stdout, stderr } = nnc("run", file, "--json", "--log", log);
    expect(code, stderr).toBe(0);
    const { history } = JSON.parse(stdout.trim().split("\n").pop()!);
    const [header, ...rows] = readFileSync(log, "utf8").trim().split("\n");
    const columns = header!.split(",");
    expect(columns).toEqual(["kind", "epoch", "step", "lr", "loss", "seconds", ...history.columns, "event", "name", "best_epoch"]);
    const cells = rows.map((row) => Object.fromEntries(row.split(",").map((cell, i) => [columns[i]!, cell])));
    expect(cells.filter((c) => c.kind === "step")).toHaveLength(60);
    expect(cells.filter((c) => c.kind === "event").map((c) => [c.event, c.name, c.step])).toEqual([
      ["phase", "warmup", "1"],
      ["phase", "cosine", "21"],
    ]);
    const epochs = cells.filter((c) => c.kind === "epoch");
    expect(epochs.map((c) => Number(c.val_loss))).toEqual(history.epochs.map((e: { val_loss: number }) => e.val_loss));
    expect(cells.filter((c) => c.kind === "step").map((c) => Number(c.loss))).toEqual(history.steps.map((s: { loss: number }) => s.loss));
    // A cell a record has no value for is empty.
    expect(epochs[0]!.loss).toBe("");
  });

  it("the final train line is the final weights evaluated on the training split, as `nnc eval --split train` finds", () => {
    const checkpoint = join(scratch, "final.safetensors");
    const run = nnc("run", file, "--json", "--save", checkpoint);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split("\n").pop()!);
    const evaluated = nnc("eval", file, "--checkpoint", checkpoint, "--split", "train", "--json");
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const train = JSON.parse(evaluated.stdout.trim().split("\n").pop()!).train;
    expect(result.train.loss).toBeCloseTo(train.loss, 6);
    expect(result.train.accuracy).toBe(train.accuracy);
    expect(result.train.loss).not.toBe(result.train_running.loss);
    const printed = nnc("run", file);
    expect(printed.stdout).toMatch(new RegExp(`^train\\s+loss ${result.train.loss.toFixed(4)}\\s+accuracy ${(100 * result.train.accuracy).toFixed(2)}%`, "m"));
  });
});

// A run long enough to read its log while it trains, then interrupt it.
const LONG = join(scratch, "long.nn");
writeFileSync(LONG, MOONS("  epochs 100000").replace("schedule  warmup(steps: 20) then cosine(to: 1e-3)", ""));

function interruptedRun(log: string, enough: (text: string) => boolean) {
  return new Promise<{ code: number | null; midRun: string }>((done, fail) => {
    const child = spawn(process.execPath, [NNC, "run", LONG, "--log", log], { cwd: scratch, stdio: "ignore" });
    let midRun = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`timed out; the log so far:\n${existsSync(log) ? readFileSync(log, "utf8") : "(none)"}`));
    }, 60_000);
    const poll = setInterval(() => {
      const text = existsSync(log) ? readFileSync(log, "utf8") : "";
      if (midRun === "" && enough(text)) {
        midRun = text;
        child.kill("SIGINT");
      }
    }, 50);
    child.on("exit", (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      done({ code, midRun });
    });
  });
}

describe("--log while the run trains", () => {
  it("JSON lines: every record is in the file as soon as it is made, and an interrupted run keeps them", async () => {
    const log = join(scratch, "long.jsonl");
    const { code, midRun } = await interruptedRun(log, (text) => (text.match(/"kind":"epoch"/g) ?? []).length >= 2);
    expect(code).toBe(130);
    // Read during training: whole lines, the second epoch's record included, no final line.
    expect(midRun.endsWith("\n")).toBe(true);
    const during = midRun.trim().split("\n").map((line) => JSON.parse(line));
    expect(during[0].kind).toBe("run");
    expect(during.filter((r) => r.kind === "epoch").length).toBeGreaterThanOrEqual(2);
    const after = jsonLines(log);
    expect(after.slice(0, during.length)).toEqual(during);
    expect(after.some((r) => r.kind === "final")).toBe(false);
  });

  it("CSV: the header and the rows are in the file while the run trains, and stay after it is interrupted", async () => {
    const log = join(scratch, "long.csv");
    const { code, midRun } = await interruptedRun(log, (text) => /^epoch,2,/m.test(text));
    expect(code).toBe(130);
    expect(midRun.startsWith("kind,epoch,step,lr,loss,seconds,train_loss,")).toBe(true);
    expect(midRun).toMatch(/^epoch,1,15,/m);
    expect(readFileSync(log, "utf8").startsWith(midRun)).toBe(true);
  });
});

describe("--report", () => {
  it("writes one self-contained HTML page and each plot beside it as SVG and CSV", () => {
    const report = join(scratch, "report", "moons.html");
    const { code, stdout, stderr } = nnc("run", file, "--epochs", "3", "--report", report, "--json");
    expect(code, stderr).toBe(0);
    const { history } = JSON.parse(stdout.trim().split("\n").pop()!);
    expect(readdirSync(join(scratch, "report")).sort()).toEqual(
      ["moons.html", ...["accuracy", "loss", "lr"].flatMap((id) => [`moons.${id}.csv`, `moons.${id}.svg`])].sort(),
    );
    const html = readFileSync(report, "utf8");
    // Nothing to fetch, nothing to run: inline SVG, no script, no address but SVG's namespace.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', "")).not.toMatch(/https?:\/\//);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('<a href="moons.loss.svg">SVG</a>, <a href="moons.loss.csv">data (CSV)</a>');
    // The configuration: the train block as written, the overrides, the command.
    expect(html).toContain("train moons {\n  data      moons(n: 200, noise: 0.2, seed: 1)");
    expect(html).toContain("# overridden on the command line\nepochs 3");
    expect(html).toMatch(/nnc run \S+moons\.nn --epochs 3 --report/);
    // The results as the terminal printed them.
    expect(html).toMatch(/^validation\s+loss/m);

    expect(readFileSync(join(scratch, "report", "moons.loss.svg"), "utf8").startsWith("<!-- generated by nnc — do not edit -->\n<svg")).toBe(true);
    const csv = readFileSync(join(scratch, "report", "moons.loss.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("series,epoch,loss,label");
    const validation = csv.filter((row) => row.startsWith("validation,")).map((row) => Number(row.split(",")[2]));
    expect(validation).toEqual(history.epochs.map((e: { val_loss: number }) => e.val_loss));
    expect(csv.filter((row) => row.startsWith("marker,"))).toEqual(["marker,0,,warmup", "marker,1.3333333333333333,,cosine"]);
  });

  it("replaces an earlier report, removing the plots the new run does not have", () => {
    const report = join(scratch, "again", "moons.html");
    expect(nnc("run", file, "--epochs", "1", "--grad-norms", "--report", report).code).toBe(0);
    expect(existsSync(join(scratch, "again", "moons.grad-norms.svg"))).toBe(true);
    expect(nnc("run", file, "--epochs", "1", "--report", report).code).toBe(0);
    expect(existsSync(join(scratch, "again", "moons.grad-norms.svg"))).toBe(false);
    expect(existsSync(join(scratch, "again", "moons.loss.svg"))).toBe(true);
  });
});

describe("a bad --log or --report path", () => {
  const foreign = (name: string, text: string) => {
    const path = join(scratch, name);
    writeFileSync(path, text);
    return path;
  };

  it("a folder, a place where nothing can be created, a file where a folder should be, an empty name", () => {
    mkdirSync(join(scratch, "folder.jsonl"), { recursive: true });
    expectRefused(nnc("run", file, "--log", join(scratch, "folder.jsonl")), /cannot write the log to \S+folder\.jsonl \(--log\): it is a folder, not a file/);
    expectRefused(nnc("run", file, "--log", "/proc/nnc-log.jsonl"), /cannot write the log to \/proc\/nnc-log\.jsonl \(--log\): /);
    const plain = foreign("plain.txt", "a file\n");
    expectRefused(nnc("run", file, "--log", join(plain, "run.csv")), /plain\.txt\/run\.csv \(--log\): a part of the path is a file, not a folder/);
    expectRefused(nnc("run", file, "--report", join(plain, "report.html")), /plain\.txt\/report\.html \(--report\): a part of the path is a file, not a folder/);
    expect(readFileSync(plain, "utf8")).toBe("a file\n");
    expectRefused(nnc("run", file, "--log", ""), /--log needs a file name, but got an empty one/);
    mkdirSync(join(scratch, "folder.html"), { recursive: true });
    expectRefused(nnc("run", file, "--report", join(scratch, "folder.html")), /cannot write the report to \S+folder\.html \(--report\): it is a folder, not a file/);
  });

  it("names that say nothing of the format", () => {
    expectRefused(nnc("run", file, "--log", "run.txt"), /--log run\.txt: the name must end in \.jsonl or \.json \(JSON lines\) or \.csv/);
    expectRefused(nnc("run", file, "--report", "report.pdf"), /--report report\.pdf: the name must end in \.html/);
  });

  it("the run's own files: its .nn source, its data, its checkpoint, its other outputs", () => {
    const data = foreign("points.csv", "a,b,label\n0,1,0\n1,0,1\n0.5,0.5,0\n1,1,1\n0,0,0\n0.2,0.9,1\n0.8,0.1,0\n0.9,0.9,1\n");
    const csvRun = join(scratch, "points.nn");
    writeFileSync(csvRun, MOONS("  epochs 1", 'csv("points.csv", label: "label")'));
    expectRefused(nnc("run", csvRun, "--log", data), /cannot write the log to \S+points\.csv \(--log\): it is the run's training data/);
    expect(readFileSync(data, "utf8")).toMatch(/^a,b,label\n/);

    const source = join(scratch, "source.json");
    writeFileSync(source, MOONS("  epochs 1"));
    expectRefused(nnc("run", source, "--log", source), /it is the run's own \.nn file/);
    expect(readFileSync(source, "utf8")).toBe(MOONS("  epochs 1"));

    expectRefused(nnc("run", file, "--save", join(scratch, "ckpt.json"), "--log", join(scratch, "ckpt.json")), /it is the run's checkpoint/);
    expectRefused(nnc("run", file, "--log", join(scratch, "out.loss.csv"), "--report", join(scratch, "out.html")), /out\.loss\.csv \(--log\): it is a file of the run's --report/);
  });

  it("a file nnc did not write is never replaced; an earlier log, report or plot is", () => {
    const notes = foreign("notes.csv", "x,y\n1,2\n");
    expectRefused(nnc("run", file, "--log", notes), /notes\.csv \(--log\): the file exists and nnc did not write it, so it would be lost/);
    expect(readFileSync(notes, "utf8")).toBe("x,y\n1,2\n");
    const page = foreign("page.html", "<!DOCTYPE html><title>mine</title>\n");
    expectRefused(nnc("run", file, "--report", page), /page\.html \(--report\): the file exists and nnc did not write it/);
    expect(readFileSync(page, "utf8")).toBe("<!DOCTYPE html><title>mine</title>\n");
    const drawing = foreign("mine.lr.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>\n");
    expectRefused(nnc("run", file, "--report", join(scratch, "mine.html")), /mine\.lr\.svg \(--report\): the file exists and nnc did not write it/);
    expect(readFileSync(drawing, "utf8")).toBe("<svg xmlns='http://www.w3.org/2000/svg'/>\n");
    expect(existsSync(join(scratch, "mine.html"))).toBe(false);

    const log = join(scratch, "twice.jsonl");
    expect(nnc("run", file, "--epochs", "1", "--log", log).code).toBe(0);
    expect(nnc("run", file, "--epochs", "2", "--log", log).code).toBe(0);
    expect(jsonLines(log).filter((r) => r.kind === "epoch")).toHaveLength(2);
  });

  it("--help names both options", () => {
    const { stdout } = nnc("run", "--help");
    expect(stdout).toMatch(/--log FILE\s+stream the run's history/);
    expect(stdout).toMatch(/--report FILE\.html\s+write a report/);
  });
});
