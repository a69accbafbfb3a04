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
// an argument of every step because the schedule, not the optimizer, owns it.
export interface Optimizer {
  readonly kind: string;
  step(params: Float32Array[], grads: Float32Array[], lr: number): void;
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

// Reads the saved tensor `name` into freshly allocated buffers of the expected sizes. A missing or
// mis-sized tensor is an internal error (the checkpoint loader has already matched the model), so
// it throws rather than training on from a silently wrong state.
export function restoreBuffers(state: OptimizerState, name: string, sizes: readonly number[]): Float32Array[] {
  const saved = state.tensors[name];
  if (!saved || saved.length !== sizes.length) {
    throw new Error(`internal error: optimizer state '${name}' has ${saved?.length ?? 0} tensors, expected ${sizes.length}`);
  }
  return saved.map((tensor, i) => {
    if (tensor.length !== sizes[i]) {
      throw new Error(`internal error: optimizer state '${name}.${i}' has ${tensor.length} values, expected ${sizes[i]}`);
    }
    return Float32Array.from(tensor);
  });
}

// The saved step count, which every optimizer keeps (PyTorch's `state["step"]`).
export function restoreStep(state: OptimizerState): number {
  const step = state.scalars.step;
  if (step === undefined || !Number.isInteger(step) || step < 0) {
    throw new Error(`internal error: optimizer state has no valid 'step' (got ${step})`);
  }
  return step;
}
