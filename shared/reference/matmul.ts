// CPU reference for matrix multiply and the bias epilogue, in float64.

/** C[m,n] = sum_k opA[m,k] * opB[k,n]; transA: A stored [k,m]; transB: B stored [n,k]. float64 result. */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, transA = false, transB = false): Float64Array {
  if (a.length < m * k) throw new Error(`matmul: A has ${a.length} values, needs ${m * k} (${m}x${k})`);
  if (b.length < k * n) throw new Error(`matmul: B has ${b.length} values, needs ${k * n} (${k}x${n})`);
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let p = 0; p < k; p++) {
      const av = transA ? a[p * m + i] : a[i * k + p];
      if (av === 0) continue;
      // two inner loops rather than a choice per product: the coordinator measures every global copy with this
      if (transB) for (let j = 0; j < n; j++) c[row + j] += av * b[j * k + p];
      else for (let j = 0, q = p * n; j < n; j++) c[row + j] += av * b[q + j];
    }
  }
  return c;
}

/** In place: c[r, j] += bias[j] for a row-major [rows, cols] matrix. */
export function addBias(c: Float64Array, rows: number, cols: number, bias: ArrayLike<number>): void {
  if (bias.length < cols) throw new Error(`addBias: bias has ${bias.length} values, needs ${cols}`);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) c[r * cols + j] += bias[j];
  }
}
