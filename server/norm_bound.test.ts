import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normBoundViolation } from './norm_bound.ts';

test('the norm bound is relative to the leader, with a floor for a near-zero leader', () => {
  const ref = new Float32Array([3, 4]); // ||ref|| = 5
  assert.equal(normBoundViolation(new Float32Array([3, 9]), ref, { factor: 1, floor: 1 }), null);
  assert.match(normBoundViolation(new Float32Array([3, 9.1]), ref, { factor: 1, floor: 1 })!, /exceeds the bound 5\.000/);
  assert.equal(normBoundViolation(new Float32Array([0, 1.9]), new Float32Array(2), { factor: 1, floor: 2 }), null);
  assert.notEqual(normBoundViolation(new Float32Array([0, 2.1]), new Float32Array(2), { factor: 1, floor: 2 }), null);
  assert.throws(() => normBoundViolation(new Float32Array(3), ref, { factor: 1, floor: 1 }), /reference of 2/);
});
