// The CPU matrix product C = op(A)·op(B), the kernel most of a training step's time goes to.
//
// It follows the BLIS scheme: C is computed in blocks; for each block of k, a block of B and then
// a block of A are copied ("packed") into small contiguous panels of 3 columns / 4 rows, in the
// order the inner loop reads them. Packing is where the transpose flags are handled (it reads
// either layout), so the inner loop never sees them and always walks memory contiguously. The
// inner loop is a 4×3 register tile: per step of k it loads 3 values of B and 4 of A and does 12
// multiply-adds on locals. 12 accumulators + 3 values of B + 1 of A fit x86-64's 16 double
// registers, so V8 keeps the whole tile in registers; a 4×4 tile (16 accumulators) spills and
// runs about 15% slower (bench/cpu-matmul.ts). Panels are float64, so float32 data is
// accumulated in double precision and rounded once when stored.

import type { FloatArray } from "./types.ts";

// Block sizes: a KC×NC block of packed B (512 KiB of doubles) stays in L2 while it is swept by
// every row panel of A; an MC×KC block of A (128 KiB) stays in L2 while it meets every B panel.
// Measured with bench/cpu-matmul.ts: the 4×4 tile is compute-bound, so these matter little
// (KC 64…256, NC 128…512, MC 32…128 are all within 4%).
const KC = 256;
const NC = 256;
const MC = 64;
const MR = 4; // rows of A per register tile
const NR = 3; // columns of B per register tile

const packedA = new Float64Array((MC + MR) * KC);
const packedB = new Float64Array(KC * (NC + NR));
const edgeTile = new Float64Array(MR * NR);

// c[cOffset + i·n + j] (+)= Σ_p op(A)[i, p] · op(B)[p, j], for an m×n result and inner size k.
// A is stored m×k (k×m when transposeA), B is stored k×n (n×k when transposeB), all row-major.
// With accumulate false, C is overwritten. C must not overlap A or B.
export function matmul(
  a: FloatArray,
  aOffset: number,
  b: FloatArray,
  bOffset: number,
  c: FloatArray,
  cOffset: number,
  m: number,
  n: number,
  k: number,
  transposeA: boolean,
  transposeB: boolean,
  accumulate: boolean,
): void {
  if (k === 0) {
    if (!accumulate) c.fill(0, cOffset, cOffset + m * n);
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nb = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kb = Math.min(KC, k - pc);
      packB(b, bOffset, n, k, transposeB, pc, kb, jc, nb);
      const overwrite = pc === 0 && !accumulate;
      for (let ic = 0; ic < m; ic += MC) {
        const mb = Math.min(MC, m - ic);
        packA(a, aOffset, m, k, transposeA, ic, mb, pc, kb);
        for (let ir = 0; ir < mb; ir += MR) {
          const rows = Math.min(MR, mb - ir);
          for (let jr = 0; jr < nb; jr += NR) {
            const cols = Math.min(NR, nb - jr);
            const cAt = cOffset + (ic + ir) * n + jc + jr;
            tile(kb, ir * kb, jr * kb, c, cAt, n, rows, cols, overwrite);
          }
        }
      }
    }
  }
}

// Packs op(B)[pc..pc+kb, jc..jc+nb] into panels of NR columns: panel q holds, for each p, the NR
// values op(B)[p, NR·q..NR·q+NR−1] side by side (zeros past the last column).
function packB(b: FloatArray, offset: number, n: number, k: number, transposed: boolean, pc: number, kb: number, jc: number, nb: number): void {
  const out = packedB;
  for (let jr = 0; jr < nb; jr += NR) {
    const base = jr * kb;
    const cols = Math.min(NR, nb - jr);
    for (let c = 0; c < NR; c++) {
      const j = jc + jr + c;
      if (c >= cols) {
        for (let p = 0; p < kb; p++) out[base + p * NR + c] = 0;
      } else if (transposed) {
        // B is stored n×k: row j is contiguous in p.
        const row = offset + j * k + pc;
        for (let p = 0; p < kb; p++) out[base + p * NR + c] = b[row + p]!;
      } else {
        let at = offset + pc * n + j;
        for (let p = 0; p < kb; p++, at += n) out[base + p * NR + c] = b[at]!;
      }
    }
  }
}

// Packs op(A)[ic..ic+mb, pc..pc+kb] into panels of MR rows: panel r holds, for each p, the MR
// values op(A)[MR·r..MR·r+MR−1, p] side by side (zeros past the last row).
function packA(a: FloatArray, offset: number, m: number, k: number, transposed: boolean, ic: number, mb: number, pc: number, kb: number): void {
  const out = packedA;
  for (let ir = 0; ir < mb; ir += MR) {
    const base = ir * kb;
    const rows = Math.min(MR, mb - ir);
    for (let r = 0; r < MR; r++) {
      const i = ic + ir + r;
      if (r >= rows) {
        for (let p = 0; p < kb; p++) out[base + p * MR + r] = 0;
      } else if (transposed) {
        // A is stored k×m: column i of the stored matrix is row i of op(A).
        let at = offset + pc * m + i;
        for (let p = 0; p < kb; p++, at += m) out[base + p * MR + r] = a[at]!;
      } else {
        const row = offset + i * k + pc;
        for (let p = 0; p < kb; p++) out[base + p * MR + r] = a[row + p]!;
      }
    }
  }
}

// The 4×3 register tile: C[4×3] (+)= Apanel[4×kb] · Bpanel[kb×3].
function tile(kb: number, aAt: number, bAt: number, c: FloatArray, cAt: number, ldc: number, rows: number, cols: number, overwrite: boolean): void {
  const ap = packedA;
  const bp = packedB;
  let c00 = 0, c01 = 0, c02 = 0;
  let c10 = 0, c11 = 0, c12 = 0;
  let c20 = 0, c21 = 0, c22 = 0;
  let c30 = 0, c31 = 0, c32 = 0;
  let ai = aAt;
  let bi = bAt;
  const end = aAt + kb * MR;
  while (ai < end) {
    const b0 = bp[bi]!, b1 = bp[bi + 1]!, b2 = bp[bi + 2]!;
    let a = ap[ai]!;
    c00 += a * b0; c01 += a * b1; c02 += a * b2;
    a = ap[ai + 1]!;
    c10 += a * b0; c11 += a * b1; c12 += a * b2;
    a = ap[ai + 2]!;
    c20 += a * b0; c21 += a * b1; c22 += a * b2;
    a = ap[ai + 3]!;
    c30 += a * b0; c31 += a * b1; c32 += a * b2;
    ai += MR;
    bi += NR;
  }
  if (rows === MR && cols === NR) {
    let at = cAt;
    if (overwrite) {
      c[at] = c00; c[at + 1] = c01; c[at + 2] = c02; at += ldc;
      c[at] = c10; c[at + 1] = c11; c[at + 2] = c12; at += ldc;
      c[at] = c20; c[at + 1] = c21; c[at + 2] = c22; at += ldc;
      c[at] = c30; c[at + 1] = c31; c[at + 2] = c32;
    } else {
      c[at] += c00; c[at + 1] += c01; c[at + 2] += c02; at += ldc;
      c[at] += c10; c[at + 1] += c11; c[at + 2] += c12; at += ldc;
      c[at] += c20; c[at + 1] += c21; c[at + 2] += c22; at += ldc;
      c[at] += c30; c[at + 1] += c31; c[at + 2] += c32;
    }
    return;
  }
  // A tile on the right or bottom edge: store only the rows and columns that exist.
  const t = edgeTile;
  t[0] = c00; t[1] = c01; t[2] = c02;
  t[3] = c10; t[4] = c11; t[5] = c12;
  t[6] = c20; t[7] = c21; t[8] = c22;
  t[9] = c30; t[10] = c31; t[11] = c32;
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cols; q++) {
      const at = cAt + r * ldc + q;
      c[at] = overwrite ? t[r * NR + q]! : c[at]! + t[r * NR + q]!;
    }
  }
}
