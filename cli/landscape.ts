// `nnc analyze --landscape`: the loss along a line and over a plane through the analyzed point,
// as landscape-plan.ts planned it. Once the plan's cost is stated, the points are evaluated on the
// analysis's own engine (so on its backend), after the Hessian's analysis gave the eigenvectors;
// then the results in words, as JSON and as plots.

import { basename } from "node:path";
import type { AnalysisReport } from "../runtime/analysis/analyze.ts";
import type { CurvatureEngine } from "../runtime/analysis/engine.ts";
import { engineLoss, lineLandscape, type LineLandscape, type LossAt, type Plane, planeLandscape, type PlaneLandscape } from "../runtime/analysis/landscape.ts";
import { type LandscapePlan, type PlaneChoice, traceCoordinates } from "./landscape-plan.ts";
import type { Plot, Point } from "./report/plot.ts";
import { contourPlot, linePlot } from "./report/landscape-plots.ts";
import { UserError } from "./user-error.ts";

export interface LandscapeResult {
  line: LineLandscape & { description: string; title: string; axis: string; anchors: { t: number; label: string }[] };
  plane: PlaneLandscape & { description: string; title: string; axes: [string, string]; point: Point };
  trajectory: { from: string; points: Point[] } | null;
  evaluations: number;
  seconds: number;
}

// Evaluates the plan on the engine at `theta`; `log` hears the cost once one evaluation is timed.
export async function runLandscape(engine: CurvatureEngine, theta: Float64Array, report: AnalysisReport, plan: LandscapePlan, log: (line: string) => void): Promise<LandscapeResult> {
  const started = performance.now();
  const loss = engineLoss(engine);
  log(costLine(await timeOne(loss, theta), plan.evaluations));
  let count = 0;
  const counted = (at: Float64Array) => {
    count++;
    return loss(at);
  };

  const vectors = report.eigenvectors;
  const which = plan.line.kind === "eigen" ? plan.line.which : null;
  const lineDirection = plan.line.kind === "checkpoint" ? plan.line.target.map((v, i) => v - theta[i]!) : which === "min" ? vectors.smallest : vectors.largest;
  const lineValue = which === "min" ? report.lanczos.smallest.value : report.lanczos.largest.value;
  const exactValue = report.exact ? (which === "min" ? report.exact.eigenvalues[0]! : report.exact.eigenvalues.at(-1)!) : lineValue;
  const line =
    plan.line.kind === "checkpoint"
      ? {
          description: `from the point (t = 0) to ${plan.line.path} (t = 1)`,
          title: `Loss on the line from the point (t = 0) to ${basename(plan.line.path)} (t = 1)`,
          axis: "t",
          anchors: [{ t: 0, label: "the point" }, { t: 1, label: basename(plan.line.path) }],
        }
      : {
          description: `along the unit ${vectors.kind} of the ${which === "min" ? "smallest" : "largest"} eigenvalue, λ = ${shortNumber(exactValue)}`,
          title: `Loss along the ${vectors.kind} of the ${which === "min" ? "smallest" : "largest"} eigenvalue`,
          axis: `t (unit ${vectors.kind} of λ = ${shortNumber(exactValue)})`,
          anchors: [{ t: 0, label: "the point" }],
        };
  const lineResult = await lineLandscape(counted, { origin: theta, direction: lineDirection, label: line.axis, description: line.description, anchors: line.anchors.map((a) => a.t) }, plan.lineRange, plan.grid);

  const plane = buildPlane(plan, theta, report);
  const trajectory = plan.trace ? traceCoordinates("analyze", plan.trace, plan.plane, plane) : null;
  const ranges = plan.range ?? [
    [-1, 1],
    [-1, 1],
  ];
  const surface = await planeLandscape(counted, plane, ranges, plan.grid);
  engine.setParams(theta);
  const show = ([a, b]: [number, number]): Point => [a + plane.axes[0].offset, b + plane.axes[1].offset];
  return {
    line: { ...lineResult, ...line },
    plane: { ...surface, description: plane.description, title: PLANE_TITLES[plan.plane.kind], axes: [plane.axes[0].label, plane.axes[1].label], point: show([0, 0]) },
    trajectory: trajectory && { from: plan.trace!.from, points: trajectory.map(show) },
    evaluations: count,
    seconds: (performance.now() - started) / 1000,
  };
}

const PLANE_TITLES: Record<PlaneChoice["kind"], string> = {
  elements: "Loss over two parameters",
  random: "Loss over a plane of filter-normalized random directions",
  eigen: "Loss over the plane of the top two eigenvectors",
  pca: "Loss over the trajectory's principal plane",
};

function buildPlane(plan: LandscapePlan, theta: Float64Array, report: AnalysisReport): Plane {
  const choice = plan.plane;
  const axis = (label: string, offset = 0) => ({ label, offset });
  switch (choice.kind) {
    case "elements":
      return {
        origin: theta,
        directions: plan.directions!,
        axes: [axis(choice.elements[0].label, theta[choice.elements[0].index]!), axis(choice.elements[1].label, theta[choice.elements[1].index]!)],
        description: `the parameters ${choice.elements[0].label} and ${choice.elements[1].label}${theta.length > 2 ? ", the others fixed" : ""}`,
      };
    case "random":
      return { origin: theta, directions: plan.directions!, axes: [axis("α (random direction 1)"), axis("β (random direction 2)")], description: "two seeded random directions, filter-normalized to the weights (Li et al. 2018)" };
    case "pca":
      return { origin: theta, directions: plan.directions!, axes: [axis("PC1 of the trajectory"), axis("PC2 of the trajectory")], description: `the trajectory's two principal directions (${plan.trace!.from})` };
    case "eigen": {
      const v = report.eigenvectors;
      if (!v.second) throw new UserError("nnc analyze: --plane eigen needs two eigenvectors, but Lanczos found one eigenvalue only (the Hessian is a multiple of the identity on its Krylov space); use --plane random");
      const values = report.exact ? report.exact.eigenvalues.slice(-2) : [NaN, report.lanczos.largest.value];
      return {
        origin: theta,
        directions: [v.largest, v.second],
        axes: [axis(`unit ${v.kind} of λ = ${shortNumber(values[1]!)}`), axis(`unit ${v.kind} of ${report.exact ? `λ = ${shortNumber(values[0]!)}` : "the second largest λ"}`)],
        description: `the ${v.kind}s of the two largest eigenvalues`,
      };
    }
  }
}

export function formatLandscape(result: LandscapeResult): string[] {
  const l = result.line;
  const at = (t: number) => l.loss[l.t.indexOf(t)]!;
  const lowest = l.loss.reduce((best, v, i) => (v < l.loss[best]! ? i : best), 0);
  const p = result.plane;
  const finite = Array.from(p.loss).filter(Number.isFinite);
  const lines = [
    `landscape (${result.evaluations.toLocaleString("en-US")} loss evaluations in ${formatSeconds(result.seconds)}):`,
    `  line   ${l.description}: ${l.t.length} points, t from ${shortNumber(l.t[0]!)} to ${shortNumber(l.t.at(-1)!)}; ` +
      l.anchors.map((a) => `loss ${shortNumber(at(a.t))} at t = ${shortNumber(a.t)}`).join(", ") +
      `; lowest ${shortNumber(l.loss[lowest]!)} at t = ${shortNumber(l.t[lowest]!)}`,
    `  plane  ${p.description}: ${p.x.length} × ${p.y.length} points, ${p.axes[0]} from ${shortNumber(p.x[0]!)} to ${shortNumber(p.x.at(-1)!)}, ${p.axes[1]} from ${shortNumber(p.y[0]!)} to ${shortNumber(p.y.at(-1)!)}; loss from ${shortNumber(Math.min(...finite))} to ${shortNumber(Math.max(...finite))}`,
  ];
  if (result.trajectory) lines.push(`  trajectory: ${result.trajectory.points.length} points from ${result.trajectory.from}, drawn on the plane`);
  return lines;
}

export function landscapeJson(result: LandscapeResult): Record<string, unknown> {
  return {
    line: { description: result.line.description, t: result.line.t, loss: result.line.loss },
    plane: { description: result.plane.description, axes: result.plane.axes, x: result.plane.x, y: result.plane.y, loss: Array.from(result.plane.loss), point: result.plane.point },
    trajectory: result.trajectory,
    evaluations: result.evaluations,
    seconds: result.seconds,
  };
}

export function landscapePlots(result: LandscapeResult): Plot[] {
  return [
    linePlot({ id: "line", title: result.line.title, axis: result.line.axis, line: result.line, anchors: result.line.anchors }),
    contourPlot({
      id: "plane",
      title: result.plane.title,
      axes: result.plane.axes,
      surface: result.plane,
      trajectories: result.trajectory ? [{ name: "trajectory", points: result.trajectory.points }] : [],
      point: { name: "the point", at: result.plane.point },
    }),
  ];
}

export const LANDSCAPE_PLOT_IDS = ["line", "plane"] as const;

function shortNumber(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e6 ? String(Number(x.toPrecision(4))) : x.toExponential(2);
}

// The time of one loss evaluation: the second of two at `theta` (the first compiles a program on
// WebGPU and warms the caches).
export async function timeOne(loss: LossAt, theta: Float64Array): Promise<number> {
  await loss(theta);
  const started = performance.now();
  await loss(theta);
  return (performance.now() - started) / 1000;
}

export function costLine(each: number, evaluations: number): string {
  return `landscape: one evaluation takes ${formatSeconds(each)}: about ${formatSeconds(each * evaluations)} for all ${evaluations.toLocaleString("en-US")}`;
}

export function formatSeconds(s: number): string {
  return s < 0.01 ? `${(s * 1000).toFixed(2)} ms` : s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(1)} s`;
}
