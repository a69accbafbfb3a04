// The optimization lab's pictures as a user makes them: `nnc run --trace` (the trajectory in
// --json, --log and the report's contour plot), `nnc analyze --landscape` (a line between two
// checkpoints through both losses, a plane with the traced trajectory on it, the report), and
// every mistake with exit code 1 and one line, before anything runs.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function nnc(...args: string[]) {
  const result = spawnSync(process.execPath, ["bin/nnc.js", ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const json = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop()!);
const scratch = mkdtempSync(join(tmpdir(), "nnc-landscape-"));
const f32 = (x: number) => Math.fround(x);
const rosenbrock = ([x, y]: number[]) => (1 - x!) ** 2 + 100 * (y! - x! ** 2) ** 2;

describe("nnc run --trace", () => {
  it("records gradient descent's zig-zag in --json, in the log and on the report's contour plot", () => {
    const log = join(scratch, "zigzag.jsonl");
    const report = join(scratch, "zigzag.html");
    const { code, stdout, stderr } = nnc("run", "examples/zigzag.nn", "--backend", "cpu", "--trace", "--log", log, "--report", report, "--json");
    expect(code, stderr).toBe(0);
    expect(stderr).toContain("trace: the weights before the first step and after every recorded step, as the values of w[0] and w[1]");
    expect(stderr).toContain("41 × 41 grid around the trajectory: 1,681 forward passes of the formula");
    const trace = json(stdout).trace;
    expect(trace.plane).toMatchObject({ directions: "elements", axes: ["w[0]", "w[1]"], step_stride: 1 });
    expect(trace.points).toHaveLength(101);
    // ½·(w₀² + 50·w₁²) with lr 0.038: w₀ ← 0.962·w₀, w₁ ← −0.9·w₁, in f32.
    let [w0, w1] = [10, 1];
    for (const point of trace.points) {
      expect(point.x).toBeCloseTo(w0, 4);
      expect(point.y).toBeCloseTo(w1, 5);
      [w0, w1] = [f32(w0 - f32(0.038 * w0)), f32(w1 - f32(0.038 * f32(50 * w1)))];
    }
    const logged = readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line));
    expect(logged.filter((r) => r.kind === "trace")).toEqual(trace.points);
    expect(logged[1]).toEqual(trace.plane);
    const svg = readFileSync(join(scratch, "zigzag.trajectory.svg"), "utf8");
    expect(svg).toContain('<g class="contour"');
    expect(svg).toContain('data-series="valley"');
    expect(readFileSync(report, "utf8")).toContain("Trajectory on the loss surface");
  });

  it("writes the trajectory to a CSV log as rows of its own, with two columns", () => {
    const log = join(scratch, "zigzag.csv");
    const { code, stderr } = nnc("run", "examples/zigzag.nn", "--backend", "cpu", "--epochs", "2", "--trace", "--log", log);
    expect(code, stderr).toBe(0);
    const rows = readFileSync(log, "utf8").trim().split("\n");
    expect(rows[0]).toBe("kind,epoch,step,lr,loss,seconds,train_loss,train_data_loss,train_reg_loss,event,name,best_epoch,trace_x,trace_y");
    expect(rows[1]).toBe('trace_plane,,,,,,,,,,"elements: w[0], w[1]",,,');
    expect(rows.filter((r) => r.startsWith("trace,"))).toEqual(["trace,0,0,,,,,,,,,,10,1", `trace,1,1,,,,,,,,,,${f32(9.62)},${f32(-0.9)}`, expect.stringMatching(/^trace,2,2,/)]);
  });

  it("projects a network's trajectory on its principal directions", () => {
    const { code, stdout, stderr } = nnc("run", "examples/critical_points.nn", "--train", "2", "--epochs", "30", "--backend", "cpu", "--trace", "--json");
    expect(code, stderr).toBe(0);
    const trace = json(stdout).trace;
    expect(trace.plane).toMatchObject({ directions: "pca", axes: ["PC1", "PC2"], parameters: 25, full: true });
    expect(trace.points).toHaveLength(31);
    // The final weights are the origin of the plane.
    expect(trace.points.at(-1).x).toBeCloseTo(0, 6);
    expect(trace.points.at(-1).y).toBeCloseTo(0, 6);
  });
});

describe("nnc compare --trace", () => {
  it("draws every optimizer's trajectory on one contour plot, each run's in --json", () => {
    const report = join(scratch, "zigzag-compare.html");
    const { code, stdout, stderr } = nnc("compare", "examples/zigzag.nn", "--backend", "cpu", "--trace", "--report", report, "--json");
    expect(code, stderr).toBe(0);
    const runs = json(stdout).runs;
    expect(runs.map((r: { label: string }) => r.label.replace(/\(.*/, ""))).toEqual(["optimizer=sgd", "optimizer=momentum", "optimizer=adam", "optimizer=nesterov", "optimizer=adagrad", "optimizer=rmsprop"]);
    for (const run of runs) {
      expect(run.trace.plane.axes).toEqual(["w[0]", "w[1]"]);
      expect(run.trace.points).toHaveLength(101);
      expect(run.trace.points[0]).toMatchObject({ step: 0, x: 10, y: 1 });
    }
    // SGD's w₁ flips sign at every step: the zig-zag.
    const sgd = runs[0].trace.points.slice(1, 20).map((p: { y: number }) => Math.sign(p.y));
    expect(sgd.every((sign: number, i: number) => i === 0 || sign === -sgd[i - 1])).toBe(true);
    const svg = readFileSync(join(scratch, "zigzag-compare.trajectory.svg"), "utf8");
    expect(svg).toContain('<g class="contour"');
    for (const run of runs) expect(svg).toContain(`data-series="${run.label}"`);
  });

  it("puts networks' trajectories on the principal plane of all their weights together", () => {
    const { code, stdout, stderr } = nnc("compare", "examples/critical_points.nn", "--backend", "cpu", "--trace", "--report", join(scratch, "cp-compare.html"), "--json");
    expect(code, stderr).toBe(0);
    const runs = json(stdout).runs;
    expect(runs.map((r: { trace: { points: unknown[] } }) => r.trace.points.length)).toEqual([4, 201]);
    expect(runs[0].trace.plane).toEqual(runs[1].trace.plane);
    expect(runs[0].trace.plane.directions).toBe("pca");
    expect(runs[0].trace.plane.explained[0] + runs[0].trace.plane.explained[1]).toBeGreaterThan(0.99);
  });

  it("refuses a trace of runs of different models", () => {
    const two = join(scratch, "two-models.nn");
    writeFileSync(
      two,
      "model a {\n  param w: [2] init [1, 1]\n  loss sum(w^2)\n}\nmodel b {\n  param v: [2] init [1, 1]\n  loss sum(v^2)\n}\ntrain a {\n  data none\n  optimizer sgd(lr: 0.1)\n}\ntrain b {\n  data none\n  optimizer sgd(lr: 0.1)\n}\n",
    );
    const { code, stderr } = nnc("compare", two, "--trace", "--report", join(scratch, "two.html"));
    expect(code).toBe(1);
    expect(stderr).toContain("nnc compare: --trace draws the runs on one plane of the weights, but they train different models (a, b)");
  });
});

describe("nnc analyze --landscape", () => {
  it("draws the line between two checkpoints through both losses, and the traced trajectory on the plane", () => {
    const [a, b, log, report] = ["a.safetensors", "b.safetensors", "b.jsonl", "landscape.html"].map((f) => join(scratch, f));
    expect(nnc("run", "examples/rosenbrock.nn", "--train", "3", "--epochs", "1", "--backend", "cpu", "--save", a).code).toBe(0);
    const second = nnc("run", "examples/rosenbrock.nn", "--train", "3", "--epochs", "3", "--backend", "cpu", "--save", b, "--trace", "--log", log, "--json");
    expect(second.code, second.stderr).toBe(0);
    const end = json(second.stdout).trace.points.at(-1).params as number[];

    const { code, stdout, stderr } = nnc("analyze", "examples/rosenbrock.nn", "--checkpoint", a, "--backend", "cpu", "--landscape", "--to", b, "--trace-from", log, "--grid", "11", "--report", report, "--json");
    expect(code, stderr).toBe(0);
    expect(stderr).toContain("landscape: a line of 13 points to");
    expect(stderr).toContain("and a 11 × 11 plane: 134 loss evaluations");
    const result = json(stdout);
    const line = result.landscape.line;
    expect(line.t).toContain(0);
    expect(line.t).toContain(1);
    expect(line.loss[line.t.indexOf(0)]).toBe(result.loss.total);
    expect(line.loss[line.t.indexOf(1)]).toBeCloseTo(rosenbrock(end), 9);

    const plane = result.landscape.plane;
    expect(plane.axes).toEqual(["w[0]", "w[1]"]);
    plane.y.forEach((y: number, j: number) => plane.x.forEach((x: number, i: number) => expect(plane.loss[j * 11 + i]).toBeCloseTo(rosenbrock([x, y]), 8)));
    expect(result.landscape.trajectory.points).toHaveLength(301);
    // The plane covers the trajectory.
    for (const [x, y] of result.landscape.trajectory.points) {
      expect(x).toBeGreaterThanOrEqual(plane.x[0]);
      expect(x).toBeLessThanOrEqual(plane.x.at(-1));
      expect(y).toBeGreaterThanOrEqual(plane.y[0]);
      expect(y).toBeLessThanOrEqual(plane.y.at(-1));
    }
    for (const id of ["density", "line", "plane"]) expect(existsSync(join(scratch, `landscape.${id}.svg`)), id).toBe(true);
    expect(readFileSync(join(scratch, "landscape.plane.svg"), "utf8")).toContain('data-series="trajectory"');
  });

  it("refuses every mistake with one line and exit code 1, before anything runs", () => {
    const one = join(scratch, "one.nn");
    writeFileSync(one, "model one {\n  param x init 2\n  loss x^2\n}\ntrain one {\n  data none\n  optimizer sgd(lr: 0.1)\n}\n");
    const csvLog = join(scratch, "no-trace.jsonl");
    expect(nnc("run", "examples/zigzag.nn", "--backend", "cpu", "--epochs", "2", "--log", csvLog).code).toBe(0);
    const cases: [string[], string][] = [
      [["run", "examples/zigzag.nn", "--trace", "--trace-dirs", "w[2],w[0]"], "nnc run: --trace-dirs: index `2` of `w[2]` is not in 0 to 1 (`w` has shape [2])"],
      [["run", "examples/zigzag.nn", "--trace", "--trace-dirs", "v[0],w[1]"], "nnc run: --trace-dirs: the model has no parameter `v` (did you mean `w`?)"],
      [["run", "examples/zigzag.nn", "--trace", "--trace-dirs", "w[0],w[0]"], "nnc run: --trace-dirs names the element w[0] twice"],
      [["run", "examples/zigzag.nn", "--trace", "--trace-dirs", "w[0]"], "nnc run: --trace-dirs needs two parameter elements separated by a comma"],
      [["run", "examples/zigzag.nn", "--trace", "--trace-dirs", "w[0,1],w[1]"], "nnc run: --trace-dirs: `w[0,1]` gives 2 indices, but `w` has shape [2] (1 index)"],
      [["run", "examples/zigzag.nn", "--trace-dirs", "pca"], "nnc run: --trace-dirs is an option of the trajectory; add --trace"],
      [["run", one, "--trace"], "nnc run: --trace records two coordinates, but the model has 1 parameter"],
      [["analyze", one, "--landscape"], "nnc analyze: --landscape needs at least two parameters for its plane, but the model has 1"],
      [["analyze", "examples/zigzag.nn", "--landscape", "--to", join(scratch, "nope.safetensors")], "nope.safetensors: no such file"],
      [["analyze", "examples/zigzag.nn", "--landscape", "--grid", "101", "--max-evals", "5000"], "nnc analyze: the landscape needs 10,302 loss evaluations (a 101 × 101 plane and 101 points on the line), more than --max-evals 5,000"],
      [["analyze", "examples/zigzag.nn", "--plane", "random"], "nnc analyze: --plane is an option of the landscape; add --landscape"],
      [["analyze", "examples/zigzag.nn", "--landscape", "--plane", "pca"], "nnc analyze: --plane pca is the plane of a trajectory; give it with --trace-from LOG"],
      [["analyze", "examples/zigzag.nn", "--landscape", "--trace-from", join(scratch, "missing.jsonl")], "missing.jsonl: no such file"],
      [["analyze", "examples/zigzag.nn", "--landscape", "--trace-from", csvLog], "the log has no trajectory; record one with `nnc run … --trace --log"],
      [["analyze", "examples/zigzag.nn", "--landscape", "--along", "middle"], "nnc analyze: --along takes min or max"],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = nnc(...args);
      expect(code, `${args.join(" ")}: ${stderr}`).toBe(1);
      expect(stderr, args.join(" ")).toContain(message);
      expect(stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(stdout, args.join(" ")).toBe("");
    }
  });
});
