import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededNormal } from '../random.ts';
import { initialParameters } from '../init.ts';
import type { ModelSpec } from '../model.ts';
import { lossAndGradient } from './model.ts';
import { cgeGradient, heldOutLoss, trimmedMeanGradient, zenoGradient, zenoScores, type ZenoScoring } from './robust_aggregation.ts';
import { meanGradient, medianGradient } from './sync_sgd.ts';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12) =>
  Array.from(b).forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= tol * Math.max(1, Math.abs(v)), `[${i}] ${a[i]} vs ${v}`));

const randomGradients = (seed: number, n: number, len: number): number[][] => {
  const normal = seededNormal(seed);
  return Array.from({ length: n }, () => Array.from({ length: len }, normal));
};

const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.hypot(...Array.from(a, (v, i) => v - b[i]));

// The straightforward computations the rules are checked against: plain arrays, one removal at a time.

function naiveTrimmedMean(grads: number[][], f: number): number[] {
  return grads[0].map((_, i) => {
    const column = grads.map((g) => g[i]).sort((a, b) => a - b).slice(f, grads.length - f);
    return column.reduce((s, v) => s + v, 0) / column.length;
  });
}

/** Removes the gradient with the largest key, f times (the earliest of equal keys stays), and averages the rest. */
function naiveDropLargest(grads: number[][], keys: number[], f: number): number[] {
  const left = grads.map((g, k) => ({ g, key: keys[k] }));
  for (let r = 0; r < f; r++) {
    let worst = 0;
    for (let k = 1; k < left.length; k++) if (left[k].key >= left[worst].key) worst = k;
    left.splice(worst, 1);
  }
  return grads[0].map((_, i) => left.reduce((s, x) => s + x.g[i], 0) / left.length);
}

/** A quadratic bowl 0.5 ||x - c||^2: its gradient at x is x - c, and Zeno's score has a closed form. */
function bowl(c: number[]): (x: Float64Array) => number {
  return (x) => 0.5 * c.reduce((s, ci, i) => s + (x[i] - ci) ** 2, 0);
}

/** L(x) - L(x - gamma g) - rho ||g||^2 for the bowl: gamma g.(x - c) - (gamma^2 / 2 + rho) ||g||^2. */
function bowlScore(g: number[], x: number[], c: number[], gamma: number, rho: number): number {
  const dot = g.reduce((s, gi, i) => s + gi * (x[i] - c[i]), 0);
  const norm2 = g.reduce((s, gi) => s + gi * gi, 0);
  return gamma * dot - (gamma * gamma / 2 + rho) * norm2;
}

test('trimmed mean matches dropping the f largest and f smallest of each coordinate, on random gradients', () => {
  for (const [n, f] of [[1, 0], [3, 1], [5, 2], [8, 2], [8, 3], [9, 1]]) {
    const grads = randomGradients(10 * n + f, n, 40);
    close(trimmedMeanGradient(grads, f), naiveTrimmedMean(grads, f));
  }
  // worked by hand: coordinate 0 keeps 2 and 3, coordinate 1 keeps 10 and 20
  close(trimmedMeanGradient([[1, 10], [2, 20], [3, 30], [100, -5]], 1), [2.5, 15]);
});

test('trimmed mean: f = 0 is the mean, the largest f (n = 2f + 1) the median, and fewer than 2f + 1 gradients an error', () => {
  const grads = randomGradients(1, 7, 20);
  close(trimmedMeanGradient(grads, 0), meanGradient(grads));
  close(trimmedMeanGradient(grads, 3), medianGradient(grads));
  assert.throws(() => trimmedMeanGradient(grads.slice(0, 4), 2), /trimmed mean with f = 2 .* needs at least 5 gradients; got 4/);
  assert.throws(() => trimmedMeanGradient(grads, -1), /f must be a whole number >= 0, got -1/);
  assert.throws(() => trimmedMeanGradient(grads, 1.5), /whole number/);
  assert.throws(() => trimmedMeanGradient([], 0), /no gradients/);
  assert.throws(() => trimmedMeanGradient([[1, 2], [1]], 0), /gradient 1 has 1 values/);
});

test('cge matches removing the largest-norm gradient f times, on random gradients of different sizes', () => {
  for (const [n, f] of [[1, 0], [2, 1], [5, 2], [8, 2], [8, 7]]) {
    const grads = randomGradients(100 + n + f, n, 30).map((g, k) => g.map((v) => v * (1 + k)));
    close(cgeGradient(grads, f), naiveDropLargest(grads, grads.map((g) => Math.hypot(...g)), f));
  }
  // worked by hand: norms 5, 1 and 10; f = 1 drops [6, 8]
  close(cgeGradient([[3, 4], [0, 1], [6, 8]], 1), [1.5, 2.5]);
  // equal norms: the earlier gradient is kept
  close(cgeGradient([[3, 4], [4, 3]], 1), [3, 4]);
});

test('cge: f = 0 is the mean, f = n - 1 keeps the smallest gradient alone, f = n is an error', () => {
  const grads = randomGradients(2, 4, 10);
  close(cgeGradient(grads, 0), meanGradient(grads));
  const smallest = grads.reduce((a, b) => (Math.hypot(...b) < Math.hypot(...a) ? b : a));
  close(cgeGradient(grads, 3), smallest);
  assert.throws(() => cgeGradient(grads, 4), /cge with f = 4 drops the 4 largest-norm gradients, so it needs at least 5 gradients; got 4/);
  assert.throws(() => cgeGradient(grads, -2), /whole number/);
});

test('zeno scores are the loss decrease less rho ||g||^2, and zeno keeps the n - f best, on random gradients', () => {
  const len = 12;
  const [x, c] = randomGradients(3, 2, len);
  const gamma = 0.3;
  const rho = 0.01;
  const scoring: ZenoScoring = { weights: x, loss: bowl(c), gamma, rho };
  for (const [n, f] of [[1, 0], [4, 1], [8, 2], [8, 7]]) {
    const grads = randomGradients(200 + n + f, n, len);
    const expected = grads.map((g) => bowlScore(g, x, c, gamma, rho));
    close(zenoScores(grads, scoring), expected, 1e-9);
    close(zenoGradient(grads, f, scoring), naiveDropLargest(grads, expected.map((s) => -s), f));
  }
  // worked by hand on 0.5 x^2 at x = 1, gamma 0.5, rho 0.1: g = 1 scores 0.375 - 0.1, g = -1 scores -0.625 - 0.1,
  // g = 4 lowers the loss by 0 and pays 1.6 for its size
  const hand: ZenoScoring = { weights: [1], loss: bowl([0]), gamma: 0.5, rho: 0.1 };
  close(zenoScores([[1], [-1], [4]], hand), [0.275, -0.725, -1.6]);
  close(zenoGradient([[1], [-1], [4]], 1, hand), [0]);
  close(zenoGradient([[1], [-1], [4]], 2, hand), [1]);
});

test('zeno: f = 0 is the mean, f = n an error, a gradient that overflows the loss scores -Infinity and goes first', () => {
  const hand: ZenoScoring = { weights: [1, 1], loss: bowl([0, 0]), gamma: 0.5, rho: 0 };
  const grads = [[1, 1], [2, 0], [0, -1]];
  close(zenoGradient(grads, 0, hand), meanGradient(grads));
  assert.throws(() => zenoGradient(grads, 3, hand), /zeno with f = 3 .* needs at least 4 gradients; got 3/);
  assert.throws(() => zenoScores(grads, { ...hand, weights: [1] }), /the model has 1 values, the gradients 2/);
  const overflowing: ZenoScoring = { ...hand, loss: (p) => (p[0] < -1e6 ? NaN : bowl([0, 0])(p)) };
  assert.deepEqual(Array.from(zenoScores([[1, 1], [1e8, 0]], overflowing)).map((s) => s === -Infinity), [false, true]);
  close(zenoGradient([[1e8, 0], [1, 1]], 1, overflowing), [1, 1]);
});

test('held-out loss is the model\'s mean cross-entropy on the batch, as the training path computes it', () => {
  const spec: ModelSpec = { name: 't', input: { height: 2, width: 2, channels: 1 }, classes: 3, layers: [{ kind: 'flatten' }, { kind: 'dense', units: 5 }, { kind: 'relu' }, { kind: 'dense', units: 3 }] };
  const pixels = Uint8Array.from({ length: 6 * 4 }, (_, i) => (i * 37) % 256);
  const labels = Uint8Array.from([0, 2, 1, 1, 0, 2]);
  const params = Float64Array.from(initialParameters(spec, 5));
  const expected = lossAndGradient(spec, params, Float64Array.from(pixels, (p) => p / 255), labels, 6).loss;
  assert.ok(Math.abs(heldOutLoss(spec, { count: 6, pixels, labels })(params) - expected) < 1e-12);
});

test('a minority of huge or sign-flipped gradients moves the mean far, and none of median, trimmed mean, cge and zeno', () => {
  const len = 50;
  const normal = seededNormal(9);
  const x = Array.from({ length: len }, normal);
  const c = Array.from({ length: len }, normal);
  // honest gradients of the bowl at x (x - c), each with a little noise; 2 of 8 attack
  const truth = x.map((v, i) => v - c[i]);
  const honest = Array.from({ length: 6 }, () => truth.map((v) => v + 0.1 * normal()));
  const size = Math.hypot(...truth);
  const attacks = {
    huge: [truth.map(() => 1e6 * normal()), truth.map(() => 1e6 * normal())],
    'sign-flipped': [truth.map((v) => -10 * v), truth.map((v) => -10 * v)],
  };
  const scoring: ZenoScoring = { weights: x, loss: bowl(c), gamma: 0.1, rho: 0.001 };
  for (const [attack, bad] of Object.entries(attacks)) {
    const grads = [bad[0], ...honest.slice(0, 3), bad[1], ...honest.slice(3)];
    assert.ok(distance(meanGradient(grads), truth) > 2 * size, `${attack}: the mean is moved`);
    const rules = {
      median: medianGradient(grads),
      'trimmed mean': trimmedMeanGradient(grads, 2),
      cge: cgeGradient(grads, 2),
      zeno: zenoGradient(grads, 2, scoring),
    };
    for (const [rule, g] of Object.entries(rules)) assert.ok(distance(g, truth) < 0.2 * size, `${attack}: ${rule} is ${distance(g, truth) / size} of |g| away`);
  }
});
