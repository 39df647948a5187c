// Bias gradient: column sums of dy [rows, cols] into db [cols].
import code from '../../shaders/bias_grad.wgsl?raw';
import { ceilDiv, type Binding, type Dispatch, type PipelineCache } from './dispatch.ts';
import { gridStrideDispatch } from './elementwise.ts';

/** Up to this many rows one invocation per column sums them all; more rows are split in two passes. */
const SINGLE_PASS_ROWS = 256;

function columnSums(cache: PipelineCache, rows: number, cols: number, chunk: number, m: Binding, out: Binding): Dispatch {
  return gridStrideDispatch(cache, 'bias grad', code, 'main', ceilDiv(rows, chunk) * cols, { ROWS: rows, COLS: cols, CHUNK: chunk }, [m, out]);
}

/** db is overwritten. For many rows (a conv layer's batch*height*width) the first pass sums chunks of about
 *  sqrt(rows) rows into a scratch buffer [chunks, cols] that this function creates, and the second sums the chunks. */
export function biasGradDispatches(cache: PipelineCache, a: { rows: number; cols: number; dy: Binding; db: Binding }): Dispatch[] {
  const { rows, cols } = a;
  if (!(rows >= 1 && cols >= 1)) throw new Error(`biasGrad: rows and cols must be at least 1, got ${rows} x ${cols}`);
  if (rows <= SINGLE_PASS_ROWS) return [columnSums(cache, rows, cols, rows, a.dy, a.db)];
  const chunk = Math.ceil(Math.sqrt(rows));
  const chunks = ceilDiv(rows, chunk);
  const scratch = cache.device.createBuffer({ label: 'bias grad partial sums', size: chunks * cols * 4, usage: GPUBufferUsage.STORAGE });
  return [columnSums(cache, rows, cols, chunk, a.dy, scratch), columnSums(cache, chunks, cols, chunks, scratch, a.db)];
}
