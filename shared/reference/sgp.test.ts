import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededNormal } from '../random.ts';
import { debiased, pushSumAdd, pushSumExchange, pushSumHalf, sgpGossipRound, sgpGradientStep, sgpPeer, type PushSum } from './sgp.ts';

const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12) => Array.from(b).forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= tol, `[${i}] ${a[i]} vs ${v}`));

const randomStates = (seed: number, n: number, len: number): PushSum[] => {
  const normal = seededNormal(seed);
  return Array.from({ length: n }, () => ({ z: Float64Array.from({ length: len }, normal), w: 0.25 + Math.abs(normal()) }));
};

test('sgp peers: rank + 2^(round mod floor(log2 n)) mod n, worked by hand', () => {
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => sgpPeer(0, k, 8)), [1, 2, 4, 1, 2]);
  assert.deepEqual([0, 1, 2].map((k) => sgpPeer(7, k, 8)), [0, 1, 3]);
  // floor(log2 5) = 2: offsets 1 and 2 only
  assert.deepEqual([0, 1, 2].map((k) => sgpPeer(4, k, 5)), [0, 1, 0]);
  assert.deepEqual([0, 1].map((k) => sgpPeer(1, k, 2)), [0, 0]);
  assert.deepEqual([0, 1].map((k) => sgpPeer(2, k, 3)), [0, 0]);
  assert.equal(sgpPeer(0, 5, 1), null);
  assert.throws(() => sgpPeer(3, 0, 3), /rank 3 is not one of 3 members/);
  assert.throws(() => sgpPeer(0, -1, 3), /gossip round/);
});

test('sgp peers: in every round no worker pushes to itself and each receives exactly one message', () => {
  for (let n = 2; n <= 33; n++) {
    for (let round = 0; round < 12; round++) {
      const received = new Array<number>(n).fill(0);
      for (let rank = 0; rank < n; rank++) {
        const peer = sgpPeer(rank, round, n)!;
        assert.notEqual(peer, rank);
        received[peer]++;
      }
      assert.ok(received.every((c) => c === 1), `n = ${n}, round ${round}`);
    }
  }
});

test('sgp gossip round is the column-stochastic mixing matrix (1/2 kept, 1/2 to the peer) applied to z and w', () => {
  const n = 6;
  const states = randomStates(3, n, 5);
  for (const round of [0, 1, 2]) {
    const got = sgpGossipRound(states, round);
    const mix: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) {
      mix[i][i] += 0.5;
      mix[sgpPeer(i, round, n)!][i] += 0.5;
    }
    for (let i = 0; i < n; i++) {
      let w = 0;
      const z = new Float64Array(5);
      for (let j = 0; j < n; j++) {
        w += mix[i][j] * states[j].w;
        for (let d = 0; d < 5; d++) z[d] += mix[i][j] * states[j].z[d];
      }
      assert.ok(Math.abs(got[i].w - w) < 1e-12);
      near(got[i].z, z);
    }
  }
});

test('push-sum keeps the sums of z and w, and every z / w reaches the workers\' average', () => {
  const sums = (states: readonly PushSum[]) => ({
    w: states.reduce((s, x) => s + x.w, 0),
    z: states.reduce((s, x) => s.map((v, d) => v + x.z[d]), new Float64Array(states[0].z.length)),
  });
  // 8 workers, all w = 1: the rounds with offsets 1, 2 and 4 together average exactly
  const x0 = randomStates(5, 8, 4).map((s) => ({ z: s.z, w: 1 }));
  const average = sums(x0).z.map((v) => v / 8);
  let states = x0;
  for (let round = 0; round < 3; round++) states = sgpGossipRound(states, round);
  for (const s of states) near(debiased(s), average, 1e-12);

  // 6 workers with uneven weights: z / w tends to sum z / sum w, the sums never move
  let uneven = randomStates(9, 6, 4);
  const before = sums(uneven);
  for (let round = 0; round < 80; round++) {
    uneven = sgpGossipRound(uneven, round);
    const now = sums(uneven);
    assert.ok(Math.abs(now.w - before.w) < 1e-9);
    near(now.z, before.z, 1e-9);
  }
  for (const s of uneven) near(debiased(s), before.z.map((v) => v / before.w), 1e-9);
});

test('sgp step, half, sum and exchange worked by hand', () => {
  near(sgpGradientStep([1, 2], [10, -10], 0.1), [0, 3]);
  const half = pushSumHalf({ z: Float64Array.from([2, -4]), w: 1.5 });
  near(half.z, [1, -2]);
  assert.equal(half.w, 0.75);
  const sum = pushSumAdd(half, [{ z: Float64Array.from([1, 1]), w: 0.25 }, { z: Float64Array.from([0, 3]), w: 1 }]);
  near(sum.z, [2, 2]);
  assert.equal(sum.w, 2);
  // x = [2, 4] with w = 1 keeps ([1, 2], 0.5); ([1, 1], 0.5) arrived: ([2, 3], 1)
  const exchanged = pushSumExchange([2, 4], 1, { z: Float64Array.from([1, 1]), w: 0.5 });
  near(exchanged.x, [2, 3]);
  assert.equal(exchanged.w, 1);
  const alone = pushSumExchange([2, 4], 0.8, null);
  near(alone.x, [2, 4]);
  assert.equal(alone.w, 0.4);
  assert.throws(() => debiased({ z: new Float64Array(1), w: 0 }), /weight must be positive/);
  assert.throws(() => pushSumAdd(half, [{ z: new Float64Array(3), w: 1 }]), /message 0 has 3 values/);
});

test('sgp exchange in de-biased terms is push-sum on the numerators, on random inputs', () => {
  const [a, b] = randomStates(11, 2, 7);
  const x = debiased(a);
  const got = pushSumExchange(x, a.w, b);
  const want = pushSumAdd(pushSumHalf(a), [b]);
  near(got.x, debiased(want), 1e-12);
  assert.ok(Math.abs(got.w - want.w) < 1e-15);
});
