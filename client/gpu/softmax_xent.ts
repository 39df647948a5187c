// Softmax cross-entropy: loss statistics and the logits gradient, in one single-workgroup dispatch for a
// classifier's batch, or in a grid over rows plus a small sum for a language model's batch * context rows.
import code from '../../shaders/softmax_xent.wgsl?raw';
import rowsCode from '../../shaders/softmax_xent_rows.wgsl?raw';
import sumCode from '../../shaders/softmax_xent_rows_sum.wgsl?raw';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { gridStrideDispatch } from './elementwise.ts';

/** stats holds [sum of per-sample losses, correct count, samples] as f32. */
export const STATS_FLOATS = 3;

/** Reads logits [batch, classes] and labels (u32 per sample); writes dlogits = (softmax - onehot)/batch;
 *  ADDS to stats (3 f32: [sum of per-sample losses, correct count, samples]) so stats accumulate across steps until the host clears them. */
export function softmaxXentDispatch(
  cache: PipelineCache,
  a: { batch: number; classes: number; logits: Binding; labels: Binding; dlogits: Binding; stats: Binding },
): Dispatch {
  if (!(a.batch >= 1 && a.classes >= 1)) throw new Error(`softmaxXent: batch and classes must be at least 1, got ${a.batch} x ${a.classes}`);
  return cache.dispatch('softmax cross-entropy', code, { BATCH: a.batch, CLASSES: a.classes }, [a.logits, a.labels, a.dlogits, a.stats], [1]);
}

/** Floats of the `partials` scratch buffer softmaxXentRowsDispatches needs: a loss and a correct flag per row. */
export function softmaxXentPartialsFloats(rows: number): number {
  return 2 * rows;
}

/** The same results as softmaxXentDispatch, for many rows (a language model's batch * context): one invocation per
 *  row writes dlogits = (softmax - onehot)/rows and its loss and correct flag into partials
 *  (softmaxXentPartialsFloats(rows) f32), then one invocation ADDS [loss sum, correct count, rows] to stats. */
export function softmaxXentRowsDispatches(
  cache: PipelineCache,
  a: { rows: number; classes: number; logits: Binding; labels: Binding; dlogits: Binding; stats: Binding; partials: Binding },
): Dispatch[] {
  if (!(a.rows >= 1 && a.classes >= 1)) throw new Error(`softmaxXentRows: rows and classes must be at least 1, got ${a.rows} x ${a.classes}`);
  const vec4 = a.classes % 4 === 0;
  const buffers = [a.logits, a.labels, a.dlogits, a.partials];
  return [
    gridStrideDispatch(cache, 'softmax cross-entropy rows', rowsCode, vec4 ? 'main4' : 'main', a.rows, { ROWS: a.rows, CLASSES: a.classes }, buffers),
    cache.dispatch('softmax cross-entropy rows sum', sumCode, { ROWS: a.rows }, [a.partials, a.stats], [1]),
  ];
}
