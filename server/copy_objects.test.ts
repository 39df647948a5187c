// Global copies as immutable HTTP objects: what the URL answers, in which encoding, what the server counts, and
// uploads in the run's encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeCopy, encodeCopy, encodedByteLength } from '../shared/copy_encoding.ts';
import { copyUrl, type CopyNotice } from '../shared/protocol.ts';
import { api, createAndStart, shiftedBiases, startTestFlock, TestWorker, trainedWeights, until } from './test_support.ts';

/** Scripted tabs send no heartbeats: a stall of a loaded machine past the default 1 s would lapse the leader's upload. */
const QUIET_TABS = { heartbeatTimeoutMs: 30_000 };

/** An f32 run in which a leader's copy was accepted and fetched by a follower on another machine. */
async function firstCopy(flock: { url: string }): Promise<{ runId: number; leader: TestWorker; follower: TestWorker; notice: CopyNotice }> {
  const runId = await createAndStart(flock);
  const leader = new TestWorker(flock.url, 'A', 'lead', () => encodeCopy(shiftedBiases(trainedWeights(30), 1e-3), 'f32'));
  const follower = new TestWorker(flock.url, 'B', 'follow');
  await leader.hello();
  await follower.hello();
  await leader.report(5, 0.5);
  await until('the follower fetched the copy', () => follower.copies.length === 1);
  return { runId, leader, follower, notice: follower.copies[0] };
}

const get = (flock: { url: string }, path: string, headers: Record<string, string> = {}) => fetch(`${flock.url}${path}`, { headers });

test('a copy is an immutable object: strong ETag, cached for a year, 304 on a match, its hash as noticed; unknown versions are 404 and never cached', async () => {
  const flock = await startTestFlock(QUIET_TABS);
  try {
    const { runId, leader, follower, notice } = await firstCopy(flock);
    const res = await get(flock, copyUrl(runId, notice.version));
    assert.equal(res.status, 200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), notice.sha256);
    assert.equal(res.headers.get('etag'), `"sha256-${notice.sha256}"`);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(res.headers.get('x-flock-encoding'), 'f32');
    assert.equal((await get(flock, copyUrl(runId, notice.version), { 'if-none-match': res.headers.get('etag')! })).status, 304);
    for (const path of [copyUrl(runId, notice.version + 1), copyUrl(runId + 1, notice.version)]) {
      const missing = await get(flock, path);
      assert.equal(missing.status, 404, path);
      assert.equal(missing.headers.get('cache-control'), 'no-store');
      assert.match((await missing.json()).error, /has no copy/);
    }
    assert.equal((await get(flock, `/api/runs/${runId}/copies/x`)).status, 400);
    [leader, follower].forEach((w) => w.close());
  } finally {
    await flock.close();
  }
});

test('bytes the server serves are counted (and stored) as it serves them, to the tab X-Flock-Tab names; a 304 counts nothing', async () => {
  const flock = await startTestFlock(QUIET_TABS);
  try {
    const { runId, leader, follower, notice } = await firstCopy(flock);
    const res = await get(flock, copyUrl(runId, notice.version));
    await get(flock, copyUrl(runId, notice.version), { 'if-none-match': res.headers.get('etag')! });
    const { rounds } = (await api(flock, 'GET', `/api/runs/${runId}/metrics`)).body as { rounds: { downloads: number; bytesDown: number }[] };
    assert.deepEqual([rounds.reduce((n, r) => n + r.downloads, 0), rounds.reduce((n, r) => n + r.bytesDown, 0)], [2, 2 * notice.bytes]);
    const workers = (await api(flock, 'GET', `/api/runs/${runId}/workers`)).body as { workerId: string; bytesDown: number }[];
    assert.equal(workers.find((w) => w.workerId === follower.workerId)!.bytesDown, notice.bytes, 'the anonymous GET is the run\'s, not a tab\'s');
    [leader, follower].forEach((w) => w.close());
  } finally {
    await flock.close();
  }
});

for (const encoding of ['f16', 'int8'] as const) test(`a run with copyEncoding ${encoding}: the leader uploads in it, followers get it in it, at its encoded size both ways`, async () => {
  const flock = await startTestFlock(QUIET_TABS);
  try {
    const runId = await createAndStart(flock, { copyEncoding: encoding });
    const weights = shiftedBiases(trainedWeights(30), 1e-3);
    const leader = new TestWorker(flock.url, 'A', 'lead', () => encodeCopy(weights, encoding));
    const follower = new TestWorker(flock.url, 'B', 'follow');
    await leader.hello();
    await follower.hello();
    assert.equal(follower.assignment!.copyEncoding, encoding);
    // the scripted leader says how its upload is encoded
    leader.uploadEncoding = encoding;
    await leader.report(5, 0.5);
    await until('the follower fetched the copy', () => follower.copies.length === 1);
    const n = weights.length;
    assert.equal(follower.copies[0].encoding, encoding);
    assert.equal(follower.copies[0].bytes, encodedByteLength(n, encoding));
    // what arrived is what the leader sent, to the encoding's precision (a decode of its own encoding)
    assert.deepEqual(follower.lastCopy, decodeCopy(encodeCopy(weights, encoding), encoding, n));
    const { rounds } = (await api(flock, 'GET', `/api/runs/${runId}/metrics`)).body as { rounds: { bytesUp: number }[] };
    assert.equal(rounds.reduce((s, r) => s + r.bytesUp, 0), encodedByteLength(n, encoding), 'the upload was counted at its encoded size');
    [leader, follower].forEach((w) => w.close());
  } finally {
    await flock.close();
  }
});

test('an upload whose bytes do not fit its encoding is refused with a clear error and its sender cannot lead', async () => {
  const flock = await startTestFlock(QUIET_TABS);
  try {
    await createAndStart(flock, { copyEncoding: 'int8' });
    const bad = new TestWorker(flock.url, 'A', 'bad');
    await bad.hello();
    // int8 says 4 bytes a block of scales on top of one a value: one a value is short
    bad.uploadEncoding = 'int8';
    bad.weights = () => new Uint8Array(bad.assignment!.paramLength);
    await bad.report(5, 0.5);
    await until('the upload answered', () => bad.uploads.length === 1);
    assert.equal(bad.uploads[0].ok, false);
    assert.match(!bad.uploads[0].ok ? bad.uploads[0].error : '', /int8/);
    assert.equal((await bad.report(10, 0.1)).ok && bad.roles?.isGlobalLeader, false);
    bad.close();
  } finally {
    await flock.close();
  }
});
