import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropoutBackward, dropoutForward, dropoutKeep, dropoutSeed, lowbias32 } from './dropout.ts';

test('lowbias32 matches known values of the C original', () => {
  // From uint32_t lowbias32(uint32_t x) in C, which wraps like WGSL's u32.
  assert.deepEqual([0, 1, 2, 0xffffffff, 123456789].map(lowbias32), [0, 0x688990c0, 0xd1132181, 0x6768824a, 0xa8f1db88]);
});

test('dropout keeps about 1 - rate of the elements, scales them, and the backward uses the same mask', () => {
  const n = 100_000;
  const ones = new Float64Array(n).fill(1);
  for (const rate of [0, 0.1, 0.5, 0.9]) {
    const y = dropoutForward(ones, rate, dropoutSeed(7, 3, 1));
    const kept = y.filter((v) => v !== 0).length;
    assert.ok(Math.abs(kept / n - (1 - rate)) < 0.01, `rate ${rate}: kept ${kept / n}`);
    assert.ok(y.every((v) => v === 0 || v === 1 / (1 - rate)), `rate ${rate}: kept values are scaled`);
    assert.deepEqual(dropoutBackward(ones, rate, dropoutSeed(7, 3, 1)), y);
    assert.ok(y.every((v, i) => (v !== 0) === dropoutKeep(dropoutSeed(7, 3, 1), i, rate)), `rate ${rate}: dropoutKeep agrees`);
  }
});

test('dropout backward matches central finite differences of the forward', () => {
  const x = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
  const w = Float64Array.from({ length: 50 }, (_, i) => Math.cos(3 * i));
  const [rate, seed] = [0.3, 12345];
  const dx = dropoutBackward(w, rate, seed);
  const loss = () => dropoutForward(x, rate, seed).reduce((acc, y, i) => acc + y * w[i], 0);
  const h = 1e-6;
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + h;
    const up = loss();
    x[i] = keep - h;
    const down = loss();
    x[i] = keep;
    assert.ok(Math.abs((up - down) / (2 * h) - dx[i]) < 1e-8, `index ${i}`);
  }
});

test('masks of neighbouring steps, layers and runs differ about as much as independent ones', () => {
  const n = 20_000;
  const mask = (seed: number) => Array.from({ length: n }, (_, i) => dropoutKeep(seed, i, 0.5));
  const base = mask(dropoutSeed(1, 10, 0));
  for (const other of [dropoutSeed(1, 11, 0), dropoutSeed(1, 10, 1), dropoutSeed(2, 10, 0)]) {
    const m = mask(other);
    const same = base.filter((k, i) => k === m[i]).length / n;
    assert.ok(Math.abs(same - 0.5) < 0.02, `agreement ${same}`);
  }
  assert.equal(new Set([dropoutSeed(0, 0, 0), dropoutSeed(0, 1, 0), dropoutSeed(0, 0, 1), dropoutSeed(1, 0, 0)]).size, 4);
});
