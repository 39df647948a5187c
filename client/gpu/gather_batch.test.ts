import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, emptyBuffer, readF32, readU32, relativeError, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { gatherBatchDispatch, packBytes } from './gather_batch.ts';
import { gatherBatch } from '../../shared/reference/gather_batch.ts';
import { seededRandom } from '../../shared/random.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

test('packBytes puts byte i at bits 8*(i&3) of word i>>2 and pads with zeros', () => {
  assert.deepEqual(Array.from(packBytes(Uint8Array.from([1, 2, 3, 4, 5, 255]))), [0x04030201, 0xff05]);
  assert.deepEqual(Array.from(packBytes(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))), [0xffffffff]);
  assert.equal(packBytes(new Uint8Array(0)).length, 1, 'an empty dataset still gives a bindable buffer');
});

test('gathered batches match the reference, with samples straddling u32 words', async () => {
  // Odd sample sizes start samples at every byte position within a word; odd sample counts leave a partial last word.
  // Sizes that are multiples of 4 take the whole-word path.
  for (const [samples, sampleSize, batch] of [[1, 1, 1], [7, 5, 3], [33, 13, 7], [101, 13, 64], [9, 4, 3], [33, 12, 65], [301, 784, 65], [60, 5, 1000]]) {
    const r = seededRandom(samples * 7 + sampleSize);
    const pixels = Uint8Array.from({ length: samples * sampleSize }, () => Math.floor(r() * 256));
    const labels = Uint8Array.from({ length: samples }, () => Math.floor(r() * 10));
    const indices = Uint32Array.from({ length: batch }, (_, i) => (i === 0 ? samples - 1 : Math.floor(r() * samples)));
    const x = emptyBuffer(device, batch * sampleSize);
    const y = emptyBuffer(device, batch);
    const d = gatherBatchDispatch(cache, {
      batch,
      sampleSize,
      pixels: bufferFrom(device, packBytes(pixels)),
      labels: bufferFrom(device, packBytes(labels)),
      indices: bufferFrom(device, indices),
      x,
      y,
    });
    run(device, [d]);
    const ref = gatherBatch(pixels, labels, indices, sampleSize);
    const shape = `${samples} samples of ${sampleSize}, batch ${batch}`;
    assert.ok(relativeError(await readF32(device, x, batch * sampleSize), ref.x) <= 1e-4, `${shape}: x`);
    assert.deepEqual(Array.from(await readU32(device, y, batch)), Array.from(ref.y), `${shape}: y`);
  }
});

test('pixel 255 becomes exactly 1 and 0 stays 0', async () => {
  const pixels = Uint8Array.from([0, 255, 255, 0, 128]);
  const x = emptyBuffer(device, 5);
  const y = emptyBuffer(device, 1);
  const d = gatherBatchDispatch(cache, {
    batch: 1,
    sampleSize: 5,
    pixels: bufferFrom(device, packBytes(pixels)),
    labels: bufferFrom(device, packBytes(Uint8Array.from([9]))),
    indices: bufferFrom(device, Uint32Array.from([0])),
    x,
    y,
  });
  run(device, [d]);
  const got = await readF32(device, x, 5);
  assert.deepEqual(Array.from(got.subarray(0, 4)), [0, 1, 1, 0]);
  assert.ok(Math.abs(got[4] - 128 / 255) < 1e-7);
  assert.equal((await readU32(device, y, 1))[0], 9);
});
