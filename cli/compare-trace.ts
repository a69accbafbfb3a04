// `nnc compare --trace`: every run's trajectory on one contour plot, the SGD zig-zag beside
// momentum, Nesterov, AdaGrad, RMSProp and Adam. Each run records its own trace (runtime/train/
// trace.ts); the plane is shared:
//
//   - two parameter elements: the runs' own values, on the loss over those two elements with every
//     other weight at the first run's final value (for a model of two numbers, the whole surface);
//   - PCA: the principal directions of all the runs' sampled weights together, about their mean,
//     so that trajectories that leave one start in different directions are told apart (the runs
//     that diverged are projected but not counted: their huge weights would be all the variance).
//
// The surface is the first run's loss (its regularizers, its batch-norm statistics), stated under
// the plot when the runs differ in it.

import type { PreparedData } from "../runtime/train/prepare.ts";
import type { BackendRequest } from "../runtime/session.ts";
import { principalPlane } from "../runtime/analysis/pca.ts";
import { type Trace, TraceRecorder, type TracedPlane } from "../runtime/train/trace.ts";
import type { LoadedModel } from "./load.ts";
import { contourPlot } from "./report/landscape-plots.ts";
import type { Plot } from "./report/plot.ts";
import { traceAxes, type TraceSetup, traceSurface } from "./run-trace.ts";
import { UserError } from "./user-error.ts";

export const TRAJECTORY_PLOT_ID = "trajectory";

export class CompareTraces {
  private readonly recorders: TraceRecorder[] = [];
  private diverged: readonly boolean[] = [];

  constructor(
    private readonly setup: TraceSetup,
    private readonly parameters: number,
  ) {}

  // The runs must train one model, for their weights to be points of one space.
  static check(command: string, setup: TraceSetup | null, loadeds: readonly LoadedModel[]): void {
    if (!setup) return;
    const models = new Set(loadeds.map((l) => l.model.name));
    if (models.size > 1) throw new UserError(`nnc ${command}: --trace draws the runs on one plane of the weights, but they train different models (${[...models].join(", ")})`);
  }

  // A new run's recorder, for the loop's onParams (and its `run` record's stride).
  recorder(): TraceRecorder {
    const recorder = new TraceRecorder(this.setup.directions, this.parameters);
    this.recorders.push(recorder);
    return recorder;
  }

  // Which runs diverged, before the traces or the plot are asked for.
  setDiverged(diverged: readonly boolean[]): void {
    this.diverged = diverged;
  }

  // Each run's trace as JSON shows it (null for a run that recorded nothing), in the shared plane.
  traces(): (Trace | null)[] {
    return this.shared().traces;
  }

  // The contour plot with every run's trajectory, evaluated on the first run's model and state.
  // The grid covers the runs that did not diverge (a diverged one leaves it, clipped), or all of
  // them when every run diverged.
  async plot(input: {
    loaded: LoadedModel;
    data: PreparedData;
    state: Record<string, Float32Array>;
    request: BackendRequest;
    labels: readonly string[];
    log: (line: string) => void;
  }): Promise<Plot | null> {
    const { traces, plane, first } = this.shared();
    if (!plane || !first) return null;
    const axes = traceAxes(first, plane, this.setup.directions);
    const drawn = traces.flatMap((trace, i) => (trace ? [{ i, name: input.labels[i]!, group: input.labels[i]!, points: trace.points.map((p): [number, number] => [p.x, p.y]) }] : []));
    const covered = drawn.some((t) => !this.diverged[t.i]) ? drawn.filter((t) => !this.diverged[t.i]) : drawn;
    const trajectories = drawn.map(({ name, group, points }) => ({ name, group, points }));
    const points = covered.flatMap((t) => t.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const { surface } = await traceSurface({ ...input, plane, axes, points, grid: this.setup.grid });
    return contourPlot({ id: TRAJECTORY_PLOT_ID, title: "Trajectories on the loss surface", axes: [axes[0].label, axes[1].label], surface, trajectories });
  }

  private cached: { traces: (Trace | null)[]; plane: TracedPlane | null; first: Trace | null } | undefined;

  private shared(): { traces: (Trace | null)[]; plane: TracedPlane | null; first: Trace | null } {
    if (this.cached) return this.cached;
    if (this.setup.directions.kind === "elements") {
      const finished = this.recorders.map((r) => r.finish());
      const first = finished.find((f) => f !== null) ?? null;
      this.cached = { traces: finished.map((f) => f?.trace ?? null), plane: first?.plane ?? null, first: first?.trace ?? null };
      return this.cached;
    }
    const samples = this.recorders.map((r) => r.sampled());
    const counted = samples.filter((_, i) => !this.diverged[i]);
    const all = (counted.some((s) => s.length) ? counted : samples).flat();
    if (all.length === 0) return (this.cached = { traces: samples.map(() => null), plane: null, first: null });
    const origin = new Float64Array(this.parameters);
    for (const s of all) for (let i = 0; i < origin.length; i++) origin[i]! += s.params[i]! / all.length;
    const pca = principalPlane(all.map((s) => s.params), origin);
    const [d1, d2] = pca.directions;
    const traces = samples.map((sample, run): Trace | null => {
      if (sample.length === 0) return null;
      const points = sample.map(({ step, epoch, params }) => {
        let [x, y] = [0, 0];
        for (let i = 0; i < origin.length; i++) {
          x += (params[i]! - origin[i]!) * d1[i]!;
          y += (params[i]! - origin[i]!) * d2[i]!;
        }
        return { kind: "trace" as const, step, epoch, x, y };
      });
      return {
        plane: { kind: "trace_plane", format: "nnc-trace-1", directions: "pca", axes: ["PC1", "PC2"], parameters: this.parameters, step_stride: this.recorders[run]!.stepStride, full: false, explained: pca.explained, degenerate: pca.degenerate },
        points,
      };
    });
    this.cached = { traces, plane: { origin, directions: pca.directions }, first: traces.find((t) => t !== null) ?? null };
    return this.cached;
  }
}
