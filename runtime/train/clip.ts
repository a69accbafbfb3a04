// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_ (2-norm): when the norm of
// all gradients together exceeds max_norm, every gradient is scaled by the same factor, so the
// update keeps its direction and only its length is capped. Training clips inside the step graph
// (compiler/step/clip.ts); this per-element form is the oracle that graph is tested against.

// The 2-norm of all gradients taken as one vector, summed in float64.
export function globalNorm(grads: readonly Float32Array[]): number {
  let sum = 0;
  for (const grad of grads) sum += squaredSum(grad);
  return Math.sqrt(sum);
}


// Scales the gradients in place so their global norm is at most maxNorm, and returns the norm
// before clipping. As in PyTorch the factor is maxNorm / (norm + 1e-6), so a clipped norm lands a
// hair under maxNorm, and the gradients are left untouched when that factor is not below 1.
// An infinite norm gives the factor 0, applied as in PyTorch. A NaN norm gives a NaN factor, which
// PyTorch would apply (turning every gradient into NaN); it is not below 1 here, so the gradients
// are left as they are and the non-finite loss is reported by the training loop's guard instead.
export function clipGradNorm(grads: Float32Array[], maxNorm: number): number {
  const total = globalNorm(grads);
  const scale = maxNorm / (total + 1e-6);
  if (scale < 1) {
    for (const grad of grads) {
      for (let i = 0; i < grad.length; i++) grad[i] = grad[i]! * scale;
    }
  }
  return total;
}

function squaredSum(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return sum;
}
