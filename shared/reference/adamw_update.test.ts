import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adamwBiasCorrections, adamwUpdate, type AdamwHyper } from './adamw_update.ts';

const H: AdamwHyper = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, lambdaL: 0.3, lambdaG: 0.7, useLocal: false, useGlobal: false };
const x = [0.5, -1.25, 2, 0.03, -0.7];
const zeros = () => new Array<number>(x.length).fill(0);

test('the bias corrections undo the zero start of the moments and fade to 1', () => {
  assert.deepEqual(adamwBiasCorrections(0.9, 0.999, 1), { c1: 1 / (1 - 0.9), c2: 1 / (1 - 0.999) });
  const late = adamwBiasCorrections(0.9, 0.999, 10_000);
  assert.equal(late.c1, 1);
  assert.ok(Math.abs(late.c2 - 1 / (1 - 0.999 ** 10_000)) < 1e-15 && late.c2 > 1);
  for (const step of [0, -1, 1.5, NaN]) assert.throws(() => adamwBiasCorrections(0.9, 0.999, step), /step must be a whole number/);
});

// Up to eps / |g|: 1e-5 at most here.
test('the first step from zero moments moves every parameter by lr against its gradient, whatever its scale', () => {
  for (const scale of [0.1, 1, 1e4]) {
    const g = [0.3, -2, 1, -0.01, 5].map((gi) => gi * scale);
    const next = adamwUpdate(x, g, zeros(), zeros(), null, null, H, 1);
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(next.params[i] - (x[i] - H.lr * Math.sign(g[i]))) < 1e-4 * H.lr, `scale ${scale}, element ${i}`);
    assert.deepEqual(Array.from(next.m), g.map((gi) => (1 - H.beta1) * gi));
  }
});

test('decoupled weight decay shrinks the weights by lr * weightDecay, outside the moments', () => {
  const h = { ...H, weightDecay: 0.1 };
  const next = adamwUpdate(x, zeros(), zeros(), zeros(), null, null, h, 3);
  assert.deepEqual(Array.from(next.params), x.map((xi) => xi - h.lr * h.weightDecay * xi));
  assert.deepEqual(Array.from(next.m), zeros());
  assert.deepEqual(Array.from(next.v), zeros());
});

test('the pulls act as gradient terms lambda (x - leader), inside the moments', () => {
  const g = [0.1, 0.2, -0.3, 0.4, -0.5];
  const m = [0.01, -0.02, 0.03, 0, 0.05];
  const v = [1e-3, 2e-3, 0, 4e-4, 5e-3];
  const local = [1, 1, 1, 1, 1];
  const global = [-1, 0, 1, 2, 3];
  const h = { ...H, weightDecay: 0.01, useLocal: true, useGlobal: true };
  const pulled = adamwUpdate(x, g, m, v, local, global, h, 7);
  const gPulled = g.map((gi, i) => gi + h.lambdaL * (x[i] - local[i]) + h.lambdaG * (x[i] - global[i]));
  const plain = adamwUpdate(x, gPulled, m, v, null, null, { ...h, useLocal: false, useGlobal: false }, 7);
  assert.deepEqual(pulled, plain);
});

test('mismatched lengths and a missing leader are refused, naming the vector', () => {
  assert.throws(() => adamwUpdate(x, [1], zeros(), zeros(), null, null, H, 1), /grad has 1 values, params has 5/);
  assert.throws(() => adamwUpdate(x, zeros(), zeros(), [0], null, null, H, 1), /v has 1 values/);
  assert.throws(() => adamwUpdate(x, zeros(), zeros(), zeros(), null, null, { ...H, useGlobal: true }, 1), /no global leader/);
});
