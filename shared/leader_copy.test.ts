import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkedLeaderCopy } from './leader_copy.ts';

test('a good copy passes and comes back as Float32Array', () => {
  const w = Float32Array.from([0.5, -2, 3e30, 0]);
  assert.equal(checkedLeaderCopy(w, 4), w);
  assert.deepEqual(Array.from(checkedLeaderCopy(w.buffer, 4)), Array.from(w));
  const fromNumbers = checkedLeaderCopy([1, 2.5, -3], 3);
  assert.ok(fromNumbers instanceof Float32Array);
  assert.deepEqual(Array.from(fromNumbers), [1, 2.5, -3]);
  assert.equal(checkedLeaderCopy(new ArrayBuffer(0), 0).length, 0);
});

test('NaN is refused with its index', () => {
  assert.throws(() => checkedLeaderCopy(Float32Array.from([1, NaN, 2, NaN]), 4), /leader copy refused: 2 of its 4 values are not finite float32 numbers \(first: NaN at index 1\)/);
  assert.throws(() => checkedLeaderCopy(Float32Array.from([NaN]).buffer, 1), /first: NaN at index 0/);
});

test('Infinity is refused, also a float64 too large for float32', () => {
  assert.throws(() => checkedLeaderCopy([0, 0, -Infinity], 3), /1 of its 3 values are not finite float32 numbers \(first: -Infinity at index 2\)/);
  assert.throws(() => checkedLeaderCopy(Float32Array.from([Infinity, 1]).buffer, 2), /first: Infinity at index 0/);
  assert.throws(() => checkedLeaderCopy([1e39], 1), /first: 1e\+39 at index 0/);
});

test('a wrong length is refused, naming both sizes', () => {
  assert.throws(() => checkedLeaderCopy(new Float32Array(5), 6), /leader copy refused: it has 5 values, but the model has 6 parameters/);
  assert.throws(() => checkedLeaderCopy(new ArrayBuffer(22), 6), /it has 22 bytes, but the model has 6 parameters \(24 bytes\)/);
  assert.throws(() => checkedLeaderCopy(new ArrayBuffer(28), 6), /it has 28 bytes/);
  assert.throws(() => checkedLeaderCopy([], -1), /expected length must be a non-negative integer/);
});
