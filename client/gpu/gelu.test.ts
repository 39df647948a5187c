import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, emptyBuffer, randomArray, readF32, relativeError, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { geluBackwardDispatch, geluForwardDispatch } from './gelu.ts';
import { geluBackward, geluForward } from '../../shared/reference/gelu.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

// Multiples of 4 take the vec4 path; 65535 * 64 + 5 needs more elements than one pass of the capped grid covers.
const LENGTHS = [1, 3, 4, 7, 65, 1000, 50177, 64 * 128 * 128, 65535 * 64 + 5];

test('gelu forward and backward match the reference', async () => {
  for (const length of LENGTHS) {
    // Scale 4 reaches both tails, where gelu is about x and about 0.
    const x = randomArray(length, length, 4);
    const dy = randomArray(length, length + 1);
    const xBuf = bufferFrom(device, x);
    const y = emptyBuffer(device, length);
    const dyBuf = bufferFrom(device, dy);
    run(device, [geluForwardDispatch(cache, { length, x: xBuf, y }), geluBackwardDispatch(cache, { length, x: xBuf, dy: dyBuf })]);
    assert.ok(relativeError(await readF32(device, y, length), geluForward(x)) <= 1e-5, `length ${length}: y`);
    assert.ok(relativeError(await readF32(device, dyBuf, length), geluBackward(x, dy)) <= 1e-5, `length ${length}: dx`);
  }
});

test('gelu stays finite for huge inputs, where tanh of the unclamped argument can be NaN', async () => {
  const x = Float32Array.from([-1e6, -100, -30, -9, 9, 30, 100, 1e6]);
  const length = x.length;
  const xBuf = bufferFrom(device, x);
  const y = emptyBuffer(device, length);
  const dy = bufferFrom(device, new Float32Array(length).fill(1));
  run(device, [geluForwardDispatch(cache, { length, x: xBuf, y }), geluBackwardDispatch(cache, { length, x: xBuf, dy })]);
  const got = await readF32(device, y, length);
  const slope = await readF32(device, dy, length);
  assert.ok(got.subarray(0, 3).every((v) => v === 0), 'very negative inputs give 0');
  assert.deepEqual(Array.from(got.subarray(5)), [30, 100, 1e6], 'very positive inputs pass through');
  assert.deepEqual(Array.from(slope.subarray(0, 3)).concat(Array.from(slope.subarray(5))), [0, 0, 0, 1, 1, 1]);
  assert.ok(relativeError(got, geluForward(x)) <= 1e-6 && relativeError(slope, geluBackward(x, new Float32Array(length).fill(1))) <= 1e-5);
});
