// sgp, parle and grawa over real sockets: two scripted tabs push, and each answer is what the rule makes of both
// tabs' weights; bad pushes are refused and change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialParameters } from '../shared/init.ts';
import { bytesToWeights, weightsToBytes, type PushReply } from '../shared/protocol.ts';
import { grawaCenter } from '../shared/reference/grawa.ts';
import { parleReference } from '../shared/reference/parle.ts';
import { pushSumExchange } from '../shared/reference/sgp.ts';
import { api, createAndStart, startTestFlock, TestWorker, TINY_SPEC } from './test_support.ts';

const HYPER = { lr: 0.1, momentum: 0.9, batch: 8, tau: 5, lambdaL: 0, lambdaG: 0 };
const near = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(b).forEach((v, i) => assert.ok(Math.abs(a[i] - v) < 1e-6, `[${i}] ${a[i]} vs ${v}`));

/** Two tabs of a started run on two machines, and a push helper that returns the ack's reply and weights. */
async function twoTabs(algorithm: string, hyper: Record<string, unknown>) {
  const flock = await startTestFlock();
  const runId = await createAndStart(flock, { algorithm, hyper: { ...HYPER, ...hyper } });
  const a = new TestWorker(flock.url, 'A', 'a1');
  const b = new TestWorker(flock.url, 'B', 'b1');
  await a.hello();
  await b.hello();
  const push = (x: TestWorker, step: number, weights: Float32Array, extra: Record<string, unknown> = {}) =>
    new Promise<{ reply: PushReply; weights: Float32Array | null }>((resolve) =>
      x.socket.emit('push', { runId, step, lossEstimate: 1, ...extra }, weightsToBytes(weights), (reply, w) => resolve({ reply, weights: w && bytesToWeights(w).slice() })),
    );
  const x0 = initialParameters(TINY_SPEC, 3);
  const stop = async () => {
    assert.equal((await api(flock, 'POST', `/api/runs/${runId}/stop`)).status, 200);
    const checkpoints = (await api(flock, 'GET', `/api/runs/${runId}/checkpoints`)).body as { final: boolean; workerId: string }[];
    return checkpoints.at(-1);
  };
  const close = async () => {
    [a, b].forEach((x) => x.close());
    await flock.close();
  };
  return { a, b, push, x0, stop, close };
}

test('sgp: each push is answered with the tab\'s parameters after the gossip and the push-sum weight the coordinator keeps', async () => {
  const { a, b, push, x0, stop, close } = await twoTabs('sgp', {});
  try {
    const xa = x0.map((v) => v + 0.02);
    const xb = x0.map((v) => v - 0.04);
    // of two members, each pushes to the other: a keeps half of itself and has nothing yet
    const first = await push(a, 5, xa);
    assert.deepEqual(first.reply, { ok: true, version: 1, weight: 0.5 });
    near(first.weights!, xa);
    // b keeps half of itself and takes a's half: the average, with weight 1
    const second = await push(b, 5, xb);
    assert.deepEqual(second.reply, { ok: true, version: 2, weight: 1 });
    near(second.weights!, xa.map((v, i) => (v + xb[i]) / 2));
    // a again, from where it trained to: a quarter of itself and half of b, over 3/4
    const xa2 = x0.map((v) => v + 0.01);
    const third = await push(a, 10, xa2);
    const want = pushSumExchange(xa2, 0.5, { z: Float64Array.from(xb, (v) => v / 2), w: 0.5 });
    assert.deepEqual(third.reply, { ok: true, version: 3, weight: want.w });
    near(third.weights!, want.x);

    const bad = xb.slice();
    bad[1] = Infinity;
    const refused = await push(b, 10, bad);
    assert.equal(refused.reply.ok, false);
    assert.equal(refused.weights, null);
    // b's mailbox still holds a's second half: its next push takes it
    const fourth = await push(b, 10, xb);
    near(fourth.weights!, pushSumExchange(xb, 1, { z: Float64Array.from(xa2, (v) => v * 0.25), w: 0.25 }).x);
    assert.equal((await stop())?.final, true);
  } finally {
    await close();
  }
});

test('parle: each push is answered with the reference, the mean of both tabs\' latest replicas', async () => {
  const { a, b, push, x0, stop, close } = await twoTabs('parle', { gamma: 0.1, rho: 0.5 });
  try {
    const xa = x0.map((v) => v + 0.02);
    const xb = x0.map((v) => v - 0.04);
    near((await push(a, 5, xa)).weights!, xa);
    const second = await push(b, 5, xb);
    assert.deepEqual(second.reply, { ok: true, version: 2 });
    near(second.weights!, parleReference([xa, xb]));
    const xa2 = x0.map((v) => v + 0.03);
    near((await push(a, 10, xa2)).weights!, parleReference([xa2, xb]));
    const short = await push(b, 10, xb.subarray(1));
    assert.equal(short.reply.ok, false);
    assert.equal((await stop())?.workerId, 'reference');
  } finally {
    await close();
  }
});

test('grawa: each push is answered with the center weighted by the inverse gradient norms; a push without a valid norm is refused', async () => {
  const { a, b, push, x0, stop, close } = await twoTabs('grawa', { lambda: 0.5 });
  try {
    const xa = x0.map((v) => v + 0.02);
    const xb = x0.map((v) => v - 0.04);
    near((await push(a, 5, xa, { gradNorm: 1 })).weights!, xa);
    const second = await push(b, 5, xb, { gradNorm: 3 });
    assert.ok(second.reply.ok);
    near(second.weights!, grawaCenter([{ x: xa, gradNorm: 1 }, { x: xb, gradNorm: 3 }]));
    for (const extra of [{}, { gradNorm: 0 }, { gradNorm: -1 }, { gradNorm: 1e9 }]) {
      const refused = await push(a, 10, xa, extra);
      assert.equal(refused.reply.ok, false, JSON.stringify(extra));
      assert.equal(refused.weights, null);
    }
    // nothing the refused pushes said counts: b alone moving is weighed against a's first push
    const xb2 = x0.map((v) => v + 0.05);
    near((await push(b, 10, xb2, { gradNorm: 2 })).weights!, grawaCenter([{ x: xa, gradNorm: 1 }, { x: xb2, gradNorm: 2 }]));
    assert.equal((await stop())?.workerId, 'center');
  } finally {
    await close();
  }
});
