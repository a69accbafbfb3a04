// L-BFGS works on all parameters as one flat vector, as PyTorch's LBFGS does with its
// `_gather_flat_grad`, `_add_grad`, `_clone_param` and `_set_param`. These helpers map between the
// model's list of parameter arrays and such a vector without allocating, and give the few vector
// reductions it needs. Sums run in float64 over float32 values.

// Copies the arrays end to end into `flat` (parameters or gradients, in parameter order).
export function gather(arrays: readonly Float32Array[], flat: Float32Array): void {
  let offset = 0;
  for (const array of arrays) {
    flat.set(array, offset);
    offset += array.length;
  }
  if (offset !== flat.length) {
    throw new Error(`internal error: L-BFGS expected ${flat.length} values in all, got ${offset}`);
  }
}

// Copies `flat` back into the arrays (PyTorch's `_set_param`).
export function scatter(flat: Float32Array, arrays: Float32Array[]): void {
  let offset = 0;
  for (const array of arrays) {
    array.set(flat.subarray(offset, offset + array.length));
    offset += array.length;
  }
}

// θ ← θ + t·d over the arrays, in place (PyTorch's `_add_grad(t, d)`).
export function addScaled(arrays: Float32Array[], t: number, d: Float32Array): void {
  let offset = 0;
  for (const array of arrays) {
    for (let i = 0; i < array.length; i++) array[i] = array[i]! + t * d[offset + i]!;
    offset += array.length;
  }
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

// max |a_i|: the infinity norm that L-BFGS's tolerances compare against.
export function absMax(a: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    // A NaN makes the result NaN (as torch.max does), so no tolerance test passes on it.
    if (Number.isNaN(v)) return NaN;
    if (v > max) max = v;
  }
  return max;
}

export function absSum(a: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]!);
  return sum;
}
