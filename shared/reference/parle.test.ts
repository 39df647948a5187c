import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededNormal } from '../random.ts';
import { lsgdUpdate } from './lsgd_update.ts';
import { PARLE_ALPHA, parleAverage, parleInnerStep, parleReference, parleReplicaStep } from './parle.ts';

const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12) => Array.from(b).forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= tol, `[${i}] ${a[i]} vs ${v}`));
const randomVector = (normal: () => number, n: number) => Float64Array.from({ length: n }, normal);

test('parle rules worked by hand', () => {
  // y = [1, 2], grad [0.5, -1], replica [0, 4], gamma 0.5, lr 0.1: y - 0.1 * ([0.5, -1] + 0.5 * [1, -2])
  near(parleInnerStep([1, 2], [0.5, -1], [0, 4], 0.5, 0.1), [0.9, 2.2]);
  near(parleAverage([0, 4], [4, 0]), [1, 3]);
  near(parleReference([[1, 2], [3, -2], [5, 3]]), [3, 1]);
  // mu - rho (x - reference): [3 - 0.5 * 1, 0 - 0.5 * -1]
  near(parleReplicaStep([1, 1], [3, 0], [0, 2], 0.5), [2.5, 0.5]);
  assert.equal(PARLE_ALPHA, 0.75);
  assert.throws(() => parleReference([]), /no replicas/);
  assert.throws(() => parleReference([[1], [1, 2]]), /replica 1 has 2 values/);
  assert.throws(() => parleReplicaStep([1], [1, 2], [1], 0.5), /mu has 2 values/);
});

test('parle inner step is the trainer\'s pull toward the replica as the local leader (lambdaL = gamma), on random inputs', () => {
  const normal = seededNormal(21);
  const [y, g, x] = [0, 1, 2].map(() => randomVector(normal, 40));
  const step = lsgdUpdate(y, g, new Float64Array(40), x, null, { lr: 0.05, momentum: 0, lambdaL: 0.3, lambdaG: 0, useLocal: true, useGlobal: false });
  near(parleInnerStep(y, g, x, 0.3, 0.05), step.params, 1e-12);
});

test('parle replica step is the paper\'s x - eta (gamma (x - mu) + rho\' (x - reference)) with eta gamma = 1, on random inputs', () => {
  const normal = seededNormal(22);
  const [x, mu, reference] = [0, 1, 2].map(() => randomVector(normal, 30));
  const gamma = 0.04;
  const rho = 0.3;
  const eta = 1 / gamma;
  const paper = Float64Array.from(x, (v, i) => v - eta * (gamma * (v - mu[i]) + (rho / eta) * (v - reference[i])));
  near(parleReplicaStep(x, mu, reference, rho), paper, 1e-9);

  // mu's exponential average over a round, against its closed form alpha^L mu0 + (1 - alpha) sum alpha^(L-k) y_k
  const ys = [0, 1, 2, 3, 4].map(() => randomVector(normal, 30));
  let m: Float64Array = mu;
  for (const y of ys) m = parleAverage(m, y);
  const closed = Float64Array.from(mu, (v, i) => PARLE_ALPHA ** 5 * v + ys.reduce((s, y, k) => s + (1 - PARLE_ALPHA) * PARLE_ALPHA ** (4 - k) * y[i], 0));
  near(m, closed, 1e-12);
});

test('parle replicas that made no inner progress (mu = x) keep their mean and close in on it by 1 - rho', () => {
  const normal = seededNormal(23);
  const replicas = [0, 1, 2, 3].map(() => randomVector(normal, 12));
  const reference = parleReference(replicas);
  const rho = 0.25;
  const next = replicas.map((x) => parleReplicaStep(x, x, reference, rho));
  near(parleReference(next), reference, 1e-12);
  next.forEach((x, k) => near(Float64Array.from(x, (v, i) => v - reference[i]), Float64Array.from(replicas[k], (v, i) => (1 - rho) * (v - reference[i])), 1e-12));
});
