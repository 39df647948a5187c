import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normBoundViolation } from './norm_bound.ts';
import { initialParameters } from '../shared/init.ts';
import { type ModelSpec } from '../shared/model.ts';
import { MODEL_PRESETS } from '../shared/model_presets.ts';
import { normBound, type ActiveRun } from './live_state.ts';

test('the norm bound is relative to the leader, with a floor for a near-zero leader', () => {
  const ref = new Float32Array([3, 4]); // ||ref|| = 5
  assert.equal(normBoundViolation(new Float32Array([3, 9]), ref, { factor: 1, floor: 1 }), null);
  assert.match(normBoundViolation(new Float32Array([3, 9.1]), ref, { factor: 1, floor: 1 })!, /exceeds the bound 5\.000/);
  assert.equal(normBoundViolation(new Float32Array([0, 1.9]), new Float32Array(2), { factor: 1, floor: 2 }), null);
  assert.notEqual(normBoundViolation(new Float32Array([0, 2.1]), new Float32Array(2), { factor: 1, floor: 2 }), null);
  assert.throws(() => normBoundViolation(new Float32Array(3), ref, { factor: 1, floor: 1 }), /reference of 2/);
});

test('the bound never shrinks below the seed\'s norm: a global copy shrunk toward zero leaves honest tabs near the seed in bounds', () => {
  const spec = MODEL_PRESETS.mlp as ModelSpec;
  const a = { spec, run: { config: { seed: 3 } }, initial: null } as unknown as ActiveRun;
  const bound = normBound(a, { normBoundFactor: 1, normBoundFloor: 1 });
  const seed = initialParameters(spec, 3);
  const shrunk = seed.map((v) => 0.1 * v);
  assert.ok(bound.floor > 20, `the mlp's seed norm ${bound.floor}`);
  assert.equal(normBoundViolation(seed, shrunk, bound), null, 'a tab still at the seed is within the bound of the shrunk copy');
  assert.match(normBoundViolation(seed.map((v) => -v), seed, bound)!, /exceeds the bound/, 'a sign-flipped copy is still out');
});
