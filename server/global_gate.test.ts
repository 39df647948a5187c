import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Measured } from './evaluator.ts';
import { compare, driftCeiling, relativeDistance, verdict } from './global_gate.ts';
import { stepImplausible } from './step_bound.ts';

const rule = { z: 2, lossFloor: 0.002, accuracyFloor: 0.004, driftPerMinute: 0.02 };

function measured(losses: number[], correct: number[]): Measured {
  const n = losses.length;
  return { loss: losses.reduce((a, b) => a + b, 0) / n, accuracy: correct.reduce((a, b) => a + b, 0) / n, samples: n, losses: Float64Array.from(losses), correct: Float64Array.from(correct) };
}

test('paired comparison: the tolerance is the noise of the per-sample differences, never below the floor', () => {
  const ref = measured([1, 2, 3, 4], [1, 1, 0, 0]);
  const same = compare(ref, ref, rule);
  assert.deepEqual(same, { lossDiff: 0, lossTol: 0.002, accuracyDiff: 0, accuracyTol: 0.004 });
  const shifted = compare(measured([1.1, 2.1, 3.1, 4.1], [1, 1, 0, 0]), ref, rule);
  assert.ok(Math.abs(shifted.lossDiff - 0.1) < 1e-12);
  assert.equal(shifted.lossTol, 0.002, 'a constant shift has no spread: it is a real difference');
  const noisy = compare(measured([1.5, 1.5, 3.5, 3.5], [1, 1, 0, 0]), ref, rule);
  // differences +0.5, -0.5, +0.5, -0.5: mean 0, sd 0.577, se 0.289
  assert.ok(Math.abs(noisy.lossTol - 2 * Math.sqrt(1 / 3) / 2) < 1e-9);
  assert.throws(() => compare(measured([1], [1]), ref, rule), /samples/);
});

test('the leader needs no worse, a challenger better, both under the drift ceiling and without losing accuracy', () => {
  const c = (lossDiff: number, accuracyDiff = 0) => ({ lossDiff, lossTol: 0.01, accuracyDiff, accuracyTol: 0.02 });
  assert.equal(verdict('leader', c(0.005), 1, Infinity).accept, true);
  assert.equal(verdict('leader', c(0.02), 1, Infinity).accept, false);
  assert.equal(verdict('challenger', c(0), 1, Infinity).accept, false, 'a tie keeps the leader');
  assert.equal(verdict('challenger', c(-0.02), 1, Infinity).accept, true);
  assert.equal(verdict('challenger', c(-0.02, -0.05), 1, Infinity).accept, false, 'accuracy fell');
  assert.match(verdict('leader', c(0), 1.5, 1.2).why, /drift ceiling/);
});

test('the drift ceiling: no more than rate x age above any recent accepted copy', () => {
  const anchors = [{ t: 0, loss: 0.5 }, { t: 60_000, loss: 0.4 }, { t: 120_000, loss: 0.45 }];
  assert.ok(Math.abs(driftCeiling(anchors, 120_000, 0.02) - 0.42) < 1e-12);
  assert.equal(driftCeiling([], 0, 0.02), Infinity);
});

test('relative distance finds re-uploads', () => {
  const y = Float32Array.from([3, 4]);
  assert.equal(relativeDistance(y, y), 0);
  assert.ok(Math.abs(relativeDistance(Float32Array.from([3, 4.5]), y) - 0.1) < 1e-7);
});

test('a step is plausible only within maxStepsPerSec of the last accepted one, plus tau', () => {
  const last = { step: 100, stepAt: 0 };
  assert.equal(stepImplausible(last, 110, 0, 1000, 10), null);
  assert.equal(stepImplausible(last, 1110, 1000, 1000, 10), null);
  assert.match(stepImplausible(last, 1111, 1000, 1000, 10) ?? '', /implausible/);
  assert.match(stepImplausible(last, 2 ** 40, 3_600_000, 5000, 10) ?? '', /implausible/);
  assert.equal(stepImplausible(last, 50, 0, 1000, 10), null, 'going back (a tab restarted from a copy) sets nothing off');
});
