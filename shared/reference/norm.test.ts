import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededNormal } from '../random.ts';
import { normBackward, normForward, type NormShape } from './norm.ts';

const randoms = (length: number, seed: number, offset = 0) => {
  const normal = seededNormal(seed);
  return Float64Array.from({ length }, () => offset + normal());
};

test('norm forward worked by hand: layer norm of [1, 2, 3, 4] and two groups of [1, 3 | 10, 20]', () => {
  const layer = normForward([1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 0, 0], { instances: 1, positions: 1, channels: 4, groups: 1, eps: 0 });
  assert.deepEqual([...layer.mean], [2.5]);
  assert.ok(Math.abs(layer.rstd[0] - 1 / Math.sqrt(1.25)) < 1e-15);
  // Two positions, channels [a, b] in groups of one: group 0 is {1, 3}, group 1 is {10, 20}.
  const grouped = normForward([1, 10, 3, 20], [2, 1], [5, 0], { instances: 1, positions: 2, channels: 2, groups: 2, eps: 0 });
  assert.deepEqual([...grouped.mean], [2, 15]);
  assert.deepEqual([...grouped.rstd], [1, 1 / 5]);
  assert.deepEqual([...grouped.y], [5 - 2, -1, 5 + 2, 1]);
  assert.throws(() => normForward([1, 2, 3], [1, 1, 1], [0, 0, 0], { instances: 1, positions: 1, channels: 3, groups: 2, eps: 0 }), /multiple of groups 2/);
  assert.throws(() => normForward([1, 2], [1], [0], { instances: 1, positions: 1, channels: 2, groups: 1, eps: 0 }), /gamma has 1 values, expected 2/);
});

const SHAPES: NormShape[] = [
  { instances: 2, positions: 3, channels: 6, groups: 3, eps: 1e-5 },
  { instances: 3, positions: 1, channels: 5, groups: 1, eps: 1e-5 },
  { instances: 1, positions: 4, channels: 4, groups: 4, eps: 0.1 },
];

for (const s of SHAPES) {
  test(`norm backward matches central differences of sum(y * dy): ${JSON.stringify(s)}`, () => {
    const size = s.instances * s.positions * s.channels;
    const x = randoms(size, 1, 0.5);
    const gamma = randoms(s.channels, 2, 1);
    const beta = randoms(s.channels, 3);
    const dy = randoms(size, 4);
    const loss = (xs: ArrayLike<number>, gs: ArrayLike<number>, bs: ArrayLike<number>) =>
      normForward(xs, gs, bs, s).y.reduce((sum, v, i) => sum + v * dy[i], 0);
    const numeric = (values: Float64Array, evaluate: () => number) =>
      values.map((v, i) => {
        const h = 1e-6;
        values[i] = v + h;
        const up = evaluate();
        values[i] = v - h;
        const down = evaluate();
        values[i] = v;
        return (up - down) / (2 * h);
      });
    const { mean, rstd } = normForward(x, gamma, beta, s);
    const analytic = normBackward(x, dy, gamma, mean, rstd, s);
    const near = (a: Float64Array, b: Float64Array, what: string) =>
      a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-6 * (1 + Math.abs(b[i])), `${what}[${i}]: ${v} vs numeric ${b[i]}`));
    near(analytic.dx, numeric(x, () => loss(x, gamma, beta)), 'dx');
    near(analytic.dgamma, numeric(gamma, () => loss(x, gamma, beta)), 'dgamma');
    near(analytic.dbeta, numeric(beta, () => loss(x, gamma, beta)), 'dbeta');
  });
}
