// The counter-based generator behind dropout masks, the same on every backend: an element's
// random bits are a hash of the step's seed, the mask's key (fixed per dropout layer) and the
// element's index, so a parallel kernel draws exactly what the CPU runtime draws, in any order.
// The hash is PCG's output permutation (M. O'Neill, "PCG: A Family of Simple Fast Space-Efficient
// Statistically Good Algorithms for Random Number Generation", 2014), applied in turn to the seed,
// the key and the index, as Jarzynski and Olano recommend for GPUs ("Hash Functions for GPU
// Rendering", JCGT 2020). The WGSL twin is `dropout_bits` in compiler/codegen/wgsl/expressions.ts.

export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

export function dropoutBits(seed: number, key: number, index: number): number {
  return pcgHash((index ^ pcgHash((key ^ pcgHash(seed)) >>> 0)) >>> 0);
}

// A dropout layer keeps an element unless its top 24 bits fall below p·2^24, an integer test that
// every backend evaluates alike.
export function dropThreshold(p: number): number {
  return Math.round(p * 16777216);
}

// A stable 32-bit key for a dropout layer, from its path in the model (FNV-1a).
export function dropoutKey(path: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}
