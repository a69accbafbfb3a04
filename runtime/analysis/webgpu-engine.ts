// The analysis on WebGPU: the curvature graph compiled for the device like any training graph
// (runtime/webgpu/compile.ts), in f32. Parameters, batch-norm statistics, the vector v and the
// chunk's examples are fed every run; the loss's weights are uniforms.

import type { CurvatureGraph } from "../../compiler/step/curvature.ts";
import { graphIo } from "../../compiler/step/programs.ts";
import type { Feeds } from "../cpu/types.ts";
import { createProgram } from "../webgpu/compile.ts";
import type { GpuContext } from "../webgpu/device.ts";
import type { GpuProgram } from "../webgpu/program.ts";
import { type Chunk, ChunkedEngine, type CurvatureEngine, offsetsOf, type ProgramKind, WEIGHT_INPUTS } from "./engine.ts";

export class WebGpuCurvatureEngine extends ChunkedEngine implements CurvatureEngine {
  readonly kind = "webgpu" as const;
  readonly precision = "f32" as const;
  private readonly theta: Float32Array;
  private readonly v: Float32Array;
  private readonly params: Record<string, Float32Array>;
  private readonly vectors: Record<string, Float32Array>;
  private readonly batchDim: string;
  private lossProgram: GpuProgram | null = null;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly curvature: CurvatureGraph,
    chunks: Chunk[],
    private readonly state: Record<string, Float32Array>,
    offsets: number[],
    private readonly gradientProgram: GpuProgram,
    private readonly hvpProgram: GpuProgram,
  ) {
    super(chunks, offsets, offsetsOf(curvature.graph.params.map((p) => p.shape)).size);
    const graph = curvature.graph;
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

  dispose(): void {
    this.lossProgram?.destroy();
    this.gradientProgram.destroy();
    this.hvpProgram.destroy();
  }

  protected setVector(v: Float64Array): void {
    this.v.set(v);
  }

  protected async run(kind: ProgramKind, chunk: Chunk): Promise<Float32Array[]> {
    const graph = this.curvature.graph;
    // The loss alone is compiled on first use: most analyses never evaluate it apart.
    if (kind === "loss") this.lossProgram ??= await createProgram(this.gpu, graph, [this.curvature.loss, this.curvature.dataLoss, this.curvature.regLoss].map((name) => graph.outputs[name]!));
    const program = kind === "loss" ? this.lossProgram! : kind === "gradient" ? this.gradientProgram : this.hvpProgram;
    const inputs: Feeds["inputs"] = { ...chunk.inputs, ...this.vectors, [WEIGHT_INPUTS.data]: Float32Array.of(chunk.dataWeight), [WEIGHT_INPUTS.reg]: Float32Array.of(chunk.regWeight) };
    return program.run({ inputs, params: this.params, state: this.state }, { [this.batchDim]: chunk.size });
  }
}
