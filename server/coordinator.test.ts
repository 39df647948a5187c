import { test } from 'node:test';
import assert from 'node:assert/strict';
import { weightsToBytes } from '../shared/protocol.ts';
import { api, createAndStart, shiftedBiases, startTestFlock, TestWorker, trainedWeights, until } from './test_support.ts';

test('two machines x three tabs: right leaders, only the global leader uploads, followers fetch its copy, bytes are those copies only', async () => {
  const flock = await startTestFlock();
  try {
    const runId = await createAndStart(flock);
    const losses: Record<string, number> = { a1: 1.5, a2: 1.2, a3: 1.8, b1: 1.1, b2: 0.9, b3: 1.3 };
    const w = Object.fromEntries(Object.keys(losses).map((id) => [id, new TestWorker(flock.url, id[0].toUpperCase(), id)]));
    for (const x of Object.values(w)) assert.equal((await x.hello()).ok, true);
    const paramBytes = w.a1.assignment!.paramLength * 4;

    // best first, so every report after the first two changes no leader
    for (const id of Object.keys(losses).sort((p, q) => losses[p] - losses[q])) await w[id].report(5, losses[id]);
    await until('the global leader verified and its copy fetched', () => ['a1', 'a2', 'a3', 'b1', 'b3'].every((id) => w[id].copies.length >= 1));

    assert.equal(w.b2.roles?.isGlobalLeader, true);
    assert.equal(w.b2.roles?.isLocalLeader, true);
    assert.equal(w.a2.roles?.isLocalLeader, true);
    for (const id of ['a1', 'a3', 'b1', 'b3']) assert.equal(w[id].roles?.isLocalLeader || w[id].roles?.isGlobalLeader, false, id);
    // followers learn their local leader's handle and the version of the global copy, never a leader's identity
    for (const id of ['a1', 'a3']) assert.match(w[id].roles?.localLeader?.handle ?? '', /^[0-9a-f]{16}$/);
    assert.equal(w.a1.roles?.localLeader?.handle, w.a2.roles?.localLeader?.handle);
    assert.notEqual(w.a1.roles?.localLeader?.handle, w.b1.roles?.localLeader?.handle);
    for (const x of Object.values(w)) for (const y of Object.values(w)) assert.ok(!JSON.stringify(x.roles).includes(y.workerId!), `${x.tab}'s roles name ${y.tab}`);
    assert.deepEqual(Object.keys(w.a1.roles?.globalLeader ?? {}), ['version']);

    // only the global leader was asked, once: local copies stay in the machine's browser
    assert.deepEqual(Object.keys(w).filter((id) => w[id].requests.length > 0), ['b2']);
    assert.ok(w.b2.uploads.length === 1 && w.b2.uploads[0].ok);
    assert.deepEqual(Object.keys(w).filter((id) => w[id].copies.length > 0).sort(), ['a1', 'a2', 'a3', 'b1', 'b3']);

    // tau steps later the global leader is asked again and followers get the new version
    for (const id of Object.keys(losses).sort((p, q) => losses[p] - losses[q])) await w[id].report(10, losses[id]);
    await until('second round relayed', () => ['a1', 'a2', 'a3', 'b1', 'b3'].every((id) => w[id].copies.length >= 2));
    assert.deepEqual([w.a2.requests.length, w.b2.requests.length], [0, 2]);
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
    // the copy a2 uploads: to take over, a copy must measure no worse than the global copy it replaces
    let a2Steps = 10;
    let shift = 0;
    const a2 = new TestWorker(flock.url, 'A', 'a2', () => weightsToBytes(shiftedBiases(trainedWeights(a2Steps), 1e-3 * ++shift)));
    const b1 = new TestWorker(flock.url, 'B', 'b1');
    for (const x of [a1, a2, b1]) await x.hello();
    await a1.report(5, 0.5);
    await a2.report(5, 0.8);
    await b1.report(5, 1.0);
    await until('a1 leads', () => a1.roles?.isGlobalLeader === true && b1.copies.length > 0);

    a1.close();
    const t0 = Date.now();
    await until('a2 takes over', () => a2.roles?.isGlobalLeader === true, 800);
    assert.ok(Date.now() - t0 < 800);

    // back with its credential: the same identity; it leads again only once the server measures its copy better
    const back = new TestWorker(flock.url, 'A', 'a1', () => weightsToBytes(shiftedBiases(trainedWeights(40), 1e-3 * ++shift)));
    const hello = await back.hello();
    assert.ok(hello.ok && hello.resumed);
    assert.equal(back.workerId, a1.workerId);
    await back.report(10, 0.3);
    await until('a1 leads again', () => back.roles?.isGlobalLeader === true, 3000);

    // silent: connected but no report or heartbeat for longer than the timeout
    a2Steps = 80;
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
