// The analysis on the CPU runtime: the curvature graph run by CpuProgram in f64, so the Hessian's
// eigenvalues are not limited by float32 rounding. Parameters and the vector v are fed as views
// of two flat Float64Arrays, which the programs read in place.

import type { CurvatureGraph } from "../../compiler/step/curvature.ts";
import { graphIo } from "../../compiler/step/programs.ts";
import { CpuProgram } from "../cpu/executor.ts";
import type { Feeds } from "../cpu/types.ts";
import { type Chunk, ChunkedEngine, type CurvatureEngine, offsetsOf, type ProgramKind, WEIGHT_INPUTS } from "./engine.ts";

export class CpuCurvatureEngine extends ChunkedEngine implements CurvatureEngine {
  readonly kind = "cpu" as const;
  readonly precision = "f64" as const;
  private readonly theta: Float64Array;
  private readonly v: Float64Array;
  private readonly lossProgram: CpuProgram;
  private readonly gradientProgram: CpuProgram;
  private readonly hvpProgram: CpuProgram;
  private readonly params: Feeds["params"];
  private readonly state: Feeds["state"];
  private readonly vectors: Record<string, Float64Array>;
  private readonly batchDim: string;

  constructor(curvature: CurvatureGraph, chunks: Chunk[], state: Record<string, Float32Array>) {
    const graph = curvature.graph;
    const { offsets, size } = offsetsOf(graph.params.map((p) => p.shape));
    super(chunks, offsets, size);
    this.theta = new Float64Array(size);
    this.v = new Float64Array(size);
    const view = (flat: Float64Array, i: number) => flat.subarray(offsets[i]!, offsets[i]! + (graph.params[i]!.shape.reduce((a, b) => a * b, 1)));
    this.params = Object.fromEntries(graph.params.map((p, i) => [p.name, view(this.theta, i)]));
    this.vectors = Object.fromEntries(curvature.vectors.map((name, i) => [name, view(this.v, i)]));
    this.state = Object.fromEntries(graph.state.map((s) => [s.name, Float64Array.from(state[s.name] ?? new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(s.init))]));
    const out = (name: string) => graph.outputs[name]!;
    const losses = [out(curvature.loss), out(curvature.dataLoss), out(curvature.regLoss)];
    this.lossProgram = new CpuProgram(graph, losses, { precision: "f64" });
    this.gradientProgram = new CpuProgram(graph, [...losses, ...curvature.gradients.map(out)], { precision: "f64" });
    this.hvpProgram = new CpuProgram(graph, curvature.products.map(out), { precision: "f64" });
    this.batchDim = graphIo(graph).batchDim;
  }

  setParams(flat: Float64Array): void {
    this.theta.set(flat);
  }

  dispose(): void {}

  protected setVector(v: Float64Array): void {
    this.v.set(v);
  }

  protected async run(kind: ProgramKind, chunk: Chunk): Promise<ArrayLike<number>[]> {
    const program = kind === "loss" ? this.lossProgram : kind === "gradient" ? this.gradientProgram : this.hvpProgram;
    const inputs: Feeds["inputs"] = { ...chunk.inputs, ...this.vectors, [WEIGHT_INPUTS.data]: Float64Array.of(chunk.dataWeight), [WEIGHT_INPUTS.reg]: Float64Array.of(chunk.regWeight) };
    return program.run({ inputs, params: this.params, state: this.state }, { [this.batchDim]: chunk.size });
  }
}
