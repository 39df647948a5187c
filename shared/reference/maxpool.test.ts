import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxpoolBackward, maxpoolForward, type PoolShape } from './maxpool.ts';
import { seededRandom } from '../random.ts';

test('maxpool backward matches central finite differences of the forward (no ties)', () => {
  const shapes: PoolShape[] = [
    { batch: 2, height: 5, width: 4, channels: 2 },
    { batch: 1, height: 7, width: 8, channels: 2, size: 3 },
  ];
  for (const s of shapes) {
    const r = seededRandom(s.height * 10 + s.width);
    // The values are multiples of 2^-31, so distinct ones lie over twice the step apart: no window's maximum changes.
    const x = Float64Array.from({ length: s.batch * s.height * s.width * s.channels }, () => r() * 2 - 1);
    const { y, argmax } = maxpoolForward(x, s);
    const w = Float64Array.from({ length: y.length }, () => r() * 2 - 1);
    const loss = () => maxpoolForward(x, s).y.reduce((acc, v, i) => acc + v * w[i], 0);
    const dx = maxpoolBackward(w, argmax, s);
    const h = 1e-10;
    for (let i = 0; i < x.length; i++) {
      const keep = x[i];
      x[i] = keep + h;
      const up = loss();
      x[i] = keep - h;
      const down = loss();
      x[i] = keep;
      assert.ok(Math.abs((up - down) / (2 * h) - dx[i]) < 1e-4, `${JSON.stringify(s)}: index ${i}`);
    }
  }
});
