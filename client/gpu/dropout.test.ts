import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, randomArray, readF32, relativeError, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { dropoutBackwardDispatch, dropoutForwardDispatch } from './dropout.ts';
import { dropoutForward, dropoutKeep, dropoutSeed } from '../../shared/reference/dropout.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

// Multiples of 4 take the vec4 path; 65535 * 64 + 5 needs more elements than one pass of the capped grid covers.
const LENGTHS = [1, 3, 4, 7, 65, 1000, 50177, 65535 * 64 + 5];

function seedBuffer(seed: number): GPUBuffer {
  return bufferFrom(device, Uint32Array.of(seed), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
}

test('the GPU mask is bit-identical to the CPU one, at every rate and length', async () => {
  for (const length of LENGTHS) {
    for (const rate of [0, 0.1, 0.5, 0.9]) {
      const seed = dropoutSeed(length, 17, 2);
      const x = bufferFrom(device, new Float32Array(length).fill(1));
      run(device, [dropoutForwardDispatch(cache, { length, rate, x, seed: seedBuffer(seed) })]);
      const got = await readF32(device, x, length);
      const scale = Math.fround(1 / (1 - rate));
      for (let i = 0; i < length; i++) {
        const expected = dropoutKeep(seed, i, rate) ? scale : 0;
        if (got[i] !== expected) assert.fail(`length ${length}, rate ${rate}: element ${i} is ${got[i]}, expected ${expected}`);
      }
    }
  }
});

test('dropout forward and backward match the reference values, with one mask for both', async () => {
  for (const length of [7, 1000, 4096 + 3]) {
    const rate = 0.25;
    const seed = seedBuffer(dropoutSeed(3, length, 0));
    const xs = randomArray(length, length);
    const dys = randomArray(length, length + 1);
    const x = bufferFrom(device, xs);
    const dy = bufferFrom(device, dys);
    run(device, [dropoutForwardDispatch(cache, { length, rate, x, seed }), dropoutBackwardDispatch(cache, { length, rate, dy, seed })]);
    const s = dropoutSeed(3, length, 0);
    assert.ok(relativeError(await readF32(device, x, length), dropoutForward(xs, rate, s)) <= 1e-6, `length ${length}: y`);
    assert.ok(relativeError(await readF32(device, dy, length), dropoutForward(dys, rate, s)) <= 1e-6, `length ${length}: dx`);
  }
});

test('rewriting the seed buffer draws a new mask from the same dispatch', async () => {
  const [length, rate] = [4096, 0.5];
  const seed = seedBuffer(0);
  const x = bufferFrom(device, new Float32Array(length));
  const dispatch = dropoutForwardDispatch(cache, { length, rate, x, seed });
  const masks: boolean[][] = [];
  for (const step of [1, 2]) {
    const s = dropoutSeed(9, step, 0);
    device.queue.writeBuffer(seed, 0, Uint32Array.of(s));
    device.queue.writeBuffer(x, 0, new Float32Array(length).fill(1));
    run(device, [dispatch]);
    const got = await readF32(device, x, length);
    const mask = Array.from(got, (v) => v !== 0);
    assert.ok(mask.every((k, i) => k === dropoutKeep(s, i, rate)), `step ${step}: the mask of its seed`);
    masks.push(mask);
  }
  const same = masks[0].filter((k, i) => k === masks[1][i]).length / length;
  assert.ok(Math.abs(same - 0.5) < 0.05, `consecutive steps agree on ${same} of the elements, as independent masks would`);
});
