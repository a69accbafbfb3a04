// What every first-order optimizer shares: the Optimizer interface, the shape of its saved state,
// and the bookkeeping that keeps per-parameter buffers allocated once and copied exactly on
// save and load. Kept apart from index.ts so the optimizer files can import it without a cycle.

// An optimizer's state as plain data, so a checkpoint can store it under names such as
// `optimizer.exp_avg.<i>` (tensor `exp_avg`, parameter i) and `optimizer.step`, and a resumed run
// continues exactly where the saved one stopped. Tensors hold one array per parameter.
export interface OptimizerState {
  scalars: Record<string, number>;
  tensors: Record<string, Float32Array[]>;
}

// A first-order optimizer: one update of every parameter from its gradient. The learning rate is
// an argument of every step because the schedule, not the optimizer, owns it; so is the momentum
// (SGD's and RMSProp's `momentum`, Adam's β1) when a schedule cycles it, as PyTorch's CyclicLR
// rewrites the optimizer's momentum before each step. Optimizers without momentum ignore it.
export interface Optimizer {
  readonly kind: string;
  step(params: Float32Array[], grads: Float32Array[], lr: number, momentum?: number): void;
  saveState(): OptimizerState;
  loadState(state: OptimizerState): void;
}

// One zero-filled (or `fill`-filled) buffer per parameter, allocated once when first needed.
export function allocateBuffers(sizes: readonly number[], fill = 0): Float32Array[] {
  return sizes.map((size) => new Float32Array(size).fill(fill));
}

// Copies of the buffers, so a saved state does not change as training goes on.
export function copyBuffers(buffers: readonly Float32Array[]): Float32Array[] {
  return buffers.map((buffer) => buffer.slice());
}

// A saved optimizer state that does not fit the optimizer (a missing or mis-sized tensor, a bad
// step count): the checkpoint loader matches only the weights against the model, so a hand-edited
// or crafted file reaches loadState, which throws this rather than training on from a silently
// wrong state. The run reports it as a problem of the file it resumes from.
export class OptimizerStateError extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = "OptimizerStateError";
  }
}

// Reads the saved tensor `name` into freshly allocated buffers of the expected sizes.
export function restoreBuffers(state: OptimizerState, name: string, sizes: readonly number[]): Float32Array[] {
  const saved = state.tensors[name];
  if (!saved || saved.length !== sizes.length) {
    throw new OptimizerStateError(`the optimizer's \`${name}\` has ${saved?.length ?? 0} tensors, but the model has ${sizes.length} parameters`);
  }
  return saved.map((tensor, i) => {
    if (tensor.length !== sizes[i]) {
      throw new OptimizerStateError(`the optimizer's \`${name}\` number ${i + 1} has ${tensor.length} values, but its parameter has ${sizes[i]}`);
    }
    return Float32Array.from(tensor);
  });
}

// The saved step count, which every optimizer keeps (PyTorch's `state["step"]`).
export function restoreStep(state: OptimizerState): number {
  const step = state.scalars.step;
  if (step === undefined || !Number.isInteger(step) || step < 0) {
    throw new OptimizerStateError(`the optimizer's \`step\` must be a whole number ≥ 0, but it is ${step}`);
  }
  return step;
}
