import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, createAndStart, startTestFlock, TestWorker, until } from './test_support.ts';

test('two machines x three tabs: right leaders, uploads only when asked, followers get copies, bytes are leader copies only', async () => {
  const flock = await startTestFlock();
  try {
    const runId = await createAndStart(flock);
    const losses: Record<string, number> = { a1: 1.5, a2: 1.2, a3: 1.8, b1: 1.1, b2: 0.9, b3: 1.3 };
    const w = Object.fromEntries(Object.keys(losses).map((id) => [id, new TestWorker(flock.url, id[0].toUpperCase(), id)]));
    for (const x of Object.values(w)) assert.equal((await x.hello()).ok, true);
    const paramBytes = w.a1.assignment!.paramLength * 4;

    // best first, so every report after the first two changes no leader
    for (const id of Object.keys(losses).sort((p, q) => losses[p] - losses[q])) await w[id].report(5, losses[id]);
    await until('both leaders verified and copies relayed', () => w.a1.copies.length >= 2 && w.b1.copies.length >= 1 && w.a2.copies.length >= 1);

    assert.equal(w.b2.roles?.isGlobalLeader, true);
    assert.equal(w.b2.roles?.isLocalLeader, true);
    assert.equal(w.a2.roles?.isLocalLeader, true);
    for (const id of ['a1', 'a3', 'b1', 'b3']) assert.equal(w[id].roles?.isLocalLeader || w[id].roles?.isGlobalLeader, false, id);
    for (const id of ['a1', 'a3']) assert.deepEqual(w[id].roles?.localLeader?.workerId, 'a2');
    assert.equal(w.a1.roles?.globalLeader?.workerId, 'b2');

    // only the two leaders were asked, and each uploaded once
    assert.deepEqual(Object.keys(w).filter((id) => w[id].requests.length > 0).sort(), ['a2', 'b2']);
    assert.deepEqual([w.a2.uploads.length, w.b2.uploads.length], [1, 1]);
    assert.ok(w.a2.uploads[0].ok && w.b2.uploads[0].ok);

    const kinds = (id: string) => w[id].copies.map((c) => `${c.kind}:${c.leaderId}`).sort();
    assert.deepEqual(kinds('a1'), ['global:b2', 'local:a2']);
    assert.deepEqual(kinds('a2'), ['global:b2']);
    assert.deepEqual(kinds('b1'), ['both:b2']);
    assert.deepEqual(kinds('b2'), []);

    // tau steps later the leaders are asked again and followers get the new versions
    for (const id of Object.keys(losses).sort((p, q) => losses[p] - losses[q])) await w[id].report(10, losses[id]);
    await until('second round relayed', () => w.b1.copies.length >= 2 && w.a1.copies.length >= 4);
    assert.deepEqual([w.a2.requests.length, w.b2.requests.length], [2, 2]);
    assert.ok(w.b1.copies[1].version > w.b1.copies[0].version);

    // an unsolicited upload from a follower is refused
    const refused = await w.a1.socket.timeout(2000).emitWithAck('upload', { runId, requestId: 999, step: 10, lossEstimate: 0.1 }, w.a1.weights());
    assert.equal(refused.ok, false);

    assert.equal((await api(flock, 'POST', `/api/runs/${runId}/stop`)).status, 200);
    const uploads = Object.values(w).reduce((n, x) => n + x.uploads.length, 0);
    const downloads = Object.values(w).reduce((n, x) => n + x.copies.length, 0);
    const received = Object.values(w).reduce((n, x) => n + x.copyBytes, 0);
    assert.equal(received, downloads * paramBytes);
    const { rounds } = (await api(flock, 'GET', `/api/runs/${runId}/metrics`)).body;
    assert.ok(rounds.length >= 2);
    for (const r of rounds) {
      assert.equal(r.bytesUp, r.uploads * paramBytes);
      assert.equal(r.bytesDown, r.downloads * paramBytes);
    }
    assert.equal(rounds.reduce((n: number, r: { uploads: number }) => n + r.uploads, 0), uploads);
    assert.equal(rounds.reduce((n: number, r: { downloads: number }) => n + r.downloads, 0), downloads);
    const workers = (await api(flock, 'GET', `/api/runs/${runId}/workers`)).body as { bytesUp: number; bytesDown: number }[];
    assert.equal(workers.reduce((n, x) => n + x.bytesUp + x.bytesDown, 0), (uploads + downloads) * paramBytes);
    Object.values(w).forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('a leader that disconnects or goes silent is replaced within the heartbeat timeout; a reconnect keeps its identity', async () => {
  const flock = await startTestFlock({ heartbeatTimeoutMs: 800 });
  try {
    await createAndStart(flock);
    const a1 = new TestWorker(flock.url, 'A', 'a1');
    const a2 = new TestWorker(flock.url, 'A', 'a2');
    const b1 = new TestWorker(flock.url, 'B', 'b1');
    for (const x of [a1, a2, b1]) await x.hello();
    await a1.report(5, 0.5);
    await a2.report(5, 0.8);
    await b1.report(5, 1.0);
    await until('a1 leads', () => a2.roles?.globalLeader?.workerId === 'a1' && b1.copies.length > 0);

    a1.close();
    const t0 = Date.now();
    await until('a2 takes over', () => a2.roles?.isGlobalLeader === true, 800);
    assert.ok(Date.now() - t0 < 800);

    const back = new TestWorker(flock.url, 'A', 'a1');
    const hello = await back.hello();
    assert.ok(hello.ok && hello.resumed);
    await back.report(10, 0.3);
    await until('a1 leads again', () => back.roles?.isGlobalLeader === true);

    // silent: connected but no report or heartbeat for longer than the timeout
    const t1 = Date.now();
    const beat = setInterval(() => [a2, b1].forEach((x) => x.socket.emit('heartbeat', { runId: null })), 100);
    await until('silent a1 replaced', () => a2.roles?.isGlobalLeader === true, 2500);
    clearInterval(beat);
    assert.ok(Date.now() - t1 <= 2000);
    [back, a2, b1].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});
