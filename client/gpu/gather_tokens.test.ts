import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, emptyBuffer, readF32, readU32, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { packBytes } from './gather_batch.ts';
import { gatherTokensDispatch } from './gather_tokens.ts';
import { gatherTokens } from '../../shared/reference/gather_tokens.ts';
import { seededRandom } from '../../shared/random.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

async function gatherOnGpu(pixels: Uint8Array, labels: Uint8Array, starts: Uint32Array, context: number) {
  const batch = starts.length;
  const x = emptyBuffer(device, batch * context);
  const y = emptyBuffer(device, batch * context);
  const pixelWords = bufferFrom(device, packBytes(pixels));
  const labelWords = bufferFrom(device, packBytes(labels));
  run(device, [gatherTokensDispatch(cache, { batch, context, pixels: pixelWords, labels: labelWords, starts: bufferFrom(device, starts), x, y })]);
  return { x: await readF32(device, x, batch * context), y: await readU32(device, y, batch * context) };
}

test('gathered token windows match the reference, starting at every byte of a word and ending on the last byte', async () => {
  // Contexts that are multiples of 4 take the 4-tokens-per-step path; the others one token per step.
  for (const [count, context, batch] of [[1, 1, 1], [5, 4, 2], [9, 4, 7], [37, 3, 9], [101, 8, 64], [1003, 128, 64], [4097, 13, 300], [20000, 256, 33]]) {
    const r = seededRandom(count * 3 + context);
    // Each label is the byte that follows, as in a real split, and every byte value occurs.
    const stream = Uint8Array.from({ length: count + 1 }, () => Math.floor(r() * 256));
    const pixels = stream.subarray(0, count);
    const labels = stream.slice(1);
    // Row 0 ends on the stream's last byte, rows 1..4 start at each byte position within a word.
    const starts = Uint32Array.from({ length: batch }, (_, b) => (b === 0 ? count - context : b <= 4 ? Math.min(b - 1, count - context) : Math.floor(r() * (count - context + 1))));
    const got = await gatherOnGpu(pixels, labels, starts, context);
    const ref = gatherTokens(pixels, labels, starts, context);
    const shape = `${count} bytes, context ${context}, batch ${batch}`;
    assert.deepEqual(Array.from(got.x), Array.from(ref.x), `${shape}: x`);
    assert.deepEqual(Array.from(got.y), Array.from(ref.y), `${shape}: y`);
  }
});

test('token ids are raw byte values: 255 stays 255', async () => {
  const pixels = Uint8Array.from([0, 255, 128, 1, 7, 200, 3, 4]);
  const labels = Uint8Array.from([255, 128, 1, 7, 200, 3, 4, 9]);
  const got = await gatherOnGpu(pixels, labels, Uint32Array.from([1, 3]), 4);
  assert.deepEqual(Array.from(got.x), [255, 128, 1, 7, 1, 7, 200, 3]);
  assert.deepEqual(Array.from(got.y), [128, 1, 7, 200, 7, 200, 3, 4]);
});

test('the reference refuses a window that runs past the stream', () => {
  assert.throws(() => gatherTokens(new Uint8Array(10), new Uint8Array(10), [7], 4), /row 0 starts at 7/);
});
