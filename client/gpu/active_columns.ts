// Active columns of a minibatch X [rows, cols]: the columns with a nonzero entry listed first, so that a matmul
// over X can skip the rest (most MNIST pixels are zero across a whole batch).
import code from '../../shaders/active_columns.wgsl?raw';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';

/** The shader keeps one u32 flag per column in workgroup memory: 4000 * 4 bytes plus 65 * 4 for the chunk
 *  counts fits the 16384 bytes that every WebGPU device offers. */
export const MAX_ACTIVE_COLUMNS = 4000;

/** u32s in perm: a permutation of the columns, then the count of active ones. */
export const activeColumnsLength = (cols: number) => cols + 1;

/** perm is overwritten: the active columns ascending, the all-zero columns ascending, then the active count. */
export function activeColumnsDispatch(cache: PipelineCache, a: { rows: number; cols: number; x: Binding; perm: Binding }): Dispatch {
  const { rows, cols } = a;
  if (!(Number.isInteger(rows) && rows >= 1)) throw new Error(`activeColumns: rows must be a positive integer, got ${rows}`);
  if (!(Number.isInteger(cols) && cols >= 1)) throw new Error(`activeColumns: cols must be a positive integer, got ${cols}`);
  if (cols > MAX_ACTIVE_COLUMNS) {
    throw new Error(`activeColumns: cols ${cols} is over MAX_ACTIVE_COLUMNS = ${MAX_ACTIVE_COLUMNS}, the most whose flags fit in 16 KiB of workgroup memory`);
  }
  return cache.dispatch('active columns', code, { ROWS: rows, COLS: cols }, [a.x, a.perm], [1]);
}
