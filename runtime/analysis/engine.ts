// What the analysis asks of a backend: at the weights it was last given, the training loss (its
// data term and regularizer), the gradient, and Hessian-vector products, each summed over the
// training examples in chunks (compiler/step/curvature.ts says why that is exact). Vectors are
// flat Float64Arrays over every parameter, in the graph's parameter order. The CPU engine computes
// in f64; the WebGPU engine in f32, as it trains.

import { DATA_WEIGHT, REG_WEIGHT, type CurvatureGraph } from "../../compiler/step/curvature.ts";
import { graphIo } from "../../compiler/step/programs.ts";
import { type Dataset, type TargetArray, targetFeed } from "../data/dataset.ts";

export interface LossValue {
  loss: number;
  dataLoss: number;
  regLoss: number;
}

export interface LossAndGradient extends LossValue {
  gradient: Float64Array;
}

// Calls must not overlap: each one evaluates at the weights last given to `setParams`.
export interface CurvatureEngine {
  readonly kind: "cpu" | "webgpu";
  readonly precision: "f64" | "f32";
  readonly size: number; // the number of parameters, all together
  setParams(flat: Float64Array): void;
  // The loss alone, a forward pass (the landscape's many points need no gradient).
  loss(): Promise<LossValue>;
  lossAndGradient(): Promise<LossAndGradient>;
  hvp(v: Float64Array): Promise<Float64Array>;
  readonly hvps: number; // Hessian-vector products computed so far
  dispose(): void;
}

// One run's share of the data: its feeds, the batch size and the two weights of the loss.
export interface Chunk {
  inputs: Record<string, Float32Array | TargetArray>;
  size: number;
  dataWeight: number;
  regWeight: number;
}

// The examples the loss is summed over, as chunks of at most `chunkSize`; one chunk without feeds
// for a model without data.
export function chunksOf(curvature: CurvatureGraph, dataset: Dataset | null, reduction: "mean" | "sum", chunkSize: number): Chunk[] {
  const io = graphIo(curvature.graph);
  if (io.input === null || dataset === null) return [{ inputs: {}, size: 1, dataWeight: 1, regWeight: 1 }];
  const targets = targetFeed(dataset);
  const chunks: Chunk[] = [];
  for (let start = 0; start < dataset.n; start += chunkSize) {
    const size = Math.min(chunkSize, dataset.n - start);
    const inputs: Chunk["inputs"] = { [io.input]: dataset.features.subarray(start * dataset.featureSize, (start + size) * dataset.featureSize) };
    if (io.target !== null) inputs[io.target] = targets.subarray(start * dataset.targetSize, (start + size) * dataset.targetSize);
    chunks.push({ inputs, size, dataWeight: reduction === "mean" ? size / dataset.n : 1, regWeight: start === 0 ? 1 : 0 });
  }
  return chunks;
}

export const WEIGHT_INPUTS = { data: DATA_WEIGHT, reg: REG_WEIGHT };

// The offsets of each parameter in the flat vectors.
export function offsetsOf(shapes: number[][]): { offsets: number[]; size: number } {
  const offsets: number[] = [];
  let size = 0;
  for (const shape of shapes) {
    offsets.push(size);
    size += shape.reduce((a, b) => a * b, 1);
  }
  return { offsets, size };
}

// What both engines share: the loss, the gradient and Hessian-vector products summed over the
// chunks. An engine says how to run one of its three programs on a chunk (the loss's three values
// first; then the gradient's or the product's parts, one per parameter) and where the vector v goes.
export type ProgramKind = "loss" | "gradient" | "hvp";

export abstract class ChunkedEngine {
  hvps = 0;

  constructor(
    protected readonly chunks: Chunk[],
    protected readonly offsets: number[],
    readonly size: number,
  ) {}

  protected abstract run(kind: ProgramKind, chunk: Chunk): Promise<ArrayLike<number>[]>;
  protected abstract setVector(v: Float64Array): void;

  async loss(): Promise<LossValue> {
    const value = { loss: 0, dataLoss: 0, regLoss: 0 };
    for (const chunk of this.chunks) addLosses(value, await this.run("loss", chunk));
    return value;
  }

  async lossAndGradient(): Promise<LossAndGradient> {
    const value = { loss: 0, dataLoss: 0, regLoss: 0, gradient: new Float64Array(this.size) };
    for (const chunk of this.chunks) {
      const [l, d, r, ...grads] = await this.run("gradient", chunk);
      addLosses(value, [l!, d!, r!]);
      this.accumulate(value.gradient, grads);
    }
    return value;
  }

  async hvp(v: Float64Array): Promise<Float64Array> {
    this.setVector(v);
    const product = new Float64Array(this.size);
    for (const chunk of this.chunks) this.accumulate(product, await this.run("hvp", chunk));
    this.hvps++;
    return product;
  }

  private accumulate(into: Float64Array, parts: ArrayLike<number>[]): void {
    parts.forEach((part, i) => {
      const offset = this.offsets[i]!;
      for (let j = 0; j < part.length; j++) into[offset + j]! += part[j]!;
    });
  }
}

function addLosses(value: LossValue, [l, d, r]: ArrayLike<number>[]): void {
  value.loss += l![0]!;
  value.dataLoss += d![0]!;
  value.regLoss += r![0]!;
}
