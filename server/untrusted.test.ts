import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, createAndStart, runBody, startTestFlock, TestWorker, until } from './test_support.ts';

test('a liar (loss 0, random weights) is quarantined; NaN and wrong-length uploads are rejected', async () => {
  const flock = await startTestFlock();
  try {
    const runId = await createAndStart(flock);
    const honest = new TestWorker(flock.url, 'A', 'honest');
    const follower = new TestWorker(flock.url, 'A', 'follower');
    const liar = new TestWorker(flock.url, 'B', 'liar', () => new Uint8Array(new Float32Array(128).map(() => (Math.random() - 0.5) * 200).buffer));
    for (const x of [honest, follower, liar]) await x.hello();
    await honest.report(5, 1.0);
    await follower.report(5, 1.4);
    await until('honest leads', () => honest.roles?.isGlobalLeader === true && follower.copies.length > 0);
    await liar.report(5, 0);
    await until('liar quarantined', () => liar.roles?.quarantined === true);
    assert.equal(honest.roles?.isGlobalLeader, true);
    const honestCopies = new Set(follower.copies.map((c) => c.version));
    const events = (await api(flock, 'GET', `/api/runs/${runId}/events`)).body as { kind: string; workerId: string }[];
    assert.ok(events.some((e) => e.kind === 'quarantine' && e.workerId === liar.workerId));
    // its later reports are ignored
    await liar.report(10, 0);
    assert.equal(honest.roles?.isGlobalLeader, true);
    assert.equal(follower.copies.length, honestCopies.size, 'nothing of the liar reached the follower');

    // a NaN upload is refused and its sender can no longer lead; the next best's wrong-length upload likewise
    follower.weights = () => new Uint8Array(new Float32Array(100).buffer);
    honest.weights = () => new Uint8Array(new Float32Array(128).fill(Number.NaN).buffer);
    await honest.report(10, 1.0);
    await until('NaN upload answered', () => honest.uploads.length >= 2);
    assert.equal(honest.uploads.at(-1)!.ok, false);
    await until('NaN sender quarantined', () => honest.roles?.quarantined === true);
    await until('wrong-length upload answered', () => follower.uploads.length >= 1);
    assert.equal(follower.uploads.at(-1)!.ok, false);
    assert.ok(follower.copies.every((c) => honestCopies.has(c.version)));
    const rejected = ((await api(flock, 'GET', `/api/runs/${runId}/events`)).body as { kind: string; workerId: string; message: string }[]).filter((e) => e.kind === 'upload-rejected');
    assert.deepEqual(rejected.map((e) => e.workerId), [liar.workerId, honest.workerId, follower.workerId]);
    assert.match(rejected[0].message, /norm bound/);
    assert.match(rejected[1].message, /not finite/);
    assert.match(rejected[2].message, /parameters/);
    [honest, follower, liar].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('1,000 malformed messages neither crash the server nor change the run; bad REST bodies get 400 with the field', async () => {
  const flock = await startTestFlock();
  try {
    const runId = await createAndStart(flock);
    const good = new TestWorker(flock.url, 'A', 'good');
    await good.hello();
    await good.report(5, 1);
    const before = (await api(flock, 'GET', `/api/runs/${runId}/metrics`)).body;
    const bad = new TestWorker(flock.url, 'B', 'bad');
    await bad.hello();
    const junk: unknown[] = [null, 42, 'x', { runId: 'no' }, { runId, step: -1, lossEstimate: 1, samplesPerSec: 1, samples: 1 }, { runId, step: 1, lossEstimate: Number.NaN }, [1, 2, 3], { a: 'x'.repeat(10000) }];
    const emitAny = bad.socket.emit.bind(bad.socket) as (event: string, ...args: unknown[]) => void;
    for (let i = 0; i < 1000; i++) {
      const events = ['report', 'hello', 'upload', 'heartbeat', 'nonsense'];
      emitAny(events[i % events.length], junk[i % junk.length], junk[(i + 3) % junk.length]);
    }
    await new Promise((r) => setTimeout(r, 300));
    const after = (await api(flock, 'GET', `/api/runs/${runId}/metrics`)).body;
    assert.equal(after.workers.length, before.workers.length);
    assert.equal((await api(flock, 'GET', `/api/runs/${runId}`)).body.state, 'running');
    assert.ok(bad.errors.length > 0);
    const fresh = new TestWorker(flock.url, 'C', 'fresh');
    assert.equal((await fresh.hello()).ok, true);
    assert.equal((await good.report(10, 0.9)).ok, true);

    const res = await api(flock, 'POST', '/api/runs', runBody({ hyper: { lr: -1, momentum: 0.9, batch: 8, tau: 5, lambdaL: 0.1, lambdaG: 0.1 } }));
    assert.equal(res.status, 400);
    assert.equal(res.body.issues[0].field, 'hyper.lr');
    assert.equal((await api(flock, 'POST', '/api/runs', runBody(), null)).status, 401);
    [good, bad, fresh].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});
