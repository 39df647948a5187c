import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, randomArray, readF32, relativeError, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache, type Binding } from './dispatch.ts';
import { lsgdUpdateDispatch, UPDATE_HYPER_BYTES, writeUpdateHyper } from './lsgd_update.ts';
import { lsgdUpdate, type UpdateHyper } from '../../shared/reference/lsgd_update.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

// Multiples of 4 take the vec4 path (the whole flat vector always does), the others the scalar one.
const LENGTHS = [1, 3, 4, 7, 65, 1000, 50177, 1_000_000, 1_000_003];
const PULL: UpdateHyper = { lr: 0.05, momentum: 0.9, lambdaL: 0.3, lambdaG: 0.7, useLocal: true, useGlobal: true };

function setup(length: number, seed: number, h: UpdateHyper, local: Float32Array = randomArray(length, seed + 3), global: Float32Array = randomArray(length, seed + 4)) {
  const host = { params: randomArray(length, seed), grads: randomArray(length, seed + 1), velocity: randomArray(length, seed + 2, 0.1), local, global };
  const hyper = device.createBuffer({ size: UPDATE_HYPER_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  writeUpdateHyper(device, hyper, h);
  const gpu = {
    params: bufferFrom(device, host.params),
    grads: bufferFrom(device, host.grads),
    velocity: bufferFrom(device, host.velocity),
    localLeader: bufferFrom(device, local),
    globalLeader: bufferFrom(device, global),
  };
  const dispatchFor = (pulls: UpdateHyper) => lsgdUpdateDispatch(cache, { length, pulls, ...gpu, hyper });
  const read = async () => ({ params: await readF32(device, gpu.params, length), velocity: await readF32(device, gpu.velocity, length) });
  return { host, gpu, hyper, dispatch: dispatchFor(h), dispatchFor, read };
}

test('one step matches the reference for every length', async () => {
  for (const length of LENGTHS) {
    const s = setup(length, length, PULL);
    run(device, [s.dispatch]);
    const got = await s.read();
    const ref = lsgdUpdate(s.host.params, s.host.grads, s.host.velocity, s.host.local, s.host.global, PULL);
    assert.ok(relativeError(got.params, ref.params) <= 1e-4, `length ${length}: params`);
    assert.ok(relativeError(got.velocity, ref.velocity) <= 1e-4, `length ${length}: velocity`);
  }
});

test('with lambdaL = lambdaG = 0 it is plain momentum SGD', async () => {
  for (const length of [999, 1000]) {
    const h = { ...PULL, lambdaL: 0, lambdaG: 0 };
    const s = setup(length, 21, h);
    run(device, [s.dispatch]);
    const got = await s.read();
    const { params, grads, velocity } = s.host;
    const v = velocity.map((vi, i) => h.momentum * vi + grads[i]);
    const x = params.map((xi, i) => xi - h.lr * v[i]);
    assert.ok(relativeError(got.velocity, v) <= 1e-4, `length ${length}: velocity`);
    assert.ok(relativeError(got.params, x) <= 1e-4, `length ${length}: params`);
  }
});

test('the pull moves x toward the leaders by lr * lambda * (leader - x)', async () => {
  for (const length of [64, 65]) {
    const h = { ...PULL, momentum: 0.9 };
    const s = setup(length, 31, h);
    // Zero gradient and velocity isolate the pull: x' = x - lr (lambdaL (x - xl) + lambdaG (x - xg)).
    device.queue.writeBuffer(s.gpu.grads, 0, new Float32Array(length));
    device.queue.writeBuffer(s.gpu.velocity, 0, new Float32Array(length));
    run(device, [s.dispatch]);
    const got = await s.read();
    const { params: x, local: xl, global: xg } = s.host;
    const expected = x.map((xi, i) => xi + h.lr * h.lambdaL * (xl[i] - xi) + h.lr * h.lambdaG * (xg[i] - xi));
    assert.ok(relativeError(got.params, expected) <= 1e-4, `length ${length}`);

    const onlyGlobal = setup(length, 32, { ...h, useLocal: false });
    device.queue.writeBuffer(onlyGlobal.gpu.grads, 0, new Float32Array(length));
    device.queue.writeBuffer(onlyGlobal.gpu.velocity, 0, new Float32Array(length));
    run(device, [onlyGlobal.dispatch]);
    const moved = (await onlyGlobal.read()).params;
    const g = onlyGlobal.host;
    for (let i = 0; i < length; i++) {
      const before = Math.abs(g.global[i] - g.params[i]);
      const after = Math.abs(g.global[i] - moved[i]);
      assert.ok(after <= before * (1 - h.lr * h.lambdaG) + 1e-6, `length ${length}: element ${i} did not move toward the global leader`);
    }
  }
});

test('a switched-off pull ignores its leader buffer even if it holds NaN and Infinity', async () => {
  for (const length of [999, 1000]) {
    const garbage = Float32Array.from({ length }, (_, i) => (i % 2 ? NaN : -Infinity));
    const h = { ...PULL, useLocal: false };
    const s = setup(length, 41, h, garbage);
    run(device, [s.dispatch]);
    const got = await s.read();
    const ref = lsgdUpdate(s.host.params, s.host.grads, s.host.velocity, null, s.host.global, h);
    assert.ok(got.params.every(Number.isFinite) && got.velocity.every(Number.isFinite));
    assert.ok(relativeError(got.params, ref.params) <= 1e-4);

    const both = { ...PULL, useLocal: false, useGlobal: false };
    const t = setup(length, 42, both, garbage, garbage);
    run(device, [t.dispatch]);
    const ref2 = lsgdUpdate(t.host.params, t.host.grads, t.host.velocity, null, null, both);
    assert.ok(relativeError((await t.read()).params, ref2.params) <= 1e-4, `length ${length}: both pulls off`);
  }
});

test('consecutive steps with new gradients and a hyper change match the reference', async () => {
  for (const length of [50176, 50177]) {
    const s = setup(length, 51, PULL);
    let ref: ReturnType<typeof lsgdUpdate> = { params: Float64Array.from(s.host.params), velocity: Float64Array.from(s.host.velocity) };
    let h = PULL;
    for (let step = 0; step < 6; step++) {
      if (step === 3) {
        h = { ...PULL, lr: 0.02, useGlobal: false };
        writeUpdateHyper(device, s.hyper, h);
      }
      const grads = randomArray(length, 100 + step);
      device.queue.writeBuffer(s.gpu.grads, 0, grads);
      run(device, [s.dispatchFor(h)]);
      ref = lsgdUpdate(ref.params, grads, ref.velocity, s.host.local, s.host.global, h);
    }
    const got = await s.read();
    assert.ok(relativeError(got.params, ref.params) <= 1e-4, `length ${length}: params after 6 steps`);
    assert.ok(relativeError(got.velocity, ref.velocity) <= 1e-4, `length ${length}: velocity after 6 steps`);
  }
});

test('params, grads and velocity may be ranges of the flat vectors', async () => {
  for (const length of [70, 72]) {
    const at = (buffer: GPUBuffer): Binding => ({ buffer, offset: 256, size: length * 4 });
    const host = { params: randomArray(length, 61), grads: randomArray(length, 62), velocity: randomArray(length, 63), local: randomArray(length, 64), global: randomArray(length, 65) };
    const padded = (a: Float32Array) => {
      const p = new Float32Array(64 + length + 10).fill(9);
      p.set(a, 64);
      return bufferFrom(device, p);
    };
    const params = padded(host.params);
    const velocity = padded(host.velocity);
    const hyper = device.createBuffer({ size: UPDATE_HYPER_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    writeUpdateHyper(device, hyper, PULL);
    const d = lsgdUpdateDispatch(cache, {
      length,
      pulls: PULL,
      params: at(params),
      grads: at(padded(host.grads)),
      velocity: at(velocity),
      localLeader: bufferFrom(device, host.local),
      globalLeader: bufferFrom(device, host.global),
      hyper,
    });
    run(device, [d]);
    const ref = lsgdUpdate(host.params, host.grads, host.velocity, host.local, host.global, PULL);
    const all = await readF32(device, params, 64 + length + 10);
    assert.ok(relativeError(all.subarray(64, 64 + length), ref.params) <= 1e-4);
    assert.ok(all.subarray(0, 64).every((v) => v === 9) && all.subarray(64 + length).every((v) => v === 9), 'floats outside the range are untouched');
    assert.ok(relativeError((await readF32(device, velocity, 64 + length)).subarray(64), ref.velocity) <= 1e-4);
  }
});

test('a capped grid (a few workgroups looping over the vector) gives the same step', async () => {
  for (const cap of [1, 3]) {
    for (const length of [1000, 50177]) {
      const s = setup(length, 71, PULL);
      const uncapped = cache.maxGridStrideWorkgroups;
      cache.maxGridStrideWorkgroups = cap;
      try {
        run(device, [s.dispatchFor(PULL)]);
      } finally {
        cache.maxGridStrideWorkgroups = uncapped;
      }
      const got = await s.read();
      const ref = lsgdUpdate(s.host.params, s.host.grads, s.host.velocity, s.host.local, s.host.global, PULL);
      assert.ok(relativeError(got.params, ref.params) <= 1e-4, `cap ${cap}, length ${length}: params`);
      assert.ok(relativeError(got.velocity, ref.velocity) <= 1e-4, `cap ${cap}, length ${length}: velocity`);
    }
  }
});
