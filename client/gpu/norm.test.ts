import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache, type Dispatch } from './dispatch.ts';
import { bufferFrom, emptyBuffer, randomArray, readF32, relativeError, run } from './test_support.ts';
import { medianMsPerRepeat } from './timing.ts';
import { reluForwardDispatch } from './relu.ts';
import { normBackwardDispatches, normBackwardScratchFloats, normForwardDispatches } from './norm.ts';
import { normBackward, normForward, type NormShape } from '../../shared/reference/norm.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

const eps = 1e-5;
const SHAPES: { name: string; shape: NormShape; timed?: boolean }[] = [
  { name: 'group norm 3 x 5x7 x 12, 4 groups (3 channels each)', shape: { instances: 3, positions: 35, channels: 12, groups: 4, eps } },
  { name: 'group norm 64 x 14x14 x 32, 8 groups', shape: { instances: 64, positions: 196, channels: 32, groups: 8, eps }, timed: true },
  { name: 'layer norm 64x128 tokens x 128', shape: { instances: 8192, positions: 1, channels: 128, groups: 1, eps }, timed: true },
  { name: 'layer norm 5 x 6', shape: { instances: 5, positions: 1, channels: 6, groups: 1, eps } },
  { name: 'layer norm 300 x 10 (scalar, two passes for the parameter gradients)', shape: { instances: 300, positions: 1, channels: 10, groups: 1, eps } },
  { name: 'group norm 2 x 3 x 8, 2 groups (vec4, one pass for the parameter gradients)', shape: { instances: 2, positions: 3, channels: 8, groups: 2, eps: 0.1 } },
  { name: 'group norm 7 x 50 x 6, 3 groups (scalar, chunks not aligned to instances)', shape: { instances: 7, positions: 50, channels: 6, groups: 3, eps } },
];

/** Floats from `at` (a multiple of 64: 256 bytes) past `length`, rounded up to the next multiple of 64. */
const after = (at: number, length: number) => at + Math.ceil(length / 64) * 64;
const range = (buffer: GPUBuffer, offset: number, length: number): GPUBufferBinding => ({ buffer, offset: offset * 4, size: length * 4 });
const FILLER = -3;

for (const [i, { name, shape: s, timed }] of SHAPES.entries()) {
  test(`norm ${name}: y, mean, rstd, dx, dgamma and dbeta match the reference, parameters bound as ranges of flat buffers`, async (t) => {
    const size = s.instances * s.positions * s.channels;
    const stats = s.instances * s.groups;
    // gamma and beta (and dgamma and dbeta) at 256-byte boundaries of one params (grads) buffer, as the trainer binds them.
    const gammaAt = 64;
    const betaAt = after(gammaAt, s.channels);
    const total = after(betaAt, s.channels);
    const params = randomArray(total, i + 1, 2);
    const gammas = params.subarray(gammaAt, gammaAt + s.channels);
    const betas = params.subarray(betaAt, betaAt + s.channels);
    // Far off-centre inputs: a variance taken as E[x^2] - mean^2 in f32 would miss the rstd tolerance here.
    const xs = randomArray(size, i + 10).map((v) => v + 100);
    const dys = randomArray(size, i + 20);
    const paramBuffer = bufferFrom(device, params);
    const grads = bufferFrom(device, new Float32Array(total).fill(FILLER));
    // NaN first: the kernels must write every element of their outputs.
    const [y, dx, mean, rstd] = [size, size, stats, stats].map((n) => bufferFrom(device, new Float32Array(n).fill(NaN)));
    const [x, dy] = [xs, dys].map((a) => bufferFrom(device, a));
    const scratchFloats = normBackwardScratchFloats(s);
    const scratch = scratchFloats ? { scratch: range(emptyBuffer(device, 64 + scratchFloats), 64, scratchFloats) } : {};
    const forward = normForwardDispatches(cache, { shape: s, x, gamma: range(paramBuffer, gammaAt, s.channels), beta: range(paramBuffer, betaAt, s.channels), y, mean, rstd });
    const backward = normBackwardDispatches(cache, {
      shape: s, x, dy, gamma: range(paramBuffer, gammaAt, s.channels), mean, rstd, dx,
      dgamma: range(grads, gammaAt, s.channels), dbeta: range(grads, betaAt, s.channels), ...scratch,
    });
    // Twice: the gradients are overwritten, not accumulated.
    run(device, [...forward, ...backward, ...backward]);

    const expected = normForward(xs, gammas, betas, s);
    assert.ok(relativeError(await readF32(device, y, size), expected.y) <= 1e-4, 'y');
    assert.ok(relativeError(await readF32(device, mean, stats), expected.mean) <= 1e-5, 'mean');
    assert.ok(relativeError(await readF32(device, rstd, stats), expected.rstd) <= 1e-4, 'rstd');
    const gradients = normBackward(xs, dys, gammas, expected.mean, expected.rstd, s);
    assert.ok(relativeError(await readF32(device, dx, size), gradients.dx) <= 1e-4, 'dx');
    const g = await readF32(device, grads, total);
    assert.ok(relativeError(g.subarray(gammaAt, gammaAt + s.channels), gradients.dgamma) <= 1e-4, 'dgamma');
    assert.ok(relativeError(g.subarray(betaAt, betaAt + s.channels), gradients.dbeta) <= 1e-4, 'dbeta');
    g.forEach((v, k) => {
      const inside = (k >= gammaAt && k < gammaAt + s.channels) || (k >= betaAt && k < betaAt + s.channels);
      if (!inside) assert.equal(v, FILLER, `grads entry ${k} outside dgamma and dbeta was written`);
    });
    // relu over the same floats puts the figures in scale on a shared, loaded machine.
    const relu = reluForwardDispatch(cache, { length: size, x: emptyBuffer(device, size) });
    if (timed) t.diagnostic(`forward ${await msOf(forward)} ms, backward ${await msOf(backward)} ms, relu of as many floats ${await msOf([relu])} ms (median of 5)`);
  });
}

const msOf = async (dispatches: Dispatch[]) => (await medianMsPerRepeat(device, dispatches, 1, 5)).toFixed(2);

test('norm backward of many rows asks for scratch and refuses to run without enough of it', () => {
  const s: NormShape = { instances: 64, positions: 196, channels: 32, groups: 8, eps };
  assert.equal(normBackwardScratchFloats({ ...s, instances: 1 }), 0, '196 rows take one pass');
  const floats = normBackwardScratchFloats(s);
  assert.ok(floats >= 2 * 32 && floats % 128 === 0, `${floats}: two halves of whole 256-byte blocks`);
  const b = emptyBuffer(device, 4);
  const args = { shape: s, x: b, dy: b, gamma: b, mean: b, rstd: b, dx: b, dgamma: b, dbeta: b };
  assert.throws(() => normBackwardDispatches(cache, args), /needs scratch: pass normBackwardScratchFloats/);
  assert.throws(() => normBackwardDispatches(cache, { ...args, scratch: emptyBuffer(device, floats - 64) }), /scratch holds/);
  assert.throws(() => normForwardDispatches(cache, { ...args, shape: { ...s, groups: 5 }, beta: b, y: b }), /multiple of groups 5/);
});
