import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, randomArray, readF32, relativeError, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { reluBackwardDispatch, reluForwardDispatch } from './relu.ts';
import { relu, reluBackward } from '../../shared/reference/relu.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

// Multiples of 4 take the vec4 path; 65535 * 64 + 5 needs more elements than one pass of the capped grid covers.
const LENGTHS = [1, 3, 4, 7, 65, 1000, 50177, 64 * 28 * 28 * 16, 65535 * 64 + 5];

test('relu forward matches the reference in place', async () => {
  for (const length of LENGTHS) {
    const x = randomArray(length, length);
    const buf = bufferFrom(device, x);
    run(device, [reluForwardDispatch(cache, { length, x: buf })]);
    const got = await readF32(device, buf, length);
    assert.ok(relativeError(got, relu(x)) <= 1e-4, `length ${length}`);
    assert.ok(got.every((v) => v >= 0), `length ${length}: negatives survived`);
  }
});

test('relu backward zeroes dy where the output is not positive', async () => {
  for (const length of LENGTHS) {
    const y = relu(randomArray(length, length + 1));
    const dy = randomArray(length, length + 2);
    const dyBuf = bufferFrom(device, dy);
    run(device, [reluBackwardDispatch(cache, { length, y: bufferFrom(device, Float32Array.from(y)), dy: dyBuf })]);
    assert.ok(relativeError(await readF32(device, dyBuf, length), reluBackward(y, dy)) <= 1e-4, `length ${length}`);
  }
});

test('relu forward leaves values past its length alone', async () => {
  for (const length of [3, 4]) {
    const buf = bufferFrom(device, Float32Array.from([-1, -2, -3, -4, -5, -6, -7, -8]));
    run(device, [reluForwardDispatch(cache, { length, x: buf })]);
    const got = Array.from(await readF32(device, buf, 8));
    assert.deepEqual(got, [0, 0, 0, length > 3 ? 0 : -4, -5, -6, -7, -8], `length ${length}`);
  }
});
