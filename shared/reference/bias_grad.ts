// CPU reference for a bias gradient: the column sums of the output gradient dy [rows, cols].

export function biasGrad(dy: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (dy.length !== rows * cols) throw new Error(`biasGrad: dy has ${dy.length} values, expected rows*cols = ${rows * cols}`);
  const db = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) db[c] += dy[r * cols + c];
  }
  return db;
}
