import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatasetManifest } from '../shared/protocol.ts';
import { api, startTestFlock } from './test_support.ts';

test('dataset shards carry a strong ETag and answer a matching If-None-Match with an empty 304', async () => {
  const flock = await startTestFlock();
  try {
    const manifest = (await api(flock, 'GET', '/api/datasets/synthetic')).body as DatasetManifest;
    assert.equal(manifest.kind, 'images');
    const shard = manifest.test[0];
    const first = await fetch(`${flock.url}${shard.url}`);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('etag'), shard.etag);
    assert.match(first.headers.get('cache-control')!, /immutable/);
    assert.equal((await first.arrayBuffer()).byteLength, shard.bytes);

    const again = await fetch(`${flock.url}${shard.url}`, { headers: { 'if-none-match': shard.etag } });
    assert.equal(again.status, 304);
    assert.equal((await again.arrayBuffer()).byteLength, 0);

    const stale = await fetch(`${flock.url}${shard.url}`, { headers: { 'if-none-match': manifest.train[0].etag } });
    assert.equal(stale.status, 200);
    assert.equal((await stale.arrayBuffer()).byteLength, shard.bytes);
    assert.notEqual(manifest.train[0].etag, shard.etag);
  } finally {
    await flock.close();
  }
});
