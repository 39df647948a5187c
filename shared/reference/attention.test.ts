import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionBackward, attentionForward, type AttentionShape } from './attention.ts';
import { seededRandom } from '../random.ts';
import { relativeError } from '../relative_error.ts';

function random(length: number, seed: number): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length }, () => r() * 2 - 1);
}

const qkvLength = (s: AttentionShape) => s.batch * s.context * 3 * s.dim;
const outLength = (s: AttentionShape) => s.batch * s.context * s.dim;

test('with equal keys each query averages the values of its prefix, and lse is its score plus log(t + 1)', () => {
  const s: AttentionShape = { batch: 1, context: 3, heads: 1, dim: 2 };
  // rows: q | k | v; q . k / sqrt(2) = 0.5 for every pair
  const qkv = [1, 0, 0.5 * Math.SQRT2, 0, 1, 2, /**/ 1, 0, 0.5 * Math.SQRT2, 0, 3, 4, /**/ 1, 0, 0.5 * Math.SQRT2, 0, 5, 9];
  const { out, lse } = attentionForward(qkv, s);
  const expected = [1, 2, 2, 3, 3, 5];
  assert.ok(relativeError(out, expected) < 1e-12, `out ${[...out]}`);
  assert.ok(relativeError(lse, [0.5, 0.5 + Math.log(2), 0.5 + Math.log(3)]) < 1e-12, `lse ${[...lse]}`);
});

test('a future token\'s k and v leave earlier outputs and lse unchanged', () => {
  const s: AttentionShape = { batch: 2, context: 6, heads: 2, dim: 8 };
  const qkv = random(qkvLength(s), 1);
  const before = attentionForward(qkv, s);
  const changed = Float64Array.from(qkv);
  const future = 4;
  for (const b of [0, 1]) {
    const row = (b * s.context + future) * 3 * s.dim;
    for (let c = s.dim; c < 3 * s.dim; c++) changed[row + c] += 5;
  }
  const after = attentionForward(changed, s);
  for (let b = 0; b < s.batch; b++) {
    for (let t = 0; t < s.context; t++) {
      const row = before.out.subarray((b * s.context + t) * s.dim, (b * s.context + t + 1) * s.dim);
      const same = row.every((v, j) => v === after.out[(b * s.context + t) * s.dim + j]);
      assert.equal(same, t < future, `batch ${b} token ${t}`);
    }
    for (let h = 0; h < s.heads; h++) {
      for (let t = 0; t < future; t++) assert.equal(after.lse[(b * s.heads + h) * s.context + t], before.lse[(b * s.heads + h) * s.context + t]);
    }
  }
});

// L = sum(out * r): its gradient with respect to out is r, so the backward given dout = r must be dL/dqkv.
for (const s of [
  { batch: 2, context: 5, heads: 2, dim: 8 },
  { batch: 1, context: 7, heads: 3, dim: 9 },
] satisfies AttentionShape[]) {
  test(`backward ${s.batch}x${s.context}, ${s.heads} heads of ${s.dim / s.heads}: matches central finite differences of sum(out * r)`, () => {
    const qkv = random(qkvLength(s), 2);
    const r = random(outLength(s), 3);
    const loss = (x: Float64Array) => attentionForward(x, s).out.reduce((sum, v, i) => sum + v * r[i], 0);
    const { out, lse } = attentionForward(qkv, s);
    const analytic = attentionBackward(qkv, out, lse, r, s);
    const numeric = new Float64Array(qkv.length);
    const h = 1e-5;
    for (let i = 0; i < qkv.length; i++) {
      const x = Float64Array.from(qkv);
      x[i] = qkv[i] + h;
      const up = loss(x);
      x[i] = qkv[i] - h;
      numeric[i] = (up - loss(x)) / (2 * h);
    }
    assert.ok(relativeError(analytic, numeric) < 1e-7, `relative error ${relativeError(analytic, numeric)}`);
  });
}
