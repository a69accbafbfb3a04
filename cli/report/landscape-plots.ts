// The plots of the optimization lab: a loss surface over a plane of the weights as filled contours
// with trajectories on it (`nnc run --trace`, `nnc compare --trace`, `nnc analyze --landscape`),
// the loss along a line, and the Hessian's spectral density (`nnc analyze --report`). Each takes
// plain numbers (runtime/analysis/landscape.ts, density.ts), no run.

import type { SpectralDensity } from "../../runtime/analysis/density.ts";
import type { LineLandscape, PlaneLandscape } from "../../runtime/analysis/landscape.ts";
import type { Marker, Plot, Point, Series } from "./plot.ts";

export interface Trajectory {
  name: string; // in the legend: the run, or "trajectory"
  group?: string;
  points: readonly Point[]; // in the plane's coordinates as the axes show them
}

// The contour plot of `surface`, its axes the plane's (exactly the grid: no rounding out), with the
// trajectories on it and the point the plane is centred on, when given, as a dot.
export function contourPlot(input: {
  id: string;
  title: string;
  axes: [string, string];
  surface: PlaneLandscape;
  trajectories: readonly Trajectory[];
  point?: { name: string; at: Point };
}): Plot {
  const { x, y, loss } = input.surface;
  const series: Series[] = input.trajectories.map((t) => ({ name: t.name, group: t.group, style: "trajectory", points: t.points }));
  if (input.point) series.push({ name: input.point.name, style: "points", points: [input.point.at] });
  return {
    id: input.id,
    title: input.title,
    x: { label: input.axes[0], domain: [x[0]!, x[x.length - 1]!] },
    y: { label: input.axes[1], domain: [y[0]!, y[y.length - 1]!] },
    series,
    contour: { label: "loss", x, y, values: Array.from(loss) },
  };
}

// The loss along a line θ₀ + t·d, with a marker at each anchor (t = 0: the point; t = 1: the other
// checkpoint), on a log scale when every loss is positive and they span more than two decades.
export function linePlot(input: { id: string; title: string; axis: string; line: LineLandscape; anchors: { t: number; label: string }[] }): Plot {
  const points = input.line.t.map((t, i): Point => [t, input.line.loss[i]!]);
  const finite = input.line.loss.filter(Number.isFinite);
  const log = finite.length > 0 && finite.every((v) => v > 0) && Math.max(...finite) / Math.min(...finite) > 100;
  const markers: Marker[] = input.anchors.map((a) => ({ x: a.t, label: a.label, kind: "phase" }));
  return {
    id: input.id,
    title: input.title,
    x: { label: input.axis, domain: [input.line.t[0]!, input.line.t[input.line.t.length - 1]!] },
    y: { label: "loss", scale: log ? "log" : "linear", format: "~g" },
    series: [{ name: "loss", points }],
    markers,
  };
}

// The spectral density (stochastic Lanczos quadrature) as a curve, each quadrature node as a point
// at the height of its own Gaussian, w/(σ·√(2π)) (so a lone node sits on the curve's peak), and the
// exact eigenvalues, when known, as points on the axis.
export function densityPlot(input: { id: string; density: SpectralDensity; exact: readonly number[] | null; extremes: { smallest: number; largest: number } }): Plot {
  const d = input.density;
  const peak = 1 / (d.sigma * Math.sqrt(2 * Math.PI));
  const series: Series[] = [
    { name: "density", points: d.grid.map((x, i): Point => [x, d.density[i]!]) },
    { name: `nodes (${d.probes} probes)`, style: "points", points: d.nodes.map((n): Point => [n.value, n.weight * peak]) },
  ];
  if (input.exact && input.exact.length <= MAX_EXACT_POINTS) series.push({ name: `exact λ (${input.exact.length})`, style: "points", points: input.exact.map((v): Point => [v, 0]) });
  return {
    id: input.id,
    title: "Hessian spectral density (stochastic Lanczos quadrature)",
    x: { label: "eigenvalue λ", format: "~g" },
    y: { label: "density", format: "~g" },
    series,
    markers: [
      { x: input.extremes.smallest, label: "λ min", kind: "phase" },
      { x: input.extremes.largest, label: "λ max", kind: "phase" },
    ],
  };
}

// More exact eigenvalues than dots can show apart.
const MAX_EXACT_POINTS = 200;
