import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, randomArray, readF32, relativeError, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache, type Binding } from './dispatch.ts';
import { ADAMW_HYPER_BYTES, adamwUpdateDispatch, writeAdamwHyper } from './adamw_update.ts';
import { leaderPullDispatch } from './leader_pull.ts';
import { lsgdUpdateDispatch, UPDATE_HYPER_BYTES, writeUpdateHyper, type UpdatePulls } from './lsgd_update.ts';
import { medianMsPerRepeat } from './timing.ts';
import { adamwUpdate, type AdamwHyper } from '../../shared/reference/adamw_update.ts';
import { leaderPull } from '../../shared/reference/leader_pull.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

// Multiples of 4 take the vec4 path (the whole flat vector always does), the others the scalar one.
const LENGTHS = [1, 3, 4, 7, 65, 1000, 50177, 1_000_000, 1_000_003];
const PULL: AdamwHyper = { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, lambdaL: 0.3, lambdaG: 0.7, useLocal: true, useGlobal: true };
const COMBINATIONS: UpdatePulls[] = [
  { useLocal: false, useGlobal: false },
  { useLocal: true, useGlobal: false },
  { useLocal: false, useGlobal: true },
  { useLocal: true, useGlobal: true },
];

const hyperBuffer = () => device.createBuffer({ size: ADAMW_HYPER_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
/** The second moment is a running mean of squares: never negative. */
const squares = (length: number, seed: number) => randomArray(length, seed, 0.1).map((x) => x * x);

function setup(length: number, seed: number, h: AdamwHyper, step: number, local: Float32Array = randomArray(length, seed + 4), global: Float32Array = randomArray(length, seed + 5)) {
  const host = { params: randomArray(length, seed), grads: randomArray(length, seed + 1), m: randomArray(length, seed + 2, 0.1), v: squares(length, seed + 3), local, global };
  const hyper = hyperBuffer();
  writeAdamwHyper(device, hyper, h, step);
  const gpu = {
    params: bufferFrom(device, host.params),
    grads: bufferFrom(device, host.grads),
    m: bufferFrom(device, host.m),
    v: bufferFrom(device, host.v),
    localLeader: bufferFrom(device, local),
    globalLeader: bufferFrom(device, global),
  };
  const dispatchFor = (pulls: UpdatePulls) => adamwUpdateDispatch(cache, { length, pulls, ...gpu, hyper });
  const read = async () => ({ params: await readF32(device, gpu.params, length), m: await readF32(device, gpu.m, length), v: await readF32(device, gpu.v, length) });
  const reference = (hs: AdamwHyper = h, at = step) => adamwUpdate(host.params, host.grads, host.m, host.v, host.local, host.global, hs, at);
  return { host, gpu, hyper, dispatch: dispatchFor(h), dispatchFor, read, reference };
}

/** The step each parameter took, against the reference's: params alone would hide errors under their own size. */
function stepError(got: ArrayLike<number>, expected: ArrayLike<number>, before: ArrayLike<number>): number {
  const moved = (a: ArrayLike<number>) => Float64Array.from(before, (b, i) => a[i] - b);
  return relativeError(moved(got), moved(expected));
}

function assertMatches(got: { params: Float32Array; m: Float32Array; v: Float32Array }, ref: ReturnType<typeof adamwUpdate>, before: ArrayLike<number>, what: string) {
  assert.ok(stepError(got.params, ref.params, before) <= 1e-4, `${what}: params`);
  assert.ok(relativeError(got.m, ref.m) <= 1e-5, `${what}: m`);
  assert.ok(relativeError(got.v, ref.v) <= 1e-5, `${what}: v`);
}

test('one step matches the reference for every length', async () => {
  for (const length of LENGTHS) {
    const s = setup(length, length, PULL, 3);
    run(device, [s.dispatch]);
    assertMatches(await s.read(), s.reference(), s.host.params, `length ${length}`);
  }
});

test('every combination of pulls matches the reference, and a switched-off leader is never read', async () => {
  for (const length of [999, 1000]) {
    const garbage = Float32Array.from({ length }, (_, i) => (i % 2 ? NaN : -Infinity));
    for (const pulls of COMBINATIONS) {
      const h = { ...PULL, ...pulls };
      const s = setup(length, 11, h, 5, pulls.useLocal ? undefined : garbage, pulls.useGlobal ? undefined : garbage);
      run(device, [s.dispatch]);
      assertMatches(await s.read(), s.reference(), s.host.params, `length ${length}, ${JSON.stringify(pulls)}`);
    }
  }
});

test('the first step from zero moments moves each parameter by lr against its gradient, plus the decay', async () => {
  for (const length of [1000, 1001]) {
    const h = { ...PULL, useLocal: false, useGlobal: false };
    const s = setup(length, 21, h, 1);
    device.queue.writeBuffer(s.gpu.m, 0, new Float32Array(length));
    device.queue.writeBuffer(s.gpu.v, 0, new Float32Array(length));
    run(device, [s.dispatch]);
    const got = await s.read();
    const { params: x, grads: g } = s.host;
    const expected = x.map((xi, i) => xi - h.lr * Math.sign(g[i]) - h.lr * h.weightDecay * xi);
    assert.ok(stepError(got.params, expected, x) <= 1e-4, `length ${length}`);
    assertMatches(got, adamwUpdate(x, g, new Float64Array(length), new Float64Array(length), null, null, h, 1), x, `length ${length}`);
  }
});

test('step 10,000 (c1 = 1, c2 near 1) matches the reference and differs from step 1 on the same state', async () => {
  for (const length of [1000, 1001]) {
    const s = setup(length, 31, PULL, 10_000);
    run(device, [s.dispatch]);
    const got = await s.read();
    assertMatches(got, s.reference(), s.host.params, `length ${length}`);
    assert.ok(stepError(got.params, s.reference(PULL, 1).params, s.host.params) > 0.1, `length ${length}: the bias corrections are ignored`);
  }
});

test('consecutive steps with new gradients, changing bias corrections and pulls track the f32-rounded reference', async () => {
  for (const length of [50176, 50177]) {
    const s = setup(length, 41, PULL, 1);
    const zero = new Float32Array(length);
    device.queue.writeBuffer(s.gpu.m, 0, zero);
    device.queue.writeBuffer(s.gpu.v, 0, zero);
    let ref = { params: s.host.params, m: zero, v: zero };
    let before = ref.params;
    for (let step = 1; step <= 8; step++) {
      const h = { ...PULL, ...COMBINATIONS[step % 4], lr: step <= 4 ? 0.05 : 0.02 };
      writeAdamwHyper(device, s.hyper, h, step);
      const grads = randomArray(length, 100 + step);
      device.queue.writeBuffer(s.gpu.grads, 0, grads);
      run(device, [s.dispatchFor(h)]);
      // The GPU buffers hold f32 between steps; so does the reference, to follow the same trajectory.
      const next = adamwUpdate(ref.params, grads, ref.m, ref.v, s.host.local, s.host.global, h, step);
      before = ref.params;
      ref = { params: Float32Array.from(next.params), m: Float32Array.from(next.m), v: Float32Array.from(next.v) };
    }
    const got = await s.read();
    assert.ok(relativeError(got.params, ref.params) <= 1e-5, `length ${length}: params after 8 steps`);
    assert.ok(stepError(got.params, ref.params, before) <= 1e-3, `length ${length}: the 8th step`);
    assert.ok(relativeError(got.m, ref.m) <= 1e-5, `length ${length}: m after 8 steps`);
    assert.ok(relativeError(got.v, ref.v) <= 1e-5, `length ${length}: v after 8 steps`);
  }
});

test('params and grads may be ranges of the flat vectors, m and v two ranges of one buffer', async () => {
  for (const length of [70, 72]) {
    const at = (buffer: GPUBuffer, offset = 256): Binding => ({ buffer, offset, size: length * 4 });
    const s = setup(length, 51, PULL, 2);
    const padded = (a: Float32Array) => {
      const p = new Float32Array(64 + length + 10).fill(9);
      p.set(a, 64);
      return bufferFrom(device, p);
    };
    const params = padded(s.host.params);
    // m at float 64 (byte 256), v at float 192 (byte 768), sentinels around and between them.
    const state = new Float32Array(192 + length + 10).fill(9);
    state.set(s.host.m, 64);
    state.set(s.host.v, 192);
    const moments = bufferFrom(device, state);
    const d = adamwUpdateDispatch(cache, {
      length,
      pulls: PULL,
      params: at(params),
      grads: at(padded(s.host.grads)),
      m: at(moments),
      v: at(moments, 768),
      localLeader: s.gpu.localLeader,
      globalLeader: s.gpu.globalLeader,
      hyper: s.hyper,
    });
    run(device, [d]);
    const ref = s.reference();
    const all = await readF32(device, params, 64 + length + 10);
    assert.ok(stepError(all.subarray(64, 64 + length), ref.params, s.host.params) <= 1e-4);
    assert.ok(all.subarray(0, 64).every((v) => v === 9) && all.subarray(64 + length).every((v) => v === 9), 'floats outside the params range are untouched');
    const both = await readF32(device, moments, state.length);
    assert.ok(relativeError(both.subarray(64, 64 + length), ref.m) <= 1e-5 && relativeError(both.subarray(192, 192 + length), ref.v) <= 1e-5);
    const outside = [...both.subarray(0, 64), ...both.subarray(64 + length, 192), ...both.subarray(192 + length)];
    assert.ok(outside.every((v) => v === 9), 'floats outside the m and v ranges are untouched');
  }
});

test('a capped grid (a few workgroups looping over the vector) gives the same step', async () => {
  for (const cap of [1, 3]) {
    for (const length of [1000, 50177]) {
      const s = setup(length, 61, PULL, 4);
      const uncapped = cache.maxGridStrideWorkgroups;
      cache.maxGridStrideWorkgroups = cap;
      try {
        run(device, [s.dispatchFor(PULL)]);
      } finally {
        cache.maxGridStrideWorkgroups = uncapped;
      }
      assertMatches(await s.read(), s.reference(), s.host.params, `cap ${cap}, length ${length}`);
    }
  }
});

test('the periodic leader pull can read its lambdas from the AdamW uniform buffer', async () => {
  for (const length of [999, 1000]) {
    const s = setup(length, 71, PULL, 9);
    run(device, [leaderPullDispatch(cache, { length, pulls: PULL, params: s.gpu.params, localLeader: s.gpu.localLeader, globalLeader: s.gpu.globalLeader, hyper: s.hyper })]);
    const expected = leaderPull(s.host.params, s.host.local, s.host.global, PULL);
    assert.ok(relativeError(await readF32(device, s.gpu.params, length), expected) <= 1e-5, `length ${length}`);
  }
});

test('timing: one update over 500,000 floats, AdamW against momentum SGD (printed, not asserted)', async () => {
  const length = 500_000;
  const s = setup(length, 81, PULL, 10);
  const none = { useLocal: false, useGlobal: false };
  const lsgdHyper = device.createBuffer({ size: UPDATE_HYPER_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  writeUpdateHyper(device, lsgdHyper, { lr: 0.05, momentum: 0.9, lambdaL: 0.3, lambdaG: 0.7 });
  const lsgd = lsgdUpdateDispatch(cache, { length, pulls: none, params: s.gpu.params, grads: s.gpu.grads, velocity: s.gpu.m, localLeader: s.gpu.localLeader, globalLeader: s.gpu.globalLeader, hyper: lsgdHyper });
  const adamw = s.dispatchFor(none);
  const ms = { adamw: await medianMsPerRepeat(device, [adamw], 4, 5), lsgd: await medianMsPerRepeat(device, [lsgd], 4, 5) };
  console.log(`update over ${length} floats, no pulls, ${cache.maxGridStrideWorkgroups} workgroups at most: adamw ${ms.adamw.toFixed(2)} ms, lsgd ${ms.lsgd.toFixed(2)} ms (${(ms.adamw / ms.lsgd).toFixed(2)}x)`);
  assert.ok(Number.isFinite(ms.adamw) && Number.isFinite(ms.lsgd));
});
