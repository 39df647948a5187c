import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conv2dBackwardData, conv2dBackwardFilter, conv2dForward, convOutputSize, type ConvShape } from './conv2d.ts';
import { seededRandom } from '../random.ts';

const SHAPES: ConvShape[] = [
  { batch: 2, height: 5, width: 4, inChannels: 2, outChannels: 3, kernel: 3 },
  { batch: 2, height: 7, width: 7, inChannels: 2, outChannels: 3, kernel: 3, stride: 2, padding: 1 },
  { batch: 1, height: 7, width: 6, inChannels: 3, outChannels: 2, kernel: 1, stride: 2, padding: 0 },
  { batch: 2, height: 6, width: 5, inChannels: 2, outChannels: 2, kernel: 3, padding: 0 },
  { batch: 1, height: 8, width: 7, inChannels: 2, outChannels: 3, kernel: 4, stride: 2, padding: 1 },
  // Stride above the kernel: some inputs meet no window.
  { batch: 1, height: 8, width: 8, inChannels: 1, outChannels: 2, kernel: 2, stride: 3, padding: 2 },
];

const describe = (s: ConvShape) => `${s.batch}x${s.height}x${s.width}x${s.inChannels}->${s.outChannels} k${s.kernel} s${s.stride ?? 1} p${s.padding ?? 'same'}`;

function random(length: number, seed: number): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from({ length }, () => r() * 2 - 1);
}

/** Largest |numeric - analytic| / max(1e-3, |numeric| + |analytic|) over every entry of `values`. */
function worstFiniteDifferenceError(values: Float64Array, analytic: Float64Array, loss: () => number): number {
  const h = 1e-6;
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const saved = values[i];
    values[i] = saved + h;
    const up = loss();
    values[i] = saved - h;
    const down = loss();
    values[i] = saved;
    const numeric = (up - down) / (2 * h);
    worst = Math.max(worst, Math.abs(numeric - analytic[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic[i])));
  }
  return worst;
}

for (const [i, s] of SHAPES.entries()) {
  test(`conv2d reference ${describe(s)}: backward-data and backward-filter match central finite differences of sum(g * y)`, () => {
    const out = convOutputSize(s);
    const x = random(s.batch * s.height * s.width * s.inChannels, 10 * i + 1);
    const w = random(s.kernel * s.kernel * s.inChannels * s.outChannels, 10 * i + 2);
    const bias = random(s.outChannels, 10 * i + 3);
    const g = random(s.batch * out.height * out.width * s.outChannels, 10 * i + 4);
    const loss = () => conv2dForward(x, w, bias, s).reduce((sum, y, j) => sum + y * g[j], 0);
    const { dw, db } = conv2dBackwardFilter(x, g, s);
    assert.ok(worstFiniteDifferenceError(x, conv2dBackwardData(g, w, s), loss) < 1e-6, 'dx');
    assert.ok(worstFiniteDifferenceError(w, dw, loss) < 1e-6, 'dw');
    assert.ok(worstFiniteDifferenceError(bias, db, loss) < 1e-6, 'db');
  });
}

test('conv2d reference: inputs that no window reads get a zero gradient', () => {
  const s: ConvShape = { batch: 1, height: 5, width: 5, inChannels: 1, outChannels: 1, kernel: 1, stride: 2, padding: 0 };
  const dx = conv2dBackwardData([1, 1, 1, 1, 1, 1, 1, 1, 1], [2], s);
  assert.deepEqual([...dx], [2, 0, 2, 0, 2, 0, 0, 0, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0, 2, 0, 2, 0, 2]);
});

test('convOutputSize: floor((n + 2 padding - kernel) / stride) + 1, same size by default', () => {
  const base = { batch: 1, height: 28, width: 7, inChannels: 1, outChannels: 1 };
  assert.deepEqual(convOutputSize({ ...base, kernel: 3 }), { height: 28, width: 7 });
  assert.deepEqual(convOutputSize({ ...base, kernel: 5, stride: 1 }), { height: 28, width: 7 });
  assert.deepEqual(convOutputSize({ ...base, kernel: 3, stride: 2, padding: 1 }), { height: 14, width: 4 });
  assert.deepEqual(convOutputSize({ ...base, kernel: 3, padding: 0 }), { height: 26, width: 5 });
  assert.deepEqual(convOutputSize({ ...base, kernel: 4, stride: 2, padding: 1 }), { height: 14, width: 3 });
  assert.deepEqual(convOutputSize({ ...base, kernel: 1, stride: 2, padding: 0 }), { height: 14, width: 4 });
});

test('convOutputSize refuses shapes no convolution has, naming the field', () => {
  const base = { batch: 1, height: 4, width: 4, inChannels: 1, outChannels: 1, kernel: 3 };
  assert.throws(() => convOutputSize({ ...base, kernel: 4 }), /kernel 4 is even, so give padding/);
  assert.throws(() => convOutputSize({ ...base, stride: 0 }), /stride must be a positive integer/);
  assert.throws(() => convOutputSize({ ...base, padding: -1 }), /padding must be a non-negative integer/);
  assert.throws(() => convOutputSize({ ...base, padding: 1.5 }), /padding must be a non-negative integer/);
  assert.throws(() => convOutputSize({ ...base, kernel: 7, padding: 1 }), /does not fit a 4x4 input/);
});
