// The exact Hessian of a small model, one column per Hessian-vector product (H·eᵢ), and its full
// eigendecomposition. Autodiff's H is symmetric up to rounding; the asymmetry ‖H − Hᵀ‖/‖H‖ is
// reported as a check of the products, and the symmetric part is decomposed.

import { type Eigen, symmetricEigen } from "./eigen.ts";
import type { Operator } from "./lanczos.ts";

export interface ExactHessian extends Eigen {
  n: number;
  matrix: Float64Array; // the symmetric part, row-major
  asymmetry: number; // ‖H − Hᵀ‖_F / ‖H‖_F of the products as computed (0 for a zero H)
}

export async function exactHessian(op: Operator, n: number): Promise<ExactHessian> {
  const columns = new Float64Array(n * n); // columns[i * n + j] = (H·e_j)_i
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e[j] = 1;
    const column = await op(e);
    e[j] = 0;
    for (let i = 0; i < n; i++) columns[i * n + j] = column[i]!;
  }
  let difference = 0;
  let total = 0;
  const matrix = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = columns[i * n + j]!;
      const b = columns[j * n + i]!;
      matrix[i * n + j] = (a + b) / 2;
      difference += (a - b) ** 2;
      total += a * a;
    }
  }
  return { n, matrix, asymmetry: total > 0 ? Math.sqrt(difference / total) : 0, ...symmetricEigen(matrix, n) };
}
