// The baselines over real sockets: sync-sgd's barrier and byte counts, easgd's center exchange, local's
// evaluation upload, with scripted workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialParameters } from '../shared/init.ts';
import { bytesToWeights, weightsToBytes, type AveragedGradientMeta, type PushReply } from '../shared/protocol.ts';
import { easgdCenterUpdate } from '../shared/reference/easgd.ts';
import { cgeGradient, trimmedMeanGradient } from '../shared/reference/robust_aggregation.ts';
import { meanGradient } from '../shared/reference/sync_sgd.ts';
import { api, createAndStart, runBody, startTestFlock, TestWorker, TINY_SPEC, until } from './test_support.ts';

interface Round { uploads: number; downloads: number; bytesUp: number; bytesDown: number }

const near = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(b).forEach((v, i) => assert.ok(Math.abs(a[i] - v) < 1e-6, `[${i}] ${a[i]} vs ${v}`));
const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.hypot(...Array.from(a, (v, i) => v - b[i]));

test('sync-sgd: nobody gets step t\'s mean until every worker sent its gradient; bytes are N up and N down per step', async () => {
  const flock = await startTestFlock();
  try {
    const runId = await createAndStart(flock, { algorithm: 'sync-sgd' });
    const w = ['a1', 'a2', 'b1'].map((id) => new TestWorker(flock.url, id[0].toUpperCase(), id));
    const got = new Map<string, { meta: AveragedGradientMeta; grad: Float32Array }[]>(w.map((x) => [x.tab, []]));
    for (const x of w) {
      x.socket.on('averagedGradient', (meta, bytes) => got.get(x.tab)!.push({ meta, grad: bytesToWeights(bytes).slice() }));
      assert.equal((await x.hello()).ok, true);
    }
    const n = w[0].assignment!.paramLength;
    const grads = w.map((_, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i + k * 7)));
    const send = (x: TestWorker, step: number, g: Float32Array) => x.socket.timeout(2000).emitWithAck('gradient', { runId, step }, weightsToBytes(g));

    assert.deepEqual(await send(w[0], 0, grads[0]), { ok: true });
    assert.deepEqual(await send(w[1], 0, grads[1]), { ok: true });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal([...got.values()].flat().length, 0, 'the barrier holds while b1 computes');
    const early = await send(w[0], 1, grads[0]);
    assert.equal(early.ok, false);
    assert.equal(!early.ok && early.step, 0);
    assert.deepEqual(await send(w[2], 0, grads[2]), { ok: true });
    await until('all three get the mean', () => [...got.values()].every((g) => g.length === 1));
    for (const g of got.values()) {
      assert.deepEqual(g[0].meta, { runId, step: 0, contributors: 3 });
      near(g[0].grad, meanGradient(grads));
    }

    // a worker that leaves releases the barrier of the step it held up
    await send(w[0], 1, grads[0]);
    await send(w[1], 1, grads[1]);
    w[2].close();
    await until('the two remaining get step 1', () => got.get('a1')!.length === 2 && got.get('a2')!.length === 2);
    assert.equal(got.get('a1')![1].meta.contributors, 2);

    assert.equal((await api(flock, 'POST', `/api/runs/${runId}/stop`)).status, 200);
    const { rounds } = (await api(flock, 'GET', `/api/runs/${runId}/metrics`)).body as { rounds: Round[] };
    assert.deepEqual(rounds.slice(0, 2).map((r) => [r.uploads, r.downloads, r.bytesUp, r.bytesDown]), [
      // step 0 also carries the refused early gradient: every byte received is counted
      [4, 3, 4 * n * 4, 3 * n * 4],
      [2, 2, 2 * n * 4, 2 * n * 4],
    ]);
    const run = (await api(flock, 'GET', `/api/runs/${runId}`)).body;
    assert.equal(run.step, 2);
    w.forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('easgd: a push moves the center toward the worker and is answered with the center before the move', async () => {
  const flock = await startTestFlock();
  try {
    const runId = await createAndStart(flock, { algorithm: 'easgd', hyper: { lr: 0.1, momentum: 0.9, batch: 8, tau: 5, lambdaL: 0, lambdaG: 0, alpha: 0.5 } });
    const a = new TestWorker(flock.url, 'A', 'a1');
    const b = new TestWorker(flock.url, 'B', 'b1');
    await a.hello();
    await b.hello();
    const c0 = initialParameters(TINY_SPEC, 3);
    const push = (x: TestWorker, step: number, weights: Float32Array) =>
      new Promise<{ reply: PushReply; center: Float32Array | null }>((resolve) =>
        x.socket.emit('push', { runId, step, lossEstimate: 1 }, weightsToBytes(weights), (reply, center) => resolve({ reply, center: center && bytesToWeights(center).slice() })),
      );
    const xa = c0.map((v) => v + 0.02);
    const first = await push(a, 5, xa);
    assert.ok(first.reply.ok, JSON.stringify(first.reply));
    near(first.center!, c0);
    const xb = c0.map((v) => v - 0.03);
    const second = await push(b, 5, xb);
    const c1 = easgdCenterUpdate(c0, [xa], 0.5);
    assert.ok(second.reply.ok, JSON.stringify(second.reply));
    near(second.center!, c1);
    const bad = xb.slice();
    bad[0] = NaN;
    const refused = await push(b, 10, bad);
    assert.equal(refused.reply.ok, false);
    assert.equal(refused.center, null);
    const gradient = await a.socket.timeout(2000).emitWithAck('gradient', { runId, step: 0 }, weightsToBytes(xa));
    assert.equal(gradient.ok, false);

    assert.equal((await api(flock, 'POST', `/api/runs/${runId}/stop`)).status, 200);
    const n = c0.length;
    const { rounds } = (await api(flock, 'GET', `/api/runs/${runId}/metrics`)).body as { rounds: Round[] };
    assert.deepEqual(rounds.slice(0, 2).map((r) => [r.uploads, r.downloads, r.bytesUp, r.bytesDown]), [[1, 1, n * 4, n * 4], [1, 1, n * 4, n * 4]]);
    // the final checkpoint is the center after both pushes
    const checkpoints = (await api(flock, 'GET', `/api/runs/${runId}/checkpoints`)).body as { final: boolean; workerId: string }[];
    assert.equal(checkpoints.at(-1)?.final, true);
    assert.equal(checkpoints.at(-1)?.workerId, 'center');
    [a, b].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('local: the lowest-loss worker alone is asked to upload when an evaluation is due, and its weights are evaluated', async () => {
  const flock = await startTestFlock({ evalEveryMs: 300 });
  try {
    const runId = await createAndStart(flock, { algorithm: 'local' });
    const a = new TestWorker(flock.url, 'A', 'a1');
    const b = new TestWorker(flock.url, 'B', 'b1');
    await a.hello();
    await b.hello();
    await a.report(5, 0.9);
    await b.report(5, 0.4);
    await until('b1 uploads', () => b.uploads.length > 0, 3000);
    assert.equal(a.requests.length, 0);
    await new Promise((r) => setTimeout(r, 300));
    const { eval: evals } = (await api(flock, 'GET', `/api/runs/${runId}/metrics`)).body as { eval: { workerId: string }[] };
    assert.ok(evals.length > 0 && evals.every((e) => e.workerId === b.workerId));
    assert.equal(a.copies.length + b.copies.length, 0, 'local moves no weights to workers');

    // tabs that stay connected into the next run start it with its own byte counters and no loss
    assert.equal((await api(flock, 'POST', `/api/runs/${runId}/stop`)).status, 200);
    const next = await createAndStart(flock, { algorithm: 'local' });
    const counters = (await api(flock, 'GET', `/api/runs/${next}/workers`)).body as { workerId: string; bytesUp: number; loss: number | null }[];
    assert.deepEqual(counters.map((w) => [w.workerId, w.bytesUp, w.loss]).sort(), [[a.workerId, 0, null], [b.workerId, 0, null]].sort());
    [a, b].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('sync-sgd: a paused tab is not waited for, and when it comes back behind it is sent the run\'s model to catch up', async () => {
  const flock = await startTestFlock();
  try {
    const runId = await createAndStart(flock, { algorithm: 'sync-sgd' });
    const [a, b] = ['a1', 'b1'].map((id) => new TestWorker(flock.url, id[0].toUpperCase(), id));
    const aggregates = new Map<string, AveragedGradientMeta[]>([['a1', []], ['b1', []]]);
    for (const x of [a, b]) {
      x.socket.on('averagedGradient', (meta) => aggregates.get(x.tab)!.push(meta));
      assert.equal((await x.hello()).ok, true);
    }
    const n = a.assignment!.paramLength;
    const grad = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
    const send = (x: TestWorker, step: number) => x.socket.timeout(2000).emitWithAck('gradient', { runId, step }, weightsToBytes(grad));

    a.socket.emit('heartbeat', { runId, paused: true });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await send(b, 0), { ok: true });
    await until('b1 gets step 0 without waiting for the paused a1', () => aggregates.get('b1')!.length === 1);
    assert.deepEqual(aggregates.get('b1')![0], { runId, step: 0, contributors: 1 });
    assert.equal(aggregates.get('a1')!.length, 0, 'a paused tab is not a member of the step');

    a.socket.emit('heartbeat', { runId, paused: false });
    const behind = await send(a, 0);
    assert.equal(behind.ok, false);
    assert.equal(!behind.ok && behind.step, 1);
    await until('a1 is sent the model of step 1', () => a.copies.length === 1);
    assert.equal(a.copies[0].step, 1);
    assert.equal(a.copies[0].encoding, 'f32', 'a tab resumes from exactly the run\'s model');
    // lr 0.1, momentum 0.9, one step from the seeded start: x1 = x0 - 0.1 * g
    const x0 = initialParameters(TINY_SPEC, 3);
    near(a.lastCopy!, x0.map((v, i) => v - 0.1 * grad[i]));

    assert.deepEqual(await send(a, 1), { ok: true });
    assert.deepEqual(await send(b, 1), { ok: true });
    await until('both get step 1 from both', () => aggregates.get('a1')!.length === 1 && aggregates.get('b1')!.length === 2);
    assert.equal(aggregates.get('a1')![0].contributors, 2);
    [a, b].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('sync-sgd told f = 1 (cge, trimmed mean, zeno): a tab sending sign-flipped, scaled gradients does not move the aggregate off the honest ones', async () => {
  const flock = await startTestFlock();
  try {
    const tabs = ['a1', 'b1', 'c1', 'd1'].map((id) => new TestWorker(flock.url, id[0].toUpperCase(), id));
    const got = new Map<number, Float32Array[]>();
    for (const x of tabs) {
      x.socket.on('averagedGradient', (meta, bytes) => {
        if (x === tabs[0]) got.set(meta.runId, [...(got.get(meta.runId) ?? []), bytesToWeights(bytes).slice()]);
      });
      assert.equal((await x.hello()).ok, true);
    }
    const honest = tabs.slice(0, 3);
    const attacker = tabs[3];
    const references = {
      cge: cgeGradient,
      'trimmed-mean': trimmedMeanGradient,
      // scored on the server's validation split, the attack raises the loss and is the one dropped
      zeno: (all: Float32Array[]) => meanGradient(all.slice(1)),
    };
    for (const [aggregate, reference] of Object.entries(references)) {
      const runId = await createAndStart(flock, { algorithm: 'sync-sgd', hyper: { ...runBody().hyper, aggregate, byzantine: 1 } });
      await until('every tab is assigned the run', () => tabs.every((x) => x.assignment?.runId === runId));
      const n = tabs[0].assignment!.paramLength;
      for (let step = 0; step < 2; step++) {
        const grads = honest.map((_, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i + step) + 0.05 * Math.cos(7 * i + k)));
        const honestMean = meanGradient(grads);
        const attack = Float32Array.from(honestMean, (v) => -100 * v);
        const send = (x: TestWorker, g: Float32Array) => x.socket.timeout(2000).emitWithAck('gradient', { runId, step }, weightsToBytes(g));
        assert.deepEqual(await send(attacker, attack), { ok: true });
        for (const [k, x] of honest.entries()) assert.deepEqual(await send(x, grads[k]), { ok: true });
        await until(`${aggregate}: step ${step}'s aggregate`, () => got.get(runId)?.length === step + 1);
        const aggregated = got.get(runId)![step];
        near(aggregated, reference([attack, ...grads], 1));
        const size = Math.hypot(...honestMean);
        assert.ok(distance(aggregated, honestMean) < 0.1 * size, `${aggregate}: ${distance(aggregated, honestMean) / size} of |g| from the honest mean`);
        assert.ok(distance(meanGradient([attack, ...grads]), honestMean) > 10 * size, 'the mean would have been moved');
      }
      assert.equal((await api(flock, 'POST', `/api/runs/${runId}/stop`)).status, 200);
    }
    tabs.forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});
