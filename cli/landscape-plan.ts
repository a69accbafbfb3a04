// `nnc analyze --landscape`'s plan: its options, the line and the plane asked for, the grid, and
// the trajectory to overlay, all checked before anything runs: the other checkpoint, the
// trajectory's log and whether it can be placed on the plane, filter-normalized directions of
// weights that are all zero, and the grid's size against `--max-evals`. landscape.ts runs it.

import type { ParamInfo, Plane } from "../runtime/analysis/landscape.ts";
import { elementDirection, filterNormalizedDirection, gridValues, projectOnPlane } from "../runtime/analysis/landscape.ts";
import { principalPlane } from "../runtime/analysis/pca.ts";
import { norm } from "../runtime/analysis/vectors.ts";
import type { Trace, TraceElement } from "../runtime/train/trace.ts";
import { integerOption } from "./options.ts";
import { defaultTraceDirections, parseTraceDirections } from "./trace-dirs.ts";
import { UserError } from "./user-error.ts";

export const LANDSCAPE_OPTIONS = {
  landscape: { type: "boolean" },
  to: { type: "string" },
  along: { type: "string" },
  plane: { type: "string" },
  grid: { type: "string" },
  range: { type: "string" },
  "max-evals": { type: "string" },
  "trace-from": { type: "string" },
} as const;

export const DEFAULT_GRID = 21;
export const DEFAULT_MAX_EVALS = 10_000;
// The line between two checkpoints runs past both, as Goodfellow et al. (2015) draw it.
const CHECKPOINT_LINE: [number, number] = [-0.5, 1.5];

export const LANDSCAPE_HELP = `  --landscape          also evaluate the loss along a line and over a plane through the point
                       (contour plots with --report); the cost is stated before it runs
  --to PATH            the line runs from the point (t = 0) to the weights in PATH (t = 1), over
                       t from ${CHECKPOINT_LINE[0]} to ${CHECKPOINT_LINE[1]}; without it, along a unit eigenvector
  --along min|max      the eigenvector of the smallest (default) or the largest eigenvalue
  --plane KIND         random: two seeded random directions, filter-normalized to the weights
                       (Li et al. 2018); eigen: the eigenvectors of the two largest eigenvalues;
                       pca: the principal directions of the --trace-from trajectory; or two
                       parameter elements, w[0],w[1]. Default: the trajectory's plane with
                       --trace-from, a two-number model's own axes, else random
  --grid N             points per side of the plane and along the line (default ${DEFAULT_GRID})
  --range R            coordinates from −R to R along each direction (default 1; a trajectory's
                       plane: its extent)
  --max-evals N        refuse a landscape of more than N loss evaluations (default ${DEFAULT_MAX_EVALS.toLocaleString("en-US")})
  --trace-from LOG     overlay the trajectory in LOG, the --log FILE.jsonl of \`nnc run --trace\``;

type Values = Partial<Record<keyof typeof LANDSCAPE_OPTIONS, string | boolean>>;

export type PlaneChoice = { kind: "random" } | { kind: "eigen" } | { kind: "pca" } | { kind: "elements"; elements: [TraceElement, TraceElement] };

export interface LandscapePlan {
  line: { kind: "checkpoint"; path: string; target: Float64Array } | { kind: "eigen"; which: "min" | "max" };
  lineRange: [number, number];
  linePoints: number;
  plane: PlaneChoice;
  // Directions known before the analysis (all but the eigenvectors).
  directions: [Float64Array, Float64Array] | null;
  range: [[number, number], [number, number]] | null; // null: ±1 in the plane's units
  grid: number;
  evaluations: number;
  trace: { from: string; trace: Trace } | null;
}

// The options without --landscape are mistakes; with it, the plan. `params` in the graph's order;
// `theta` the point; `readTo(path)` reads the other checkpoint's weights (flat) and `readTrace(path)`
// the trajectory of --trace-from, each throwing a UserError.
export function landscapePlan(
  command: string,
  values: Values,
  read: { params: readonly ParamInfo[]; theta: Float64Array; seed: number; readTo: (path: string) => Float64Array; readTrace: (path: string) => Trace },
): LandscapePlan | null {
  const given = (["to", "along", "plane", "grid", "range", "max-evals", "trace-from"] as const).filter((name) => values[name] !== undefined);
  if (!values.landscape) {
    if (given.length) throw new UserError(`nnc ${command}: --${given[0]} is an option of the landscape; add --landscape`);
    return null;
  }
  const traceFrom = values["trace-from"] as string | undefined;
  const input = { ...read, trace: traceFrom === undefined ? null : { from: traceFrom, trace: read.readTrace(traceFrom) } };
  const n = input.theta.length;
  if (n < 2) throw new UserError(`nnc ${command}: --landscape needs at least two parameters for its plane, but the model has ${n}`);
  if (values.to !== undefined && values.along !== undefined) throw new UserError(`nnc ${command}: the line goes --to a checkpoint or --along an eigenvector, not both`);
  if (values.along !== undefined && values.along !== "min" && values.along !== "max") throw new UserError(`nnc ${command}: --along takes min or max (the eigenvector of the smallest or the largest eigenvalue), but got \`${values.along}\``);
  const grid = integerOption(command, "grid", values.grid as string | undefined, 3, 1001) ?? DEFAULT_GRID;
  const maxEvals = integerOption(command, "max-evals", values["max-evals"] as string | undefined, 1) ?? DEFAULT_MAX_EVALS;
  const rangeText = values.range as string | undefined;
  const range = rangeText === undefined ? null : Number(rangeText);
  if (range !== null && !(range > 0 && Number.isFinite(range) && /^[0-9.eE+-]+$/.test(rangeText!))) throw new UserError(`nnc ${command}: --range needs a positive number, but got \`${rangeText}\``);

  const line: LandscapePlan["line"] = values.to !== undefined ? { kind: "checkpoint", path: values.to as string, target: input.readTo(values.to as string) } : { kind: "eigen", which: (values.along as "min" | "max" | undefined) ?? "min" };
  const plane = planeChoice(command, values.plane as string | undefined, input.params, input.trace);
  const lineRange: [number, number] = line.kind === "checkpoint" ? CHECKPOINT_LINE : [-(range ?? 1), range ?? 1];
  const linePoints = new Set([...gridValues(lineRange[0], lineRange[1], grid), ...(line.kind === "checkpoint" ? [0, 1] : [0])]).size;
  const evaluations = grid * grid + linePoints;
  if (evaluations > maxEvals) {
    throw new UserError(
      `nnc ${command}: the landscape needs ${evaluations.toLocaleString("en-US")} loss evaluations (a ${grid} × ${grid} plane and ${linePoints} points on the line), more than --max-evals ${maxEvals.toLocaleString("en-US")}; use a smaller --grid or raise --max-evals`,
    );
  }
  const directions = fixedDirections(command, plane, input);
  let planeRange: LandscapePlan["range"] = range === null ? null : [[-range, range], [-range, range]];
  if (input.trace && (directions || !input.trace.trace.points.every((p) => p.params))) {
    // Placing the trajectory now finds a trajectory that cannot be placed before anything runs.
    const probe: Plane = { origin: input.theta, directions: directions ?? [input.theta, input.theta], axes: [{ label: "", offset: 0 }, { label: "", offset: 0 }], description: "" };
    const placed = traceCoordinates(command, input.trace, plane, probe);
    if (range === null && directions) planeRange = boxAround(placed);
  }
  return { line, lineRange, linePoints, plane, directions, range: planeRange, grid, evaluations, trace: input.trace };
}

function planeChoice(command: string, text: string | undefined, params: readonly ParamInfo[], trace: LandscapePlan["trace"]): PlaneChoice {
  if (text === "random" || text === "eigen" || text === "pca") {
    if (text === "pca" && !trace) throw new UserError(`nnc ${command}: --plane pca is the plane of a trajectory; give it with --trace-from LOG`);
    return { kind: text };
  }
  if (text !== undefined) {
    const parsed = parseTraceDirections(command, "--plane", text, params);
    if (parsed.kind === "pca") throw new UserError(`nnc ${command}: --plane pca is the plane of a trajectory; give it with --trace-from LOG`);
    return parsed;
  }
  if (trace) {
    const plane = trace.trace.plane;
    if (plane.directions === "elements") return parseTraceDirections(command, "--trace-from", plane.axes.join(","), params) as PlaneChoice;
    return { kind: "pca" };
  }
  const own = defaultTraceDirections(params);
  return own.kind === "elements" ? own : { kind: "random" };
}

function fixedDirections(command: string, plane: PlaneChoice, input: { params: readonly ParamInfo[]; theta: Float64Array; seed: number; trace: LandscapePlan["trace"] }): [Float64Array, Float64Array] | null {
  const n = input.theta.length;
  switch (plane.kind) {
    case "elements":
      return [elementDirection(n, plane.elements[0].index), elementDirection(n, plane.elements[1].index)];
    case "random": {
      const directions: [Float64Array, Float64Array] = [filterNormalizedDirection(input.params, input.theta, input.seed, "landscape-x"), filterNormalizedDirection(input.params, input.theta, input.seed, "landscape-y")];
      if (directions.some((d) => norm(d) === 0)) {
        throw new UserError(`nnc ${command}: --plane random scales its directions to the weights, filter by filter, but every weight is zero here; use --plane eigen or two parameter elements`);
      }
      return directions;
    }
    case "pca": {
      const points = input.trace!.trace.points;
      if (!points.every((p) => p.params)) {
        throw new UserError(
          `nnc ${command}: --trace-from ${input.trace!.from} holds the trajectory's projection only (a model of more than 64 parameters keeps no whole vectors in its log); its own report draws it (\`nnc run --trace --report\`), or choose --plane random or eigen to draw the landscape without it`,
        );
      }
      return principalPlane(points.map((p) => p.params!), input.theta, input.seed).directions;
    }
    case "eigen":
      return null;
  }
}

// The trajectory's points in the plane's coordinates (α, β), 0 at the point.
export function traceCoordinates(command: string, trace: NonNullable<LandscapePlan["trace"]>, choice: PlaneChoice, plane: Plane): [number, number][] {
  const points = trace.trace.points;
  if (points.every((p) => p.params)) return points.map((p) => projectOnPlane(plane, p.params!));
  const own = trace.trace.plane;
  if (choice.kind === "elements" && own.directions === "elements" && own.axes[0] === choice.elements[0].label && own.axes[1] === choice.elements[1].label) {
    return points.map((p) => [p.x - plane.origin[choice.elements[0].index]!, p.y - plane.origin[choice.elements[1].index]!]);
  }
  throw new UserError(
    `nnc ${command}: --trace-from ${trace.from} holds only the trajectory's ${own.directions === "pca" ? "projection on its own PCA plane" : `values of ${own.axes.join(" and ")}`}, which cannot be placed on this plane; ` +
      (own.directions === "elements" ? `draw it with --plane ${own.axes.join(",")}` : "its own report draws it (`nnc run --trace --report`)"),
  );
}

// The box holding `points` and the origin, 10% wider on each side, and at least half as tall as it
// is wide (and the other way round), so a straight trajectory still shows the surface around it.
export function boxAround(points: readonly [number, number][]): [[number, number], [number, number]] {
  const xs = [0, ...points.map((p) => p[0])].filter(Number.isFinite);
  const ys = [0, ...points.map((p) => p[1])].filter(Number.isFinite);
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const size = Math.max(x1 - x0, y1 - y0) || 1;
  const widen = (lo: number, hi: number): [number, number] => {
    const extent = Math.max(hi - lo, size / 2);
    const middle = (lo + hi) / 2;
    return [middle - extent * 0.6, middle + extent * 0.6];
  };
  [x0, x1] = widen(x0, x1);
  [y0, y1] = widen(y0, y1);
  return [
    [x0, x1],
    [y0, y1],
  ];
}

export function planDescription(plan: LandscapePlan, examples: string): string {
  const line = plan.line.kind === "checkpoint" ? `a line of ${plan.linePoints} points to ${plan.line.path}` : `a line of ${plan.linePoints} points along an eigenvector`;
  return `landscape: ${line} and a ${plan.grid} × ${plan.grid} plane: ${plan.evaluations.toLocaleString("en-US")} loss evaluations, each a forward pass ${examples}`;
}
