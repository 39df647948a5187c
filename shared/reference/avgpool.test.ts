import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avgpoolBackward, avgpoolForward, type AvgPoolShape } from './avgpool.ts';
import { seededRandom } from '../random.ts';

test('avgpool backward matches central finite differences of the forward', () => {
  const shapes: AvgPoolShape[] = [
    { batch: 2, height: 5, width: 4, channels: 3, windowH: 2, windowW: 2 },
    { batch: 1, height: 7, width: 8, channels: 2, windowH: 3, windowW: 3 },
    { batch: 2, height: 3, width: 5, channels: 2, windowH: 3, windowW: 5 },
  ];
  for (const s of shapes) {
    const r = seededRandom(s.height * 10 + s.width);
    const x = Float64Array.from({ length: s.batch * s.height * s.width * s.channels }, () => r() * 2 - 1);
    const outputs = avgpoolForward(x, s).length;
    const w = Float64Array.from({ length: outputs }, () => r() * 2 - 1);
    // loss = sum(w * y), so dy = w.
    const loss = () => avgpoolForward(x, s).reduce((acc, y, i) => acc + y * w[i], 0);
    const dx = avgpoolBackward(w, s);
    const h = 1e-5;
    for (let i = 0; i < x.length; i++) {
      const keep = x[i];
      x[i] = keep + h;
      const up = loss();
      x[i] = keep - h;
      const down = loss();
      x[i] = keep;
      assert.ok(Math.abs((up - down) / (2 * h) - dx[i]) < 1e-9, `${JSON.stringify(s)}: index ${i}`);
    }
  }
});

test('global average pooling averages each channel over the whole image', () => {
  const s: AvgPoolShape = { batch: 1, height: 2, width: 3, channels: 2, windowH: 2, windowW: 3 };
  const x = [1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60];
  assert.deepEqual([...avgpoolForward(x, s)], [3.5, 35]);
});
