// The layer table: one row per layer a model or block can call, keyed by the name users write.
// Each row (see ./types.ts) holds the layer's signature, its shape rule and its lowering.

import { dense, maxout } from "./dense.ts";
import { conv2d, maxpool, avgpool } from "./conv.ts";
import { relu, sigmoid, tanh, softplus, identity, leaky_relu, softmax, log_softmax } from "./activations.ts";
import { flatten, reshape, concat, matmul } from "./shape-ops.ts";
import { dropout, batchnorm } from "./norm.ts";
import { exp, log, sqrt, abs, sum, mean } from "./math.ts";
import { rosenbrock, beale, himmelblau, saddle, monkey_saddle, bowl } from "./objectives.ts";
import type { LayerRow } from "./types.ts";

export const LAYERS: Record<string, LayerRow> = {
  dense,
  conv2d,
  maxpool,
  avgpool,
  flatten,
  reshape,
  concat,
  matmul,
  relu,
  sigmoid,
  tanh,
  identity,
  softmax,
  log_softmax,
  leaky_relu,
  softplus,
  maxout,
  dropout,
  batchnorm,
  exp,
  log,
  sqrt,
  abs,
  sum,
  mean,
  rosenbrock,
  beale,
  himmelblau,
  saddle,
  monkey_saddle,
  bowl,
};

export function layerRow(name: string): LayerRow | undefined {
  return Object.hasOwn(LAYERS, name) ? LAYERS[name] : undefined;
}

export type { LayerRow, LayerCall, LayerOutput, LowerContext } from "./types.ts";
