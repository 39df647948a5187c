import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, emptyBuffer, randomArray, readF32, relativeError, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { biasGradDispatches } from './bias_grad.ts';
import { biasGrad } from '../../shared/reference/bias_grad.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

// Small row counts take one pass; 257 and up split rows into chunks (conv: batch*height*width rows).
const SHAPES: [number, number][] = [[1, 1], [3, 7], [7, 3], [64, 10], [65, 13], [256, 5], [257, 5], [1000, 3], [64 * 28 * 28, 16], [50177, 7]];

test('bias gradient matches the column sums of the reference', async () => {
  for (const [rows, cols] of SHAPES) {
    const dy = randomArray(rows * cols, rows + cols);
    const db = emptyBuffer(device, cols);
    run(device, biasGradDispatches(cache, { rows, cols, dy: bufferFrom(device, dy), db }));
    assert.ok(relativeError(await readF32(device, db, cols), biasGrad(dy, rows, cols)) <= 1e-4, `${rows} x ${cols}`);
  }
});

test('bias gradient overwrites db at its offset inside a parameter-sized buffer', async () => {
  const [rows, cols] = [50177, 5];
  const dy = randomArray(rows * cols, 11);
  const grads = bufferFrom(device, new Float32Array(128).fill(7));
  const dispatches = biasGradDispatches(cache, { rows, cols, dy: bufferFrom(device, dy), db: { buffer: grads, offset: 256, size: cols * 4 } });
  run(device, dispatches);
  run(device, dispatches);
  const all = await readF32(device, grads, 128);
  assert.ok(relativeError(all.subarray(64, 64 + cols), biasGrad(dy, rows, cols)) <= 1e-4, 'replayed twice, db is overwritten, not accumulated');
  assert.ok(all.subarray(0, 64).every((v) => v === 7) && all.subarray(64 + cols).every((v) => v === 7), 'floats around db are untouched');
});
