// `--trace` on `nnc run` and `nnc compare`: the options, the line that says what will be recorded
// and what the contour plot will cost (before training), and after training the loss over the
// trajectory's plane, on a grid around it, for the report's contour plot. The recording itself is
// runtime/train/trace.ts, fed by the training loop's `onParams`.

import type { ParamInfo, PlaneLandscape } from "../runtime/analysis/landscape.ts";
import { engineLoss, planeLandscape } from "../runtime/analysis/landscape.ts";
import type { PreparedData } from "../runtime/train/prepare.ts";
import type { BackendRequest } from "../runtime/session.ts";
import type { Trace, TraceDirections, TracedPlane } from "../runtime/train/trace.ts";
import { DEFAULT_EXAMPLES, openLossSession } from "./analysis.ts";
import { formatSeconds, timeOne } from "./landscape.ts";
import { boxAround } from "./landscape-plan.ts";
import type { LoadedModel } from "./load.ts";
import { integerOption } from "./options.ts";
import { defaultTraceDirections, parseTraceDirections } from "./trace-dirs.ts";
import { UserError } from "./user-error.ts";

export const TRACE_OPTIONS = {
  trace: { type: "boolean" },
  "trace-dirs": { type: "string" },
  "trace-grid": { type: "string" },
} as const;

export const TRACE_HELP = `  --trace              record the parameter trajectory: the weights before the first step and
                       after every recorded step (the history's stride), as two coordinates; in
                       --json as \`trace\`, in --log as \`trace\` records, and with --report drawn on
                       the loss's contour plot over the trajectory's plane
  --trace-dirs DIRS    the two coordinates: two parameter elements (w[0],w[1], h1.weight[3,2],…)
                       or pca, the trajectory's principal directions about the final weights
                       (default: a model's own two numbers, else pca)
  --trace-grid N       the contour plot's grid: N × N loss evaluations after training (default
                       41 for a formula, 21 for a model with data)`;

export interface TraceSetup {
  directions: TraceDirections;
  grid: number;
}

type Values = Partial<Record<keyof typeof TRACE_OPTIONS, string | boolean>>;

export function traceSetup(command: string, values: Values, params: readonly ParamInfo[], objective: boolean): TraceSetup | null {
  if (!values.trace) {
    const given = (["trace-dirs", "trace-grid"] as const).find((name) => values[name] !== undefined);
    if (given) throw new UserError(`nnc ${command}: --${given} is an option of the trajectory; add --trace`);
    return null;
  }
  const size = params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
  if (size < 2) throw new UserError(`nnc ${command}: --trace records two coordinates, but the model has ${size} parameter${size === 1 ? "" : "s"}`);
  const text = values["trace-dirs"] as string | undefined;
  const directions = text === undefined ? defaultTraceDirections(params) : parseTraceDirections(command, "--trace-dirs", text, params);
  const grid = integerOption(command, "trace-grid", values["trace-grid"] as string | undefined, 3, 201) ?? (objective ? 41 : 21);
  return { directions, grid };
}

// What is recorded and, with a report, what its contour plot will cost: stated before training.
export function describeTrace(setup: TraceSetup, report: boolean, examples: string): string {
  const plane = setup.directions.kind === "elements" ? `the values of ${setup.directions.elements.map((e) => e.label).join(" and ")}` : "the projection on the trajectory's two principal directions (computed when the run ends)";
  const contour = report ? `; the report's contour plot then evaluates the loss on a ${setup.grid} × ${setup.grid} grid around the trajectory: ${(setup.grid * setup.grid).toLocaleString("en-US")} forward passes ${examples}` : "";
  return `trace: the weights before the first step and after every recorded step, as ${plane}${contour}`;
}

export interface TracedSurface {
  surface: PlaneLandscape;
  axes: [string, string];
}

// The plane's axes as the plot shows them: an element's own values, or a principal direction's
// coordinate (0 at the final weights), with its share of the trajectory.
export function traceAxes(trace: Trace, plane: TracedPlane, directions: TraceDirections): [{ label: string; offset: number }, { label: string; offset: number }] {
  if (directions.kind === "elements") {
    const [a, b] = directions.elements;
    return [
      { label: a.label, offset: plane.origin[a.index]! },
      { label: b.label, offset: plane.origin[b.index]! },
    ];
  }
  const share = (i: 0 | 1) => (trace.plane.explained ? ` (${(trace.plane.explained[i] * 100).toFixed(1)}% of the trajectory)` : "");
  return [
    { label: `PC1${share(0)}`, offset: 0 },
    { label: trace.plane.degenerate ? "a random direction ⊥ PC1 (the trajectory is a line)" : `PC2${share(1)}`, offset: 0 },
  ];
}

// The loss over a box around the trajectories (in the plane's coordinates, 0 at the origin), on
// the run's backend, on the first training examples as `nnc analyze` takes them.
export async function traceSurface(input: {
  loaded: LoadedModel;
  data: PreparedData;
  state: Record<string, Float32Array>;
  request: BackendRequest;
  plane: TracedPlane;
  axes: [{ label: string; offset: number }, { label: string; offset: number }];
  points: readonly [number, number][]; // the trajectories' points as the axes show them
  grid: number;
  log: (line: string) => void;
}): Promise<TracedSurface> {
  const [ax, ay] = input.axes;
  const ranges = boxAround(input.points.map(([x, y]) => [x - ax.offset, y - ay.offset]));
  const { session } = await openLossSession({ loaded: input.loaded, data: input.data, state: input.state, request: input.request, examples: DEFAULT_EXAMPLES });
  try {
    const loss = engineLoss(session.engine);
    const each = await timeOne(loss, input.plane.origin);
    const count = input.grid * input.grid;
    input.log(`trace: evaluating the loss at ${count.toLocaleString("en-US")} points around the trajectory (one takes ${formatSeconds(each)}: about ${formatSeconds(each * count)})`);
    const surface = await planeLandscape(
      loss,
      { origin: input.plane.origin, directions: input.plane.directions, axes: [ax, ay], description: "" },
      ranges,
      input.grid,
    );
    return { surface, axes: [ax.label, ay.label] };
  } finally {
    session.dispose();
  }
}

export function examplesPhrase(loaded: LoadedModel, data: PreparedData): string {
  return loaded.model.objective ? "of the formula" : `over ${Math.min(DEFAULT_EXAMPLES, data.train.n).toLocaleString("en-US")} training examples`;
}
