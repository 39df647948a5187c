import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache, type Dispatch } from './dispatch.ts';
import { bufferFrom, emptyBuffer, randomArray, readF32, relativeError, run } from './test_support.ts';
import { medianMsPerRepeat } from './timing.ts';
import { attentionBackwardDispatches, attentionForwardDispatches, attentionScratchFloats, quadsByDefault } from './attention.ts';
import { attentionBackward, attentionForward, type AttentionShape } from '../../shared/reference/attention.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

const SHAPES: AttentionShape[] = [
  { batch: 2, context: 5, heads: 2, dim: 8 },
  { batch: 3, context: 17, heads: 4, dim: 32 },
  { batch: 1, context: 9, heads: 1, dim: 64 },
  { batch: 2, context: 128, heads: 4, dim: 128 },
];
// Every shape through the variant this device runs by default; the other one through the two with small heads and
// a partial last block (compiling the 3 kernels for heads of 64 takes ~20 s on SwiftShader).
const QUADS = quadsByDefault(device);
const CASES: { shape: AttentionShape; quads: boolean }[] = [
  ...SHAPES.map((shape) => ({ shape, quads: QUADS })),
  ...(device.features.has('subgroups') ? SHAPES.slice(0, 2).map((shape) => ({ shape, quads: !QUADS })) : []),
];

const SENTINEL = 7;
/** Floats rounded up to a multiple of 64 (256 bytes). */
const align = (floats: number) => Math.ceil(floats / 64) * 64;

/** Ranges of one buffer filled with SENTINEL, starting 256 bytes in, each 256-byte aligned with 256 bytes between
 *  them, as tensors sit in the trainer's big buffers. */
function ranges(lengths: number[]): { buffer: GPUBuffer; at: GPUBufferBinding[]; starts: number[]; total: number } {
  const starts: number[] = [];
  let next = 64;
  for (const n of lengths) {
    starts.push(next);
    next = align(next + n) + 64;
  }
  const buffer = bufferFrom(device, new Float32Array(next).fill(SENTINEL));
  return { buffer, starts, total: next, at: lengths.map((n, i) => ({ buffer, offset: starts[i] * 4, size: n * 4 })) };
}

function write(binding: GPUBufferBinding, data: Float32Array): void {
  device.queue.writeBuffer(binding.buffer, binding.offset!, data);
}

/** True when every float outside the ranges still holds SENTINEL. */
async function untouchedAround(r: ReturnType<typeof ranges>, lengths: number[]): Promise<boolean> {
  const all = await readF32(device, r.buffer, r.total);
  const inside = new Uint8Array(r.total);
  r.starts.forEach((start, i) => inside.fill(1, start, start + lengths[i]));
  return all.every((v, i) => inside[i] === 1 || v === SENTINEL);
}

const name = (s: AttentionShape, quads: boolean) => `${s.batch}x${s.context}, ${s.heads} heads of ${s.dim / s.heads}${quads ? ', quads' : ''}`;

for (const [i, { shape: s, quads }] of CASES.entries()) {
  test(`attention ${name(s, quads)}: out, lse and dqkv match the reference, at 256-byte offsets of shared buffers`, async () => {
    const qkvLength = s.batch * s.context * 3 * s.dim;
    const outLength = s.batch * s.context * s.dim;
    const lseLength = s.batch * s.heads * s.context;
    const scratchLength = attentionScratchFloats(s);
    const qkvs = randomArray(qkvLength, i + 1, 2);
    const douts = randomArray(outLength, i + 100);
    // Inputs read by every dispatch share one buffer; forward outputs another; backward outputs (written
    // together) a third.
    const inputs = ranges([qkvLength, outLength]);
    const forward = ranges([outLength, lseLength]);
    const backward = ranges([qkvLength, scratchLength]);
    write(inputs.at[0], qkvs);
    write(inputs.at[1], douts);
    // NaN in the output ranges: the kernels must write every element.
    write(forward.at[0], new Float32Array(outLength).fill(NaN));
    write(forward.at[1], new Float32Array(lseLength).fill(NaN));
    write(backward.at[0], new Float32Array(qkvLength).fill(NaN));
    write(backward.at[1], new Float32Array(scratchLength).fill(NaN));
    const [qkv, dout] = inputs.at;
    const [out, lse] = forward.at;
    const [dqkv, scratch] = backward.at;
    run(device, [...attentionForwardDispatches(cache, { shape: s, qkv, out, lse, quads }), ...attentionBackwardDispatches(cache, { shape: s, qkv, out, lse, dout, dqkv, scratch, quads })]);

    const expected = attentionForward(qkvs, s);
    const all = async (r: ReturnType<typeof ranges>, at: number, n: number) => (await readF32(device, r.buffer, r.total)).subarray(r.starts[at], r.starts[at] + n);
    const gotOut = await all(forward, 0, outLength);
    const gotLse = await all(forward, 1, lseLength);
    assert.ok(relativeError(gotOut, expected.out) <= 1e-5, `out: relative error ${relativeError(gotOut, expected.out)}`);
    assert.ok(relativeError(gotLse, expected.lse) <= 1e-5, `lse: relative error ${relativeError(gotLse, expected.lse)}`);
    // The backward from the GPU's own out and lse, as the trainer runs it.
    const expectedDqkv = attentionBackward(qkvs, gotOut, gotLse, douts, s);
    const gotDqkv = await all(backward, 0, qkvLength);
    assert.ok(relativeError(gotDqkv, expectedDqkv) <= 1e-4, `dqkv: relative error ${relativeError(gotDqkv, expectedDqkv)}`);
    assert.ok(await untouchedAround(forward, [outLength, lseLength]), 'floats around out and lse are untouched');
    assert.ok(await untouchedAround(backward, [qkvLength, scratchLength]), 'floats around dqkv and scratch are untouched');
  });
}

test('attention refuses a head dim that is not a multiple of 4 or over 64', () => {
  const b = emptyBuffer(device, 4);
  for (const shape of [{ batch: 1, context: 4, heads: 3, dim: 9 }, { batch: 1, context: 4, heads: 1, dim: 128 }]) {
    assert.throws(() => attentionForwardDispatches(cache, { shape, qkv: b, out: b, lse: b }), /head dim/);
  }
});

test('attention at the model\'s size (64 x 128, 4 heads of 32): forward and backward times, printed', async () => {
  const s: AttentionShape = { batch: 64, context: 128, heads: 4, dim: 128 };
  const tensor = (floats: number, seed: number) => bufferFrom(device, randomArray(floats, seed));
  const qkv = tensor(s.batch * s.context * 3 * s.dim, 1);
  const dout = tensor(s.batch * s.context * s.dim, 2);
  const out = emptyBuffer(device, s.batch * s.context * s.dim);
  const lse = emptyBuffer(device, s.batch * s.heads * s.context);
  const dqkv = bufferFrom(device, new Float32Array(s.batch * s.context * 3 * s.dim).fill(NaN));
  const scratch = emptyBuffer(device, attentionScratchFloats(s));
  const forward: Dispatch[] = attentionForwardDispatches(cache, { shape: s, qkv, out, lse });
  const backward: Dispatch[] = attentionBackwardDispatches(cache, { shape: s, qkv, out, lse, dout, dqkv, scratch });
  const forwardMs = await medianMsPerRepeat(device, forward, 1, 3);
  const backwardMs = await medianMsPerRepeat(device, backward, 1, 3);
  console.log(`attention ${name(s, QUADS)}: forward ${forwardMs.toFixed(1)} ms, backward ${backwardMs.toFixed(1)} ms`);
  assert.ok((await readF32(device, dqkv, s.batch * s.context * 3 * s.dim)).every(Number.isFinite), 'every sequence of the batch gets its dqkv');
});
