// Builds a byte-level language model's minibatch on the GPU from the byte stream kept there packed 4 per u32.
import code from '../../shaders/gather_tokens.wgsl?raw';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { gridStrideDispatch } from './elementwise.ts';

/** pixels: the split's byte stream and labels: the byte that follows each, both packed as packBytes
 *  (client/gpu/gather_batch.ts) does; starts: u32 per batch row, each window start + context within the stream
 *  (not checked here: out-of-range reads are clamped by WebGPU, not meaningful). Writes x (f32 token ids, not
 *  scaled, [batch, context]) and y (u32 labels, [batch, context]). */
export function gatherTokensDispatch(
  cache: PipelineCache,
  a: { batch: number; context: number; pixels: Binding; labels: Binding; starts: Binding; x: Binding; y: Binding },
): Dispatch {
  if (!(Number.isInteger(a.batch) && a.batch >= 1 && Number.isInteger(a.context) && a.context >= 1)) {
    throw new Error(`gatherTokens: batch and context must be positive integers, got ${a.batch} and ${a.context}`);
  }
  // 4 tokens per step when every row is whole quads of x and y.
  const vec4 = a.context % 4 === 0;
  const steps = vec4 ? (a.batch * a.context) / 4 : a.batch * a.context;
  const buffers = [a.pixels, a.labels, a.starts, a.x, a.y];
  return gridStrideDispatch(cache, 'gather tokens', code, vec4 ? 'main4' : 'main', steps, { BATCH: a.batch, CONTEXT: a.context }, buffers);
}
