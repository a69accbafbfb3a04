// Micro-benchmark of the CPU matmul on the shapes of a 784→256→256→10 MLP training step with
// batch 128 (forward, and the two backward products of each dense layer). Prints GFLOP/s per
// shape so the block sizes in runtime/cpu/matmul.ts can be tuned. Not a test: run it with
//   node --import tsx bench/cpu-matmul.ts

import { matmul } from "../runtime/cpu/matmul.ts";

interface Case {
  name: string;
  m: number;
  n: number;
  k: number;
  ta: boolean;
  tb: boolean;
}

const batch = 128;
const cases: Case[] = [];
for (const [inp, out] of [[784, 256], [256, 256], [256, 10]] as const) {
  // forward x[B,in] · Wᵀ (W is [out, in]); backward dX = G·W; dW = Gᵀ·X.
  cases.push({ name: `fwd ${inp}->${out}`, m: batch, n: out, k: inp, ta: false, tb: true });
  if (inp !== 784) cases.push({ name: `dX  ${inp}->${out}`, m: batch, n: inp, k: out, ta: false, tb: false });
  cases.push({ name: `dW  ${inp}->${out}`, m: out, n: inp, k: batch, ta: true, tb: false });
}

function random(size: number): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

let totalFlops = 0;
let totalSeconds = 0;
for (const c of cases) {
  const a = random(c.m * c.k);
  const b = random(c.k * c.n);
  const out = new Float32Array(c.m * c.n);
  const flops = 2 * c.m * c.n * c.k;
  const reps = Math.max(5, Math.ceil(2e9 / flops));
  for (let i = 0; i < 3; i++) matmul(a, 0, b, 0, out, 0, c.m, c.n, c.k, c.ta, c.tb, false);
  const start = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) matmul(a, 0, b, 0, out, 0, c.m, c.n, c.k, c.ta, c.tb, false);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  totalFlops += flops;
  totalSeconds += seconds / reps;
  const label = `${c.name}  [${c.m}x${c.k}]${c.ta ? "ᵀ" : ""}·[${c.k}x${c.n}]${c.tb ? "ᵀ" : ""}`;
  console.log(`${label.padEnd(44)} ${((flops * reps) / seconds / 1e9).toFixed(2).padStart(7)} GFLOP/s`);
}
console.log(`${"one MLP step's matmuls".padEnd(44)} ${(totalFlops / totalSeconds / 1e9).toFixed(2).padStart(7)} GFLOP/s  (${(totalSeconds * 1e3).toFixed(2)} ms)`);
