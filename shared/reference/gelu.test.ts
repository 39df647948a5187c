import { test } from 'node:test';
import assert from 'node:assert/strict';
import { geluBackward, geluForward } from './gelu.ts';

test('gelu backward matches central finite differences of the forward', () => {
  const xs = [-20, -5, -2.5, -1, -0.3, 0, 0.2, 1, 1.7, 3, 6, 20];
  const dy = xs.map((_, i) => 1 + i / 10);
  const dx = geluBackward(xs, dy);
  const h = 1e-6;
  for (const [i, x] of xs.entries()) {
    const slope = (geluForward([x + h])[0] - geluForward([x - h])[0]) / (2 * h);
    assert.ok(Math.abs(slope * dy[i] - dx[i]) < 1e-7, `x = ${x}: ${dx[i]} vs ${slope * dy[i]}`);
  }
});

test('gelu is about x for large x, about 0 for very negative x, and 0 at 0', () => {
  assert.deepEqual([...geluForward([0, 20, -20])].map((v) => +v.toFixed(9)), [0, 20, 0]);
  assert.ok(Math.abs(geluForward([1])[0] - 0.841192) < 1e-6, 'the tanh approximation at 1');
});
