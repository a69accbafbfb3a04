// A run's parameter trajectory (`nnc run --trace`): the weights before the first step and after
// every k-th step and the last, k being the history's step stride (history.ts), so the loss of the
// history's step record s was computed at the trace's point s − 1. The loop hands the weights over
// (loop.ts: `onParams`); this file decides what to keep:
//
//   - two parameter elements (`--trace-dirs w[0],w[1]`, and the default for a model of two numbers):
//     each point is those two values, recorded as it comes;
//   - `pca`: the trajectory's two principal directions about the final weights (analysis/pca.ts).
//     They are known only at the end, so whole parameter vectors are kept meanwhile: a sample of at
//     most `pcaSampleLimit(n)` of them (fewer for larger models, so that the memory, k·n floats,
//     and the k²·n products of the Gram matrix stay bounded), thinned evenly by dropping every
//     other one when full. The points are the sample's projections, recorded when the run ends.
//
// A model of at most FULL_PARAMS_LIMIT parameters also records every point's whole vector, so a
// trajectory read back from a log can be projected on any plane (`nnc analyze --landscape
// --trace-from`). Pure: the command line streams and draws the records.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import { principalPlane } from "../analysis/pca.ts";

export const TRACE_FORMAT = "nnc-trace-1";
export const FULL_PARAMS_LIMIT = 64;

export interface TraceElement {
  label: string; // as the user wrote it: `w[0]`, `h1.weight[3,2]`
  index: number; // in the flat parameter vector
}

export type TraceDirections = { kind: "elements"; elements: [TraceElement, TraceElement] } | { kind: "pca" };

export interface TracePlaneRecord {
  kind: "trace_plane";
  format: typeof TRACE_FORMAT;
  directions: "elements" | "pca";
  axes: [string, string]; // the coordinates' names: the two elements, or `PC1`, `PC2`
  parameters: number; // the model's, all together
  step_stride: number;
  full: boolean; // whether each point holds its whole parameter vector (`params`)
  // PCA: each direction's share of the trajectory's squared distance from the final weights, the
  // sample's limit and size, and whether the trajectory was a line (the second direction arbitrary).
  explained?: [number, number];
  sample_limit?: number;
  degenerate?: boolean;
}

export interface TraceRecord {
  kind: "trace";
  step: number; // optimizer steps taken (0: the starting weights)
  epoch: number; // the epoch of that step (the epoch before the first, for the start)
  x: number;
  y: number;
  params?: number[];
}

export interface Trace {
  plane: TracePlaneRecord;
  points: TraceRecord[];
}

// The plane the points are coordinates in, with whole vectors: the final weights and two unit
// directions (elements: eᵢ, eⱼ; PCA: the principal directions). A point is origin + x·d₁ + y·d₂,
// less the origin's own coordinates for elements (whose x, y are the elements' values).
export interface TracedPlane {
  origin: Float64Array;
  directions: [Float64Array, Float64Array];
}

// How many whole parameter vectors PCA may keep: at most 400, and fewer for large models, so that
// the sample (k·n floats) stays under 2^25 values and the Gram matrix (k²·n products) under 2e9.
export function pcaSampleLimit(parameters: number): number {
  return Math.max(8, Math.min(400, Math.floor(2 ** 25 / parameters), Math.floor(Math.sqrt(2e9 / parameters))));
}

export class TraceRecorder {
  private readonly points: TraceRecord[] = [];
  private sample: { record: TraceRecord; params: Float32Array }[] = [];
  private keepEvery = 1; // PCA: of the points offered, the sample keeps every keepEvery-th
  private offered = 0;
  private last: { record: TraceRecord; params: Float32Array } | null = null;
  private readonly full: boolean;
  private readonly limit: number;
  private stride = 1;

  get stepStride(): number {
    return this.stride;
  }

  constructor(
    private readonly directions: TraceDirections,
    private readonly parameters: number,
    private readonly emit: (record: TracePlaneRecord | TraceRecord) => void = () => {},
  ) {
    this.full = parameters <= FULL_PARAMS_LIMIT;
    this.limit = pcaSampleLimit(parameters);
  }

  // The run's history stride, from its `run` record, before the first point; an elements trace
  // emits its plane now, right after the `run` record.
  start(stride: number): void {
    this.stride = stride;
    if (this.directions.kind === "elements") this.emit(this.planeRecord());
  }

  // The weights after `step` steps (the loop's `onParams`; a vector of its own, kept as it is).
  readonly record = (point: { step: number; epoch: number }, params: Float32Array): void => {
    if (this.directions.kind === "elements") {
      const [a, b] = this.directions.elements;
      const record: TraceRecord = { kind: "trace", step: point.step, epoch: point.epoch, x: params[a.index]!, y: params[b.index]! };
      if (this.full) record.params = Array.from(params);
      this.points.push(record);
      this.last = { record, params };
      this.emit(record);
      return;
    }
    const entry = { record: { kind: "trace" as const, step: point.step, epoch: point.epoch, x: 0, y: 0 }, params };
    this.last = entry;
    if (this.offered++ % this.keepEvery !== 0) return;
    this.sample.push(entry);
    if (this.sample.length > this.limit) {
      this.sample = this.sample.filter((_, i) => i % 2 === 0);
      this.keepEvery *= 2;
    }
  };

  // The trajectory, and its plane in whole vectors (null before any point). For PCA this computes
  // the directions and emits the plane and the points.
  finish(seed = 0): { trace: Trace; plane: TracedPlane } | null {
    if (!this.last) return null;
    this.finished ??= this.close(seed);
    return this.finished;
  }

  private finished: { trace: Trace; plane: TracedPlane } | undefined;

  // PCA: the whole vectors kept, the last point included (for a plane shared by several runs,
  // `nnc compare --trace`); empty for elements.
  sampled(): { step: number; epoch: number; params: Float32Array }[] {
    if (this.directions.kind === "elements" || !this.last) return [];
    const sample = this.sample.at(-1) === this.last ? this.sample : [...this.sample, this.last];
    return sample.map(({ record, params }) => ({ step: record.step, epoch: record.epoch, params }));
  }

  private close(seed: number): { trace: Trace; plane: TracedPlane } {
    if (!this.last) throw new InternalError("a trace closed before its first point");
    const origin = Float64Array.from(this.last.params);
    if (this.directions.kind === "elements") {
      const [a, b] = this.directions.elements;
      return { trace: { plane: this.planeRecord(), points: this.points }, plane: { origin, directions: [unit(origin.length, a.index), unit(origin.length, b.index)] } };
    }
    if (this.sample.at(-1) !== this.last) this.sample.push(this.last);
    const pca = principalPlane(this.sample.map((s) => s.params), origin, seed);
    const plane = this.planeRecord({ explained: pca.explained, sample_limit: this.limit, degenerate: pca.degenerate });
    this.emit(plane);
    const [d1, d2] = pca.directions;
    for (const { record, params } of this.sample) {
      let x = 0;
      let y = 0;
      for (let i = 0; i < origin.length; i++) {
        const diff = params[i]! - origin[i]!;
        x += diff * d1[i]!;
        y += diff * d2[i]!;
      }
      record.x = x;
      record.y = y;
      if (this.full) record.params = Array.from(params);
      this.points.push(record);
      this.emit(record);
    }
    return { trace: { plane, points: this.points }, plane: { origin, directions: pca.directions } };
  }

  private planeRecord(pca: Pick<TracePlaneRecord, "explained" | "sample_limit" | "degenerate"> = {}): TracePlaneRecord {
    const axes: [string, string] = this.directions.kind === "elements" ? [this.directions.elements[0].label, this.directions.elements[1].label] : ["PC1", "PC2"];
    return {
      kind: "trace_plane",
      format: TRACE_FORMAT,
      directions: this.directions.kind,
      axes,
      parameters: this.parameters,
      step_stride: this.stride,
      full: this.full,
      ...pca,
    };
  }
}

function unit(size: number, index: number): Float64Array {
  const d = new Float64Array(size);
  d[index] = 1;
  return d;
}
