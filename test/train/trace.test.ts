// The trajectory a run records (`--trace`) against gradient descent's closed form on a quadratic
// bowl: after step s, wᵢ = wᵢ(0)·(1 − lr·λᵢ)^s. Also: points are thinned like the history's steps
// (the loss of step record s is the loss at trace point s − 1), the last step is always there, a
// PCA trace reconstructs weights that move in a plane, and its sample of whole vectors stays
// within its bound, evenly thinned.

import { describe, expect, it } from "vitest";
import { pcaSampleLimit, type TraceRecord, TraceRecorder } from "../../runtime/train/trace.ts";
import type { HistoryRecord } from "../../runtime/train/history.ts";
import { trainExample } from "../e2e/train-helpers.ts";

const bowl = (init: string, eigenvalues: string, settings: string) => `
model b {
  param w: [${init.split(",").length}] init [${init}]
  loss  bowl(w, eigenvalues: [${eigenvalues}])
}
train b {
  data none
${settings}
}
`;

async function traced(source: string, directions: ConstructorParameters<typeof TraceRecorder>[0], maxStepPoints?: number) {
  const records: (HistoryRecord | { kind: string })[] = [];
  const size = Number(/param w: \[(\d+)\]/.exec(source)![1]);
  const recorder = new TraceRecorder(directions, size, (r) => records.push(r));
  const trained = await trainExample("bowl.nn", () => ({}), {
    source,
    maxStepPoints,
    hooks: {
      onRecord: (record) => {
        records.push(record);
        if (record.kind === "run") recorder.start(record.step_stride);
      },
      onParams: recorder.record,
    },
  });
  const result = recorder.finish()!;
  return { ...trained, result, records };
}

const elements = { kind: "elements" as const, elements: [{ label: "w[0]", index: 0 }, { label: "w[1]", index: 1 }] as [{ label: string; index: number }, { label: string; index: number }] };

describe("the parameter trajectory", () => {
  it("records gradient descent's weights after every step: wᵢ(s) = wᵢ(0)·(1 − lr·λᵢ)^s", async () => {
    const { result, records } = await traced(bowl("1, 2", "1, 3", "steps 10\nepochs 2\noptimizer sgd(lr: 0.1)"), elements);
    const points = result.trace.points;
    expect(points.map((p) => p.step)).toEqual(Array.from({ length: 21 }, (_, s) => s));
    for (const p of points) {
      expect(p.x).toBeCloseTo(0.9 ** p.step, 6);
      expect(p.y).toBeCloseTo(2 * 0.7 ** p.step, 6);
      expect(p.params).toEqual([p.x, p.y]);
      expect(p.epoch).toBe(Math.ceil(p.step / 10));
    }
    expect(result.trace.plane).toMatchObject({ kind: "trace_plane", directions: "elements", axes: ["w[0]", "w[1]"], parameters: 2, step_stride: 1, full: true });
    // The stream: the run record, the plane, then the start before any step record.
    expect(records.slice(0, 3).map((r) => r.kind)).toEqual(["run", "trace_plane", "trace"]);
    // The plane through the final weights along w[0] and w[1].
    expect(Array.from(result.plane.origin)).toEqual([points[20]!.x, points[20]!.y]);
  });

  it("is thinned like the history's steps, keeps the last step, and the loss of step record s is the loss at point s − 1", async () => {
    const { result, summary } = await traced(bowl("1, 2", "1, 3", "steps 10\nepochs 2\noptimizer sgd(lr: 0.1)"), elements, 4);
    expect(summary.history.step_stride).toBe(8);
    expect(result.trace.points.map((p) => p.step)).toEqual([0, 8, 16, 20]);
    expect(result.trace.plane.step_stride).toBe(8);
    const at = new Map(result.trace.points.map((p) => [p.step, p]));
    for (const record of summary.history.steps) {
      const p = at.get(record.step - 1)!;
      expect(record.loss).toBeCloseTo(0.5 * (p.x ** 2 + 3 * p.y ** 2), 6);
    }
  });

  it("with PCA, projects weights that move in a plane so that they are rebuilt exactly", async () => {
    // w[1] starts at 0 and stays there: the trajectory lies in the plane of w[0] and w[2].
    const { result } = await traced(bowl("1, 0, 2", "1, 3, 5", "steps 12\nepochs 1\noptimizer sgd(lr: 0.1)"), { kind: "pca" });
    const { plane, points } = result.trace;
    expect(plane).toMatchObject({ directions: "pca", axes: ["PC1", "PC2"], parameters: 3, full: true, degenerate: false });
    expect(plane.explained![0] + plane.explained![1]).toBeCloseTo(1, 9);
    const [d1, d2] = result.plane.directions;
    for (const p of points as TraceRecord[]) {
      const rebuilt = [0, 1, 2].map((i) => result.plane.origin[i]! + p.x * d1[i]! + p.y * d2[i]!);
      rebuilt.forEach((v, i) => expect(v).toBeCloseTo(p.params![i]!, 6));
      expect(p.params![0]).toBeCloseTo(0.9 ** p.step, 6);
      expect(p.params![2]).toBeCloseTo(2 * 0.5 ** p.step, 6);
    }
    // The final weights are the origin: (0, 0).
    expect(points.at(-1)!.x).toBeCloseTo(0, 12);
    expect(points.at(-1)!.y).toBeCloseTo(0, 12);
  });

  it("keeps a PCA sample of at most its bound, evenly spaced, with the last point", () => {
    const n = 3;
    const limit = pcaSampleLimit(n);
    const recorder = new TraceRecorder({ kind: "pca" }, n);
    recorder.start(1);
    for (let step = 0; step <= 1000; step++) recorder.record({ step, epoch: step }, Float32Array.of(Math.cos(step / 100), Math.sin(step / 100), step / 1000));
    const steps = recorder.finish()!.trace.points.map((p) => p.step);
    expect(steps.length).toBeLessThanOrEqual(limit + 1);
    expect(steps.length).toBeGreaterThan(limit / 2);
    expect(steps.at(-1)).toBe(1000);
    const gaps = new Set(steps.slice(0, -1).map((s, i) => steps[i + 1]! - s).slice(0, -1));
    expect(gaps.size).toBe(1);
    expect(pcaSampleLimit(269_322)).toBeLessThan(100);
  });
});
