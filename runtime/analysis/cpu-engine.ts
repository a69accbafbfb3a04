// The analysis on the CPU runtime: the curvature graph run by CpuProgram in f64, so the Hessian's
// eigenvalues are not limited by float32 rounding. Parameters and the vector v are fed as views
// of two flat Float64Arrays, which the programs read in place.

import type { CurvatureGraph } from "../../compiler/step/curvature.ts";
import { graphIo } from "../../compiler/step/programs.ts";
import { CpuProgram } from "../cpu/executor.ts";
import type { Feeds } from "../cpu/types.ts";
import { type Chunk, type CurvatureEngine, type LossAndGradient, type LossValue, offsetsOf, WEIGHT_INPUTS } from "./engine.ts";

export class CpuCurvatureEngine implements CurvatureEngine {
  readonly kind = "cpu" as const;
  readonly precision = "f64" as const;
  readonly size: number;
  hvps = 0;
  private readonly theta: Float64Array;
  private readonly v: Float64Array;
  private readonly offsets: number[];
  private readonly lossProgram: CpuProgram;
  private readonly gradientProgram: CpuProgram;
  private readonly hvpProgram: CpuProgram;
  private readonly params: Feeds["params"];
  private readonly state: Feeds["state"];
  private readonly vectors: Record<string, Float64Array>;
  private readonly batchDim: string;

  constructor(
    private readonly curvature: CurvatureGraph,
    private readonly chunks: Chunk[],
    state: Record<string, Float32Array>,
  ) {
    const graph = curvature.graph;
    const { offsets, size } = offsetsOf(graph.params.map((p) => p.shape));
    this.offsets = offsets;
    this.size = size;
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

  async loss(): Promise<LossValue> {
    const value = { loss: 0, dataLoss: 0, regLoss: 0 };
    for (const chunk of this.chunks) {
      const [l, d, r] = this.run(this.lossProgram, chunk);
      value.loss += l![0]!;
      value.dataLoss += d![0]!;
      value.regLoss += r![0]!;
    }
    return value;
  }

  async lossAndGradient(): Promise<LossAndGradient> {
    const gradient = new Float64Array(this.size);
    let loss = 0;
    let dataLoss = 0;
    let regLoss = 0;
    for (const chunk of this.chunks) {
      const [l, d, r, ...grads] = this.run(this.gradientProgram, chunk);
      loss += l![0]!;
      dataLoss += d![0]!;
      regLoss += r![0]!;
      this.accumulate(gradient, grads);
    }
    return { loss, dataLoss, regLoss, gradient };
  }

  async hvp(v: Float64Array): Promise<Float64Array> {
    this.v.set(v);
    const product = new Float64Array(this.size);
    for (const chunk of this.chunks) this.accumulate(product, this.run(this.hvpProgram, chunk));
    this.hvps++;
    return product;
  }

  dispose(): void {}

  private run(program: CpuProgram, chunk: Chunk): ArrayLike<number>[] {
    const inputs: Feeds["inputs"] = { ...chunk.inputs, ...this.vectors, [WEIGHT_INPUTS.data]: Float64Array.of(chunk.dataWeight), [WEIGHT_INPUTS.reg]: Float64Array.of(chunk.regWeight) };
    return program.run({ inputs, params: this.params, state: this.state }, { [this.batchDim]: chunk.size });
  }

  private accumulate(into: Float64Array, parts: ArrayLike<number>[]): void {
    parts.forEach((part, i) => {
      const offset = this.offsets[i]!;
      for (let j = 0; j < part.length; j++) into[offset + j]! += part[j]!;
    });
  }
}
