// Softmax cross-entropy: loss statistics and the logits gradient in one single-workgroup dispatch.
import code from '../../shaders/softmax_xent.wgsl?raw';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';

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
