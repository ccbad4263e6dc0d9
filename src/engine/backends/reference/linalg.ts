/**
 * The three matrix products the recurrent layers need, over flat row-major arrays addressed by
 * offsets (no allocation per call). All three are one strided product, C[i,j] += Σ_p A(i,p)·B(p,j),
 * computed in 4x4 tiles of C held in local variables: each pass over p loads 8 numbers for 16
 * multiply-adds, which is what makes plain TypeScript fast enough to train on (a naive triple loop
 * is several times slower). Every product accumulates into C; zero C first for a plain product.
 */
import type { FloatArray } from '../../tensor';

/**
 * C[i*ldc + j] += Σ_p A[aOff + i*aRow + p*aCol] · B[bOff + p*bRow + j*bCol], for i < m, j < n, p < k.
 */
function stridedProductAdd(
  m: number, n: number, k: number,
  A: FloatArray, aOff: number, aRow: number, aCol: number,
  B: FloatArray, bOff: number, bRow: number, bCol: number,
  C: FloatArray, cOff: number, ldc: number,
): void {
  // Long sums (weight gradients sum over every time step and row) go in blocks of p, so the
  // slices of A and B that one block touches stay in cache while every tile of C reuses them.
  for (let p0 = 0; p0 < k; p0 += SUM_BLOCK) {
    const p1 = Math.min(k, p0 + SUM_BLOCK);
    productBlockAdd(m, n, p0, p1, A, aOff, aRow, aCol, B, bOff, bRow, bCol, C, cOff, ldc);
  }
}

const SUM_BLOCK = 128;

/** C[i,j] += Σ_{p0 <= p < p1} A(i,p)·B(p,j), in 4x4 tiles. */
function productBlockAdd(
  m: number, n: number, p0: number, p1: number,
  A: FloatArray, aOff: number, aRow: number, aCol: number,
  B: FloatArray, bOff: number, bRow: number, bCol: number,
  C: FloatArray, cOff: number, ldc: number,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = aOff + i * aRow + p0 * aCol, a1 = a0 + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
    for (let j = 0; j < n4; j += 4) {
      const b0 = bOff + j * bCol + p0 * bRow, b1 = b0 + bCol, b2 = b1 + bCol, b3 = b2 + bCol;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = p0, ap = 0, bp = 0; p < p1; p++, ap += aCol, bp += bRow) {
        const x0 = A[a0 + ap], x1 = A[a1 + ap], x2 = A[a2 + ap], x3 = A[a3 + ap];
        const y0 = B[b0 + bp], y1 = B[b1 + bp], y2 = B[b2 + bp], y3 = B[b3 + bp];
        c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
        c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
        c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
        c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
      }
      let c = cOff + i * ldc + j;
      C[c] += c00; C[c + 1] += c01; C[c + 2] += c02; C[c + 3] += c03; c += ldc;
      C[c] += c10; C[c + 1] += c11; C[c + 2] += c12; C[c + 3] += c13; c += ldc;
      C[c] += c20; C[c + 1] += c21; C[c + 2] += c22; C[c + 3] += c23; c += ldc;
      C[c] += c30; C[c + 1] += c31; C[c + 2] += c32; C[c + 3] += c33;
    }
  }
  // Edges: the rows and columns that do not fill a 4x4 tile, one dot product each.
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let s = 0;
      for (let p = p0; p < p1; p++) s += A[aOff + i * aRow + p * aCol] * B[bOff + p * bRow + j * bCol];
      C[cOff + i * ldc + j] += s;
    }
  }
}

/** C[m,n] += A[m,k] · B[k,n] */
export function matMulAdd(
  m: number, k: number, n: number,
  A: FloatArray, a0: number, B: FloatArray, b0: number, C: FloatArray, c0: number,
): void {
  stridedProductAdd(m, n, k, A, a0, k, 1, B, b0, n, 1, C, c0, n);
}

/** C[k,n] += A[m,k]ᵀ · B[m,n] (weight gradients: inputsᵀ · output gradients). */
export function matMulTransAAdd(
  m: number, k: number, n: number,
  A: FloatArray, a0: number, B: FloatArray, b0: number, C: FloatArray, c0: number,
): void {
  stridedProductAdd(k, n, m, A, a0, 1, k, B, b0, n, 1, C, c0, n);
}

/** C[m,k] += A[m,n] · B[k,n]ᵀ (input gradients: output gradients · weightsᵀ). */
export function matMulTransBAdd(
  m: number, n: number, k: number,
  A: FloatArray, a0: number, B: FloatArray, b0: number, C: FloatArray, c0: number,
): void {
  stridedProductAdd(m, k, n, A, a0, n, 1, B, b0, 1, n, C, c0, k);
}

/** C[j] += Σ_i A[i,j] over m rows of width n (bias gradients). */
export function addColumnSums(m: number, n: number, A: FloatArray, a0: number, C: FloatArray, c0: number): void {
  for (let i = 0; i < m; i++) {
    const ai = a0 + i * n;
    for (let j = 0; j < n; j++) C[c0 + j] += A[ai + j];
  }
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Keras' hard_sigmoid (Keras 1 and 2): clip(0.2x + 0.5, 0, 1). */
export function hardSigmoid(x: number): number {
  const y = 0.2 * x + 0.5;
  return y <= 0 ? 0 : y >= 1 ? 1 : y;
}
