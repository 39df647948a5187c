import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from './node_device.ts';
import { ceilDiv, MAX_WORKGROUPS_PER_DIM, PipelineCache } from './dispatch.ts';
import { bufferFrom, emptyBuffer, randomArray, readF32, relativeError, run } from './test_support.ts';
import { matmulDispatch, MATMUL_VARIANTS, type MatmulShape } from './matmul.ts';
import { autotuneGridStride, autotuneMatmul, matmulKey } from './autotune.ts';
import { lsgdUpdateDispatch } from './lsgd_update.ts';
import { matmul } from '../../shared/reference/matmul.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

test('matmulKey tells shapes and transpose forms apart', () => {
  const s: MatmulShape = { m: 64, k: 784, n: 256, transA: false, transB: false };
  const keys = new Set([s, { ...s, transA: true }, { ...s, transB: true }, { ...s, n: 255 }].map(matmulKey));
  assert.equal(keys.size, 4);
  assert.equal(matmulKey({ ...s }), matmulKey(s));
});

test('autotuneMatmul picks a valid variant for every shape, and the picked pipeline computes correctly', async () => {
  const shapes: MatmulShape[] = [
    { m: 64, k: 256, n: 128, transA: false, transB: false },
    { m: 64, k: 128, n: 256, transA: false, transB: true },
    { m: 256, k: 64, n: 128, transA: true, transB: false },
    { m: 7, k: 10, n: 13, transA: false, transB: false },
    { m: 64, k: 256, n: 128, transA: false, transB: false },
  ];
  const picked = await autotuneMatmul(cache, shapes);
  assert.equal(picked.size, 4, 'one entry per distinct shape');
  for (const [index, s] of shapes.entries()) {
    const variant = picked.get(matmulKey(s));
    assert.ok(variant && MATMUL_VARIANTS.includes(variant), `${matmulKey(s)}: got ${variant}`);
    const a = randomArray(s.m * s.k, index + 1);
    const b = randomArray(s.k * s.n, index + 50);
    const c = emptyBuffer(device, s.m * s.n);
    run(device, [matmulDispatch(cache, { ...s, variant, a: bufferFrom(device, a), b: bufferFrom(device, b), c })]);
    const err = relativeError(await readF32(device, c, s.m * s.n), matmul(a, b, s.m, s.k, s.n, s.transA, s.transB));
    assert.ok(err <= 1e-4, `${variant} on ${matmulKey(s)}: relative error ${err}`);
  }
});

test('autotuneMatmul of no shapes is an empty map', async () => {
  assert.equal((await autotuneMatmul(cache, [])).size, 0);
});

test('autotuneGridStride sets a workgroup cap that the grid-stride dispatches built afterwards obey', async () => {
  const own = new PipelineCache(device);
  assert.equal(own.maxGridStrideWorkgroups, MAX_WORKGROUPS_PER_DIM, 'uncapped until tuned');
  const length = 235_520;
  const cap = await autotuneGridStride(own, length);
  assert.equal(own.maxGridStrideWorkgroups, cap);
  assert.ok(Number.isInteger(cap) && cap >= 1 && cap <= MAX_WORKGROUPS_PER_DIM, `cap ${cap}`);
  const placeholder = emptyBuffer(device, 4);
  const hyper = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM });
  const vector = () => emptyBuffer(device, length);
  const update = lsgdUpdateDispatch(own, {
    length,
    pulls: { useLocal: false, useGlobal: false },
    params: vector(),
    grads: vector(),
    velocity: vector(),
    localLeader: placeholder,
    globalLeader: placeholder,
    hyper,
  });
  assert.equal(update.workgroups[0], Math.min(cap, ceilDiv(length / 4, 64)));
});
