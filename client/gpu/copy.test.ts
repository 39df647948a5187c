import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, emptyBuffer, randomArray, readF32, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { copyDispatch } from './copy.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

test('copy writes exactly the first length floats of x into y', async () => {
  for (const length of [1, 3, 4, 7, 1000, 65535 * 64 + 5]) {
    const x = randomArray(length + 4, length);
    const y = emptyBuffer(device, length + 4);
    run(device, [copyDispatch(cache, { length, x: bufferFrom(device, x), y })]);
    const got = await readF32(device, y, length + 4);
    assert.deepEqual(got.subarray(0, length), x.subarray(0, length), `length ${length}`);
    assert.ok(got.subarray(length).every((v) => v === 0), `length ${length}: wrote past the end`);
  }
});
