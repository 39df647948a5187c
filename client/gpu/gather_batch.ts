// Builds a minibatch on the GPU from the dataset kept there as packed uint8 (4x smaller than f32).
import code from '../../shaders/gather_batch.wgsl?raw';
import { ceilDiv, type Binding, type Dispatch, type PipelineCache } from './dispatch.ts';
import { gridStrideDispatch } from './elementwise.ts';

/** pixels: the dataset's uint8 pixels packed 4 per u32 (little-endian byte order, byte i of the dataset at word i>>2, bits 8*(i&3)); labels: uint8 packed the same way.
 *  indices: u32 per batch row. Writes x (f32, batch*sampleSize, /255) and y (u32 per row). */
export function gatherBatchDispatch(
  cache: PipelineCache,
  a: { batch: number; sampleSize: number; pixels: Binding; labels: Binding; indices: Binding; x: Binding; y: Binding },
): Dispatch {
  if (!(a.batch >= 1 && a.sampleSize >= 1)) throw new Error(`gatherBatch: batch and sampleSize must be at least 1, got ${a.batch} and ${a.sampleSize}`);
  // Whole words per step when every sample starts on a word (784 pixels do).
  const vec4 = a.sampleSize % 4 === 0;
  const steps = vec4 ? (a.batch * a.sampleSize) / 4 : a.batch * a.sampleSize;
  const buffers = [a.pixels, a.labels, a.indices, a.x, a.y];
  return gridStrideDispatch(cache, 'gather batch', code, vec4 ? 'main4' : 'main', steps, { BATCH: a.batch, SAMPLE_SIZE: a.sampleSize }, buffers);
}

/** Packs bytes 4 per u32, byte i at bits 8*(i&3) of word i>>2, padding the last word with zeros. */
export function packBytes(bytes: Uint8Array): Uint32Array {
  const words = new Uint32Array(Math.max(1, ceilDiv(bytes.length, 4)));
  for (let i = 0; i < bytes.length; i++) words[i >> 2] |= bytes[i] << (8 * (i & 3));
  return words;
}
