import { test } from 'node:test';
import assert from 'node:assert/strict';
import { easgdCenterUpdate, easgdWorkerPull } from './easgd.ts';
import { meanGradient, medianGradient } from './sync_sgd.ts';

const close = (a: ArrayLike<number>, b: number[]) => b.forEach((v, i) => assert.ok(Math.abs(a[i] - v) < 1e-12, `[${i}] ${a[i]} vs ${v}`));

test('easgd center update adds alpha times the sum of the workers\' differences', () => {
  // center [1, 0], workers [3, 2] and [1, -4], alpha 0.25: [1 + 0.25*(2+0), 0 + 0.25*(2-4)]
  close(easgdCenterUpdate([1, 0], [[3, 2], [1, -4]], 0.25), [1.5, -0.5]);
  close(easgdCenterUpdate([1, 0], [], 0.25), [1, 0]);
  assert.throws(() => easgdCenterUpdate([1, 0], [[1]], 0.5), /worker 0 has 1 values/);
});

test('easgd worker pull moves alpha of the way to the center, and conserves the pair\'s sum with the center update', () => {
  close(easgdWorkerPull([3, 2], [1, 0], 0.25), [2.5, 1.5]);
  const x = [0.3, -1.2, 5];
  const c = [1, 1, 1];
  const pulled = easgdWorkerPull(x, c, 0.4);
  const moved = easgdCenterUpdate(c, [x], 0.4);
  close(Array.from(pulled, (v, i) => v + moved[i]), x.map((v, i) => v + c[i]));
});

test('sync-sgd aggregates: mean, and the coordinate-wise median that ignores one outlier', () => {
  close(meanGradient([[1, 2], [3, -2], [5, 3]]), [3, 1]);
  close(medianGradient([[1, 2], [3, -2], [1e9, 3]]), [3, 2]);
  close(medianGradient([[1, 4], [3, -2]]), [2, 1]);
  assert.throws(() => meanGradient([]), /no gradients/);
  assert.throws(() => meanGradient([[1], [1, 2]]), /gradient 1 has 2 values/);
});
