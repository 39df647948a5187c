import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scheduledLr, timedLr } from './lr_schedule.ts';

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

test('the rate warms up linearly to its peak, then decays along a cosine to zero at the end of training', () => {
  const s = { lr: 0.003, warmup: 100, decayEnd: 3000 };
  near(scheduledLr(s, 0), 0.003 / 100);
  near(scheduledLr(s, 49), 0.003 / 2);
  near(scheduledLr(s, 99), 0.003);
  near(scheduledLr(s, 100), 0.003);
  near(scheduledLr(s, 1550), 0.003 / 2);
  assert.ok(scheduledLr(s, 2999) > 0 && scheduledLr(s, 2999) < 1e-8);
  near(scheduledLr(s, 5000), 0);
  for (let k = 101; k < 3000; k += 97) assert.ok(scheduledLr(s, k) < scheduledLr(s, k - 1), `decreasing at ${k}`);
});

test('without a warm-up the decay is the cosine over all the steps; without a length the rate is held', () => {
  for (const k of [0, 10, 333, 999]) near(scheduledLr({ lr: 0.05, warmup: 0, decayEnd: 1000 }, k), (0.05 * (1 + Math.cos((Math.PI * k) / 1000))) / 2);
  near(scheduledLr({ lr: 0.05, warmup: 10, decayEnd: undefined }, 4), 0.025);
  near(scheduledLr({ lr: 0.05, warmup: 10 }, 10_000), 0.05);
});

test('training for a fixed time: the same warm-up in steps, then the cosine along the fraction of the time spent', () => {
  const s = { lr: 0.002, warmup: 50 };
  near(timedLr(s, 24, 0.3), 0.001);
  near(timedLr(s, 50, 0), 0.002);
  near(timedLr(s, 500, 0.5), 0.001);
  near(timedLr(s, 500, 1), 0);
  near(timedLr(s, 500, 1.5), 0);
});
