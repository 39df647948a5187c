import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, randomArray, readF32, relativeError, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { leaderPullDispatch } from './leader_pull.ts';
import { UPDATE_HYPER_BYTES, writeUpdateHyper } from './lsgd_update.ts';
import { leaderPull } from '../../shared/reference/leader_pull.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

// Multiples of 4 take the vec4 path, the others the scalar one.
const LENGTHS = [1, 3, 4, 7, 65, 1000, 50177, 1_000_000, 1_000_003];
const RATES = { lr: 0.05, momentum: 0.9, lambdaL: 0.3, lambdaG: 0.1 };

function setup(length: number, seed: number, local = randomArray(length, seed + 1), global = randomArray(length, seed + 2)) {
  const host = { params: randomArray(length, seed), local, global };
  const hyper = device.createBuffer({ size: UPDATE_HYPER_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  writeUpdateHyper(device, hyper, RATES);
  const gpu = { params: bufferFrom(device, host.params), localLeader: bufferFrom(device, local), globalLeader: bufferFrom(device, global) };
  const pull = (useLocal: boolean, useGlobal: boolean) => run(device, [leaderPullDispatch(cache, { length, pulls: { useLocal, useGlobal }, ...gpu, hyper })]);
  return { host, pull, read: () => readF32(device, gpu.params, length) };
}

test('both pulls match the reference for every length', async () => {
  for (const length of LENGTHS) {
    const s = setup(length, length);
    s.pull(true, true);
    const ref = leaderPull(s.host.params, s.host.local, s.host.global, RATES);
    assert.ok(relativeError(await s.read(), ref) <= 1e-5, `length ${length}`);
  }
});

test('each pull alone matches the reference, and a switched-off leader is never read', async () => {
  for (const length of [999, 1000]) {
    const garbage = Float32Array.from({ length }, (_, i) => (i % 2 ? NaN : -Infinity));
    const onlyLocal = setup(length, 11, undefined, garbage);
    onlyLocal.pull(true, false);
    const gotLocal = await onlyLocal.read();
    assert.ok(gotLocal.every(Number.isFinite), `length ${length}: the global buffer was read`);
    assert.ok(relativeError(gotLocal, leaderPull(onlyLocal.host.params, onlyLocal.host.local, null, RATES)) <= 1e-5);

    const onlyGlobal = setup(length, 12, garbage);
    onlyGlobal.pull(false, true);
    const gotGlobal = await onlyGlobal.read();
    assert.ok(gotGlobal.every(Number.isFinite), `length ${length}: the local buffer was read`);
    assert.ok(relativeError(gotGlobal, leaderPull(onlyGlobal.host.params, null, onlyGlobal.host.global, RATES)) <= 1e-5);
  }
});

test('the pull is an interpolation: each value ends a fraction lambda of the way to the leader', async () => {
  const length = 4096;
  const s = setup(length, 21);
  s.pull(false, true);
  const got = await s.read();
  for (let i = 0; i < length; i++) {
    const expected = (1 - RATES.lambdaG) * s.host.params[i] + RATES.lambdaG * s.host.global[i];
    assert.ok(Math.abs(got[i] - expected) <= 1e-6 * (1 + Math.abs(expected)), `value ${i}: ${got[i]} vs ${expected}`);
  }
});
