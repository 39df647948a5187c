import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { bufferFrom, emptyBuffer, randomArray, readF32, readU32, relativeError, run } from './test_support.ts';
import { maxpoolBackwardDispatch, maxpoolForwardDispatch } from './maxpool.ts';
import { maxpoolBackward, maxpoolForward, type PoolShape } from '../../shared/reference/maxpool.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

// Sizes other than 2 take the looping shaders; their odd shapes leave 1 or 2 rows and columns past the last window.
const SHAPES: PoolShape[] = [
  { batch: 1, height: 2, width: 2, channels: 1 },
  { batch: 3, height: 7, width: 5, channels: 3 },
  { batch: 2, height: 28, width: 28, channels: 16 },
  { batch: 3, height: 13, width: 14, channels: 32 },
  { batch: 2, height: 3, width: 4, channels: 5, size: 3 },
  { batch: 3, height: 11, width: 10, channels: 6, size: 3 },
  { batch: 2, height: 17, width: 16, channels: 8, size: 4 },
  { batch: 2, height: 5, width: 3, channels: 3, size: 1 },
];

/** After relu, and rounded to halves, so that most windows hold ties (often all zeros). */
function tieHeavy(length: number, seed: number): Float32Array {
  return randomArray(length, seed, 2).map((v) => Math.max(0, Math.round(v * 2) / 2));
}

for (const [i, s] of SHAPES.entries()) {
  for (const ties of [false, true]) {
    const size = s.size ?? 2;
    test(`maxpool${size} ${s.batch}x${s.height}x${s.width}x${s.channels}${ties ? ' with many ties' : ''}: y, argmax and dx match the reference`, async () => {
      const inputs = s.batch * s.height * s.width * s.channels;
      const outputs = s.batch * Math.floor(s.height / size) * Math.floor(s.width / size) * s.channels;
      const xs = ties ? tieHeavy(inputs, i + 1) : randomArray(inputs, i + 1);
      const dys = randomArray(outputs, i + 100);
      const x = bufferFrom(device, xs);
      const dy = bufferFrom(device, dys);
      const y = emptyBuffer(device, outputs);
      const argmax = emptyBuffer(device, outputs);
      // NaN everywhere first: the backward kernel must write every element of dx.
      const dx = bufferFrom(device, new Float32Array(inputs).fill(NaN));
      run(device, [maxpoolForwardDispatch(cache, { shape: s, x, y, argmax }), maxpoolBackwardDispatch(cache, { shape: s, dy, argmax, dx })]);
      const expected = maxpoolForward(xs, s);
      assert.deepEqual(await readU32(device, argmax, outputs), expected.argmax);
      assert.deepEqual(await readF32(device, y, outputs), Float32Array.from(expected.y));
      assert.ok(relativeError(await readF32(device, dx, inputs), maxpoolBackward(dys, expected.argmax, s)) <= 1e-4);
    });
  }
}

test('maxpool2 reference breaks ties toward the first element in window order', () => {
  const s: PoolShape = { batch: 1, height: 2, width: 2, channels: 2 };
  // channel 0: all zero -> (0,0); channel 1: max 1 at (0,1) and (1,1) -> (0,1)
  const { argmax } = maxpoolForward([0, 0, 0, 1, 0, 0, 0, 1], s);
  assert.deepEqual([...argmax], [0, 3]);
});

test('maxpool reference breaks ties toward the first element in row-major window order for 3x3 windows', () => {
  const s: PoolShape = { batch: 1, height: 3, width: 3, channels: 1, size: 3 };
  // maxima at (1,0) and (1,2) and (2,1): the first in row-major order is (1,0), index 3
  assert.deepEqual([...maxpoolForward([0, 0, 0, 4, 1, 4, 0, 4, 0], s).argmax], [3]);
});
