// Initial weights, with PyTorch's formulas (torch.nn.init): fan_in and fan_out come from the
// parameter's layer (ParamInfo.fanIn/fanOut, computed as _calculate_fan_in_and_fan_out does).
// Each parameter draws from its own stream, Rng.derive(seed, name), so a seed gives the same
// weights on every backend and adding a layer leaves the other layers' weights unchanged.

import type { Initializer, ParamInfo, StateInfo } from "../../compiler/ir/graph.ts";
import { Rng } from "../rng.ts";

export function initializeParams(params: ParamInfo[], seed: number): Float32Array[] {
  return params.map((param) => {
    const size = param.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    fill(values, param.init, param, Rng.derive(seed, param.name));
    return values;
  });
}

export function initializeState(state: StateInfo[]): Float32Array[] {
  return state.map((s) => new Float32Array(s.shape.reduce((a, b) => a * b, 1)).fill(s.init));
}

function fill(values: Float32Array, init: Initializer, param: ParamInfo, rng: Rng): void {
  const uniform = (bound: number) => values.forEach((_, i) => (values[i] = (rng.uniform() * 2 - 1) * bound));
  const normal = (mean: number, std: number) => values.forEach((_, i) => (values[i] = mean + std * rng.normal()));
  const { fanIn, fanOut } = param;
  switch (init.kind) {
    case "zeros":
      return void values.fill(0);
    case "ones":
      return void values.fill(1);
    case "constant":
      return void values.fill(init.value);
    case "values":
      return void values.set(init.values);
    case "uniform":
      return void values.forEach((_, i) => (values[i] = init.low + (init.high - init.low) * rng.uniform()));
    case "normal":
      return normal(init.mean, init.std);
    case "glorot_uniform":
      return uniform(init.gain * Math.sqrt(6 / (fanIn + fanOut)));
    case "glorot_normal":
      return normal(0, init.gain * Math.sqrt(2 / (fanIn + fanOut)));
    case "he_uniform":
      return uniform(init.gain * Math.sqrt(3 / fanIn));
    case "he_normal":
      return normal(0, init.gain / Math.sqrt(fanIn));
    case "torch_default":
      // kaiming_uniform_(a=√5) for weights is U(±1/√fan_in); biases use the same bound.
      return uniform(fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0);
  }
}
