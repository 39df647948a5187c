import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, randomArray, readF32, relativeError, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache, type Dispatch } from './dispatch.ts';
import { embeddingBackwardDispatches, embeddingForwardDispatch, type EmbeddingShape } from './embedding.ts';
import { embeddingBackward, embeddingForward } from '../../shared/reference/embedding.ts';
import { medianMsPerRepeat } from './timing.ts';
import { seededRandom } from '../../shared/random.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

// Odd dims take the one-float-per-step path, multiples of 4 the vec4 one.
const SHAPES: EmbeddingShape[] = [
  { batch: 1, context: 1, vocab: 1, dim: 1 },
  { batch: 3, context: 5, vocab: 7, dim: 3 },
  { batch: 2, context: 7, vocab: 11, dim: 8 },
  { batch: 5, context: 33, vocab: 256, dim: 17 },
  { batch: 8, context: 64, vocab: 256, dim: 64 },
  // Past 2048 positions dtable is summed in chunks, the last one partial here.
  { batch: 3, context: 701, vocab: 50, dim: 5 },
  { batch: 5, context: 500, vocab: 256, dim: 12 },
];

/** Bytes 256-aligned: the trainer binds parameters and gradients as ranges of one big buffer each. */
const ALIGN = 256;
const aligned = (floats: number) => Math.ceil((floats * 4) / ALIGN) * ALIGN;

/** Tokens drawn from the lower half of the vocabulary (so rows of the upper half never occur) plus, when asked,
 *  values no table row has: vocab, a large id, -1 and NaN. */
function randomTokens(s: EmbeddingShape, seed: number, outOfRange: boolean): Float32Array {
  const r = seededRandom(seed);
  const bad = [s.vocab, 1e9, -1, NaN];
  return Float32Array.from({ length: s.batch * s.context }, (_, i) => (outOfRange && i % 5 === 1 ? bad[i % bad.length] : Math.floor(r() * Math.ceil(s.vocab / 2))));
}

/** Parameters table and positions as ranges of one params buffer, gradients dtable and dpositions as ranges of one
 *  grads buffer (filled with NaN, so unwritten elements show), all at 256-byte offsets after a leading gap. */
function layout(s: EmbeddingShape, table: Float32Array, positions: Float32Array) {
  const tableAt = ALIGN;
  const positionsAt = tableAt + aligned(table.length);
  const end = positionsAt + aligned(positions.length);
  const params = new Float32Array(end / 4);
  params.set(table, tableAt / 4);
  params.set(positions, positionsAt / 4);
  const paramsBuf = bufferFrom(device, params);
  const gradsBuf = bufferFrom(device, new Float32Array(end / 4).fill(NaN));
  const range = (buffer: GPUBuffer, offset: number, floats: number): GPUBufferBinding => ({ buffer, offset, size: floats * 4 });
  return {
    table: range(paramsBuf, tableAt, table.length),
    positions: range(paramsBuf, positionsAt, positions.length),
    dtable: range(gradsBuf, tableAt, s.vocab * s.dim),
    dpositions: range(gradsBuf, positionsAt, s.context * s.dim),
    gradsBuf,
    end,
  };
}

for (const [i, s] of SHAPES.entries()) {
  for (const outOfRange of [false, true]) {
    const name = `${s.batch}x${s.context} tokens, vocab ${s.vocab}, dim ${s.dim}${outOfRange ? ', some out of range' : ''}`;
    test(`embedding ${name}: y, dtable and dpositions match the reference`, async () => {
      const tokens = randomTokens(s, i + 1, outOfRange);
      const table = randomArray(s.vocab * s.dim, i + 10);
      const positions = randomArray(s.context * s.dim, i + 20);
      const dy = randomArray(s.batch * s.context * s.dim, i + 30);
      const at = layout(s, table, positions);
      const tokensBuf = bufferFrom(device, tokens);
      const y = bufferFrom(device, new Float32Array(dy.length).fill(NaN));
      run(device, [
        embeddingForwardDispatch(cache, { shape: s, tokens: tokensBuf, table: at.table, positions: at.positions, y }),
        ...embeddingBackwardDispatches(cache, { shape: s, tokens: tokensBuf, dy: bufferFrom(device, dy), dtable: at.dtable, dpositions: at.dpositions }),
      ]);
      assert.ok(relativeError(await readF32(device, y, dy.length), embeddingForward(tokens, table, positions, s)) <= 1e-6, 'y');
      const ref = embeddingBackward(tokens, dy, s);
      const grads = await readF32(device, at.gradsBuf, at.end / 4);
      const dtable = grads.subarray(at.dtable.offset! / 4, at.dtable.offset! / 4 + ref.dtable.length);
      const dpositions = grads.subarray(at.dpositions.offset! / 4, at.dpositions.offset! / 4 + ref.dpositions.length);
      assert.ok(relativeError(dtable, ref.dtable) <= 1e-5, 'dtable');
      assert.ok(relativeError(dpositions, ref.dpositions) <= 1e-5, 'dpositions');
      const unused = dtable.subarray(Math.ceil(s.vocab / 2) * s.dim);
      assert.ok(unused.every((v) => v === 0), 'rows of tokens that never occur are 0');
      assert.ok(Number.isNaN(grads[0]) && Number.isNaN(grads[at.dtable.offset! / 4 - 1]), 'nothing before dtable is written');
    });
  }
}

test('embedding at batch 64, context 128, vocab 256, dim 128: timing (printed, not asserted)', async () => {
  const s: EmbeddingShape = { batch: 64, context: 128, vocab: 256, dim: 128 };
  const tokens = bufferFrom(device, randomTokens(s, 1, false));
  const at = layout(s, randomArray(s.vocab * s.dim, 2), randomArray(s.context * s.dim, 3));
  const dy = bufferFrom(device, randomArray(s.batch * s.context * s.dim, 4));
  const y = bufferFrom(device, new Float32Array(s.batch * s.context * s.dim));
  const forward = embeddingForwardDispatch(cache, { shape: s, tokens, table: at.table, positions: at.positions, y });
  const backward = embeddingBackwardDispatches(cache, { shape: s, tokens, dy, dtable: at.dtable, dpositions: at.dpositions });
  const ms = async (d: Dispatch[]) => (await medianMsPerRepeat(device, d, 3, 3)).toFixed(1);
  const dtable = await ms(backward.slice(0, -1));
  const dpositions = await ms(backward.slice(-1));
  console.log(`embedding 64x128 tokens, vocab 256, dim 128: forward ${await ms([forward])} ms, dtable ${dtable} ms, dpositions ${dpositions} ms`);
});
