import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededNormal } from '../random.ts';
import { grawaCenter, grawaPull, type GrawaWorker } from './grawa.ts';
import { meanGradient } from './sync_sgd.ts';

const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12) => Array.from(b).forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= tol, `[${i}] ${a[i]} vs ${v}`));

const randomWorkers = (seed: number, n: number, len: number): GrawaWorker[] => {
  const normal = seededNormal(seed);
  return Array.from({ length: n }, () => ({ x: Float64Array.from({ length: len }, normal), gradNorm: 0.1 + Math.abs(normal()) }));
};

test('grawa center and pull worked by hand', () => {
  // weights 1 and 1/2: ([0, 0] + [3, 6] / 2) / 1.5
  near(grawaCenter([{ x: [0, 0], gradNorm: 1 }, { x: [3, 6], gradNorm: 2 }]), [1, 2]);
  near(grawaPull([4, 0], [1, 2], 0.5), [2.5, 1]);
  assert.throws(() => grawaCenter([]), /no workers/);
  assert.throws(() => grawaCenter([{ x: [1], gradNorm: 0 }]), /positive and finite, got 0/);
  assert.throws(() => grawaCenter([{ x: [1], gradNorm: Number.NaN }]), /positive and finite/);
  assert.throws(() => grawaCenter([{ x: [1], gradNorm: 1 }, { x: [1, 2], gradNorm: 1 }]), /worker 1 has 2 values/);
  assert.throws(() => grawaPull([1, 2], [1], 0.5), /the center has 1/);
});

test('grawa center is the naive weighted sum with weights (1/||g_i||) / sum_j (1/||g_j||), on random inputs', () => {
  const workers = randomWorkers(31, 5, 20);
  const inverse = workers.map((w) => 1 / w.gradNorm);
  const total = inverse.reduce((a, b) => a + b, 0);
  const naive = new Float64Array(20);
  workers.forEach((w, k) => {
    for (let i = 0; i < 20; i++) naive[i] += (inverse[k] / total) * w.x[i];
  });
  near(grawaCenter(workers), naive, 1e-12);
});

test('grawa with equal norms is the plain mean, and scaling every norm leaves the center where it was', () => {
  const workers = randomWorkers(32, 6, 15);
  near(grawaCenter(workers.map((w) => ({ x: w.x, gradNorm: 0.7 }))), meanGradient(workers.map((w) => w.x)), 1e-12);
  near(grawaCenter(workers.map((w) => ({ x: w.x, gradNorm: 1000 * w.gradNorm }))), grawaCenter(workers), 1e-12);
});

test('grawa pull: lambda 0 stays, lambda 1 lands on the center, in between it interpolates', () => {
  const [a, b] = randomWorkers(33, 2, 10);
  near(grawaPull(a.x, b.x, 0), a.x);
  near(grawaPull(a.x, b.x, 1), b.x);
  near(grawaPull(a.x, b.x, 0.3), Float64Array.from(a.x, (v, i) => 0.7 * v + 0.3 * b.x[i]), 1e-12);
});
