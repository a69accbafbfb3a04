// The CPU matrix product C = op(A)·op(B), the kernel most of a training step's time goes to.
//
// It follows the BLIS scheme: C is computed in blocks; for each block of k, a block of B and then
// a block of A are copied ("packed") into small contiguous panels of 4 columns / 4 rows, in the
// order the inner loop reads them. Packing is where the transpose flags are handled (it reads
// either layout), so the inner loop never sees them and always walks memory contiguously. The
// inner loop is a 4×4 register tile: per step of k it loads 4 values of A and 4 of B and does 16
// multiply-adds on locals that V8 keeps in registers (B is read one value at a time, which keeps
// fewer values live at once). Panels are float64, so float32 data is
// accumulated in double precision and rounded once when stored.

import type { FloatArray } from "./types.ts";

// Block sizes: a KC×NC block of packed B (512 KiB of doubles) stays in L2 while it is swept by
// every row panel of A; an MC×KC block of A (128 KiB) stays in L2 while it meets every B panel.
// Measured with bench/cpu-matmul.ts: the 4×4 tile is compute-bound, so these matter little
// (KC 64…256, NC 128…512, MC 32…128 are all within 4%).
const KC = 256;
const NC = 256;
const MC = 64;
const TILE = 4;

const packedA = new Float64Array(MC * KC);
const packedB = new Float64Array(KC * (NC + TILE));
const edgeTile = new Float64Array(TILE * TILE);

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
        for (let ir = 0; ir < mb; ir += TILE) {
          const rows = Math.min(TILE, mb - ir);
          for (let jr = 0; jr < nb; jr += TILE) {
            const cols = Math.min(TILE, nb - jr);
            const cAt = cOffset + (ic + ir) * n + jc + jr;
            tile(kb, ir * kb, jr * kb, c, cAt, n, rows, cols, overwrite);
          }
        }
      }
    }
  }
}

// Packs op(B)[pc..pc+kb, jc..jc+nb] into panels of 4 columns: panel q holds, for each p, the 4
// values op(B)[p, 4q..4q+3] side by side (zeros past the last column).
function packB(b: FloatArray, offset: number, n: number, k: number, transposed: boolean, pc: number, kb: number, jc: number, nb: number): void {
  const out = packedB;
  for (let jr = 0; jr < nb; jr += TILE) {
    const base = jr * kb;
    const cols = Math.min(TILE, nb - jr);
    for (let c = 0; c < TILE; c++) {
      const j = jc + jr + c;
      if (c >= cols) {
        for (let p = 0; p < kb; p++) out[base + p * TILE + c] = 0;
      } else if (transposed) {
        // B is stored n×k: row j is contiguous in p.
        const row = offset + j * k + pc;
        for (let p = 0; p < kb; p++) out[base + p * TILE + c] = b[row + p]!;
      } else {
        let at = offset + pc * n + j;
        for (let p = 0; p < kb; p++, at += n) out[base + p * TILE + c] = b[at]!;
      }
    }
  }
}

// Packs op(A)[ic..ic+mb, pc..pc+kb] into panels of 4 rows: panel r holds, for each p, the 4
// values op(A)[4r..4r+3, p] side by side (zeros past the last row).
function packA(a: FloatArray, offset: number, m: number, k: number, transposed: boolean, ic: number, mb: number, pc: number, kb: number): void {
  const out = packedA;
  for (let ir = 0; ir < mb; ir += TILE) {
    const base = ir * kb;
    const rows = Math.min(TILE, mb - ir);
    for (let r = 0; r < TILE; r++) {
      const i = ic + ir + r;
      if (r >= rows) {
        for (let p = 0; p < kb; p++) out[base + p * TILE + r] = 0;
      } else if (transposed) {
        // A is stored k×m: column i of the stored matrix is row i of op(A).
        let at = offset + pc * m + i;
        for (let p = 0; p < kb; p++, at += m) out[base + p * TILE + r] = a[at]!;
      } else {
        const row = offset + i * k + pc;
        for (let p = 0; p < kb; p++) out[base + p * TILE + r] = a[row + p]!;
      }
    }
  }
}

// The 4×4 register tile: C[4×4] (+)= Apanel[4×kb] · Bpanel[kb×4].
function tile(kb: number, aAt: number, bAt: number, c: FloatArray, cAt: number, ldc: number, rows: number, cols: number, overwrite: boolean): void {
  const ap = packedA;
  const bp = packedB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ai = aAt;
  let bi = bAt;
  const end = aAt + kb * TILE;
  while (ai < end) {
    const a0 = ap[ai]!, a1 = ap[ai + 1]!, a2 = ap[ai + 2]!, a3 = ap[ai + 3]!;
    let bj = bp[bi]!;
    c00 += a0 * bj; c10 += a1 * bj; c20 += a2 * bj; c30 += a3 * bj;
    bj = bp[bi + 1]!;
    c01 += a0 * bj; c11 += a1 * bj; c21 += a2 * bj; c31 += a3 * bj;
    bj = bp[bi + 2]!;
    c02 += a0 * bj; c12 += a1 * bj; c22 += a2 * bj; c32 += a3 * bj;
    bj = bp[bi + 3]!;
    c03 += a0 * bj; c13 += a1 * bj; c23 += a2 * bj; c33 += a3 * bj;
    ai += TILE;
    bi += TILE;
  }
  if (rows === TILE && cols === TILE) {
    let at = cAt;
    if (overwrite) {
      c[at] = c00; c[at + 1] = c01; c[at + 2] = c02; c[at + 3] = c03; at += ldc;
      c[at] = c10; c[at + 1] = c11; c[at + 2] = c12; c[at + 3] = c13; at += ldc;
      c[at] = c20; c[at + 1] = c21; c[at + 2] = c22; c[at + 3] = c23; at += ldc;
      c[at] = c30; c[at + 1] = c31; c[at + 2] = c32; c[at + 3] = c33;
    } else {
      c[at] += c00; c[at + 1] += c01; c[at + 2] += c02; c[at + 3] += c03; at += ldc;
      c[at] += c10; c[at + 1] += c11; c[at + 2] += c12; c[at + 3] += c13; at += ldc;
      c[at] += c20; c[at + 1] += c21; c[at + 2] += c22; c[at + 3] += c23; at += ldc;
      c[at] += c30; c[at + 1] += c31; c[at + 2] += c32; c[at + 3] += c33;
    }
    return;
  }
  // A tile on the right or bottom edge: store only the rows and columns that exist.
  const t = edgeTile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
  t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cols; q++) {
      const at = cAt + r * ldc + q;
      c[at] = overwrite ? t[r * TILE + q]! : c[at]! + t[r * TILE + q]!;
    }
  }
}
