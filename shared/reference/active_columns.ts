// CPU reference for the active columns of X [rows, cols]: the columns with a nonzero entry, ascending, then the
// all-zero columns, ascending, then the number of active columns.

export function activeColumns(x: ArrayLike<number>, rows: number, cols: number): Uint32Array {
  if (x.length !== rows * cols) throw new Error(`activeColumns: x has ${x.length} values, expected rows*cols = ${rows * cols}`);
  const active: number[] = [];
  const zero: number[] = [];
  for (let c = 0; c < cols; c++) {
    let nonzero = false;
    for (let r = 0; r < rows; r++) if (x[r * cols + c] !== 0) nonzero = true;
    (nonzero ? active : zero).push(c);
  }
  return Uint32Array.from([...active, ...zero, active.length]);
}
