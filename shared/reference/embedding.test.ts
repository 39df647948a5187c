import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embeddingBackward, embeddingForward, type EmbeddingShape } from './embedding.ts';
import { seededRandom } from '../random.ts';

const s: EmbeddingShape = { batch: 2, context: 3, vocab: 5, dim: 2 };
// Token 4 repeats and token 1 never occurs; 7 is out of range.
const tokens = [0, 4, 2, 4, 3, 7];

test('embedding backward matches central finite differences of the forward', () => {
  const r = seededRandom(1);
  const random = (n: number) => Float64Array.from({ length: n }, () => r() * 2 - 1);
  const table = random(s.vocab * s.dim);
  const positions = random(s.context * s.dim);
  const w = random(s.batch * s.context * s.dim);
  // loss = sum(w * y), so dy = w.
  const loss = (tb: Float64Array, ps: Float64Array) => embeddingForward(tokens, tb, ps, s).reduce((acc, y, i) => acc + y * w[i], 0);
  const { dtable, dpositions } = embeddingBackward(tokens, w, s);
  const h = 1e-5;
  for (const [param, grad] of [[table, dtable], [positions, dpositions]]) {
    for (let i = 0; i < param.length; i++) {
      const keep = param[i];
      param[i] = keep + h;
      const up = loss(table, positions);
      param[i] = keep - h;
      const down = loss(table, positions);
      param[i] = keep;
      assert.ok(Math.abs((up - down) / (2 * h) - grad[i]) < 1e-8, `index ${i}`);
    }
  }
  assert.deepEqual([...dtable.subarray(2, 4)], [0, 0], 'a token that never occurs gets a zero gradient');
});

test('a token out of range adds no table row', () => {
  const table = Float64Array.from({ length: s.vocab * s.dim }, (_, i) => 100 + i);
  const positions = Float64Array.from({ length: s.context * s.dim }, (_, i) => i);
  const y = embeddingForward(tokens, table, positions, s);
  assert.deepEqual([...y.subarray(10, 12)], [4, 5], 'batch 1, position 2: positions[2] alone');
});
