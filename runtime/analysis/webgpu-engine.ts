// The analysis on WebGPU: the curvature graph compiled for the device like any training graph
// (runtime/webgpu/compile.ts), in f32. Parameters, batch-norm statistics, the vector v and the
// chunk's examples are fed every run; the loss's weights are uniforms.

import type { CurvatureGraph } from "../../compiler/step/curvature.ts";
import { graphIo } from "../../compiler/step/programs.ts";
import type { Feeds } from "../cpu/types.ts";
import { createProgram } from "../webgpu/compile.ts";
import type { GpuContext } from "../webgpu/device.ts";
import type { GpuProgram } from "../webgpu/program.ts";
import { type Chunk, type CurvatureEngine, type LossAndGradient, type LossValue, offsetsOf, WEIGHT_INPUTS } from "./engine.ts";

export class WebGpuCurvatureEngine implements CurvatureEngine {
  readonly kind = "webgpu" as const;
  readonly precision = "f32" as const;
  readonly size: number;
  hvps = 0;
  private readonly theta: Float32Array;
  private readonly v: Float32Array;
  private readonly params: Record<string, Float32Array>;
  private readonly vectors: Record<string, Float32Array>;
  private readonly batchDim: string;
  // Compiled on first use: most analyses never evaluate the loss alone.
  private lossProgram: GpuProgram | null = null;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly curvature: CurvatureGraph,
    private readonly chunks: Chunk[],
    private readonly state: Record<string, Float32Array>,
    private readonly offsets: number[],
    private readonly gradientProgram: GpuProgram,
    private readonly hvpProgram: GpuProgram,
  ) {
    const graph = curvature.graph;
    this.size = offsetsOf(graph.params.map((p) => p.shape)).size;
    this.theta = new Float32Array(this.size);
    this.v = new Float32Array(this.size);
    const view = (flat: Float32Array, i: number) => flat.subarray(offsets[i]!, offsets[i]! + graph.params[i]!.shape.reduce((a, b) => a * b, 1));
    this.params = Object.fromEntries(graph.params.map((p, i) => [p.name, view(this.theta, i)]));
    this.vectors = Object.fromEntries(curvature.vectors.map((name, i) => [name, view(this.v, i)]));
    this.batchDim = graphIo(graph).batchDim;
  }

  static async create(gpu: GpuContext, curvature: CurvatureGraph, chunks: Chunk[], state: Record<string, Float32Array>): Promise<WebGpuCurvatureEngine> {
    const graph = curvature.graph;
    const out = (name: string) => graph.outputs[name]!;
    const gradientProgram = await createProgram(gpu, graph, [out(curvature.loss), out(curvature.dataLoss), out(curvature.regLoss), ...curvature.gradients.map(out)]);
    const hvpProgram = await createProgram(gpu, graph, curvature.products.map(out));
    const fullState = Object.fromEntries(graph.state.map((s) => [s.name, state[s.name] ?? new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(s.init)]));
    return new WebGpuCurvatureEngine(gpu, curvature, chunks, fullState, offsetsOf(graph.params.map((p) => p.shape)).offsets, gradientProgram, hvpProgram);
  }

  setParams(flat: Float64Array): void {
    this.theta.set(flat);
  }

  async loss(): Promise<LossValue> {
    const graph = this.curvature.graph;
    this.lossProgram ??= await createProgram(this.gpu, graph, [this.curvature.loss, this.curvature.dataLoss, this.curvature.regLoss].map((name) => graph.outputs[name]!));
    const value = { loss: 0, dataLoss: 0, regLoss: 0 };
    for (const chunk of this.chunks) {
      const [l, d, r] = await this.run(this.lossProgram, chunk);
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
      const [l, d, r, ...grads] = await this.run(this.gradientProgram, chunk);
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
    for (const chunk of this.chunks) this.accumulate(product, await this.run(this.hvpProgram, chunk));
    this.hvps++;
    return product;
  }

  dispose(): void {
    this.lossProgram?.destroy();
    this.gradientProgram.destroy();
    this.hvpProgram.destroy();
  }

  private run(program: GpuProgram, chunk: Chunk): Promise<Float32Array[]> {
    const inputs: Feeds["inputs"] = { ...chunk.inputs, ...this.vectors, [WEIGHT_INPUTS.data]: Float32Array.of(chunk.dataWeight), [WEIGHT_INPUTS.reg]: Float32Array.of(chunk.regWeight) };
    return program.run({ inputs, params: this.params, state: this.state }, { [this.batchDim]: chunk.size });
  }

  private accumulate(into: Float64Array, parts: ArrayLike<number>[]): void {
    parts.forEach((part, i) => {
      const offset = this.offsets[i]!;
      for (let j = 0; j < part.length; j++) into[offset + j]! += part[j]!;
    });
  }
}
