// A small seeded pseudo-random generator (xoshiro128**, seeded through splitmix32) used for
// everything random in nnc: initial weights, shuffling, dropout masks and synthetic data. The same
// seed gives the same stream on every platform, so a run is bit-for-bit repeatable on the CPU
// runtime and every backend starts from the same weights. It is not PyTorch's generator, so
// weights drawn by nnc differ from PyTorch's for the same seed (load them with --init to compare).

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.s0 = this.s1 = this.s2 = this.s3 = 0;
    this.reseed(seed);
  }

  // Restarts the stream from `seed`, as `new Rng(seed)` would, without allocating (the training
  // loop reseeds one generator every step).
  reseed(seed: number): void {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.spareNormal = null;
  }

  // A new generator whose stream depends only on this seed and `key` (e.g. a parameter's name), so
  // adding a layer does not change the draws of the others.
  static derive(seed: number, key: string): Rng {
    let h = seed >>> 0 ^ 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
    return new Rng(h);
  }

  // A uniform 32-bit unsigned integer.
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  // Uniform in [0, 1).
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  // Uniform integer in [0, n).
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  // Standard normal (Box–Muller).
  normal(): number {
    if (this.spareNormal !== null) {
      const value = this.spareNormal;
      this.spareNormal = null;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  // Fisher–Yates shuffle of 0..n-1.
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
