import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, randomArray, readF32, relativeError, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { addDispatch } from './add.ts';
import { add } from '../../shared/reference/add.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

// Multiples of 4 take the vec4 path; 65535 * 64 + 5 needs more elements than one pass of the capped grid covers.
const LENGTHS = [1, 3, 4, 7, 65, 1000, 50177, 65535 * 64 + 5];

test('add matches the reference in place on y', async () => {
  for (const length of LENGTHS) {
    const x = randomArray(length, length);
    const y = randomArray(length, length + 1);
    const yBuf = bufferFrom(device, y);
    run(device, [addDispatch(cache, { length, x: bufferFrom(device, x), y: yBuf })]);
    assert.ok(relativeError(await readF32(device, yBuf, length), add(y, x)) <= 1e-6, `length ${length}`);
  }
});

test('add reads and writes ranges at 256-byte offsets and leaves the rest alone', async () => {
  for (const length of [5, 8]) {
    const x = bufferFrom(device, new Float32Array(64 + length).fill(1));
    const y = bufferFrom(device, new Float32Array(128 + length).fill(2));
    run(device, [addDispatch(cache, { length, x: { buffer: x, offset: 256, size: length * 4 }, y: { buffer: y, offset: 512, size: length * 4 } })]);
    const got = await readF32(device, y, 128 + length);
    assert.ok(got.subarray(128).every((v) => v === 3), `length ${length}: the range`);
    assert.ok(got.subarray(0, 128).every((v) => v === 2), `length ${length}: before the range`);
  }
});
