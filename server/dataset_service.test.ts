import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DatasetService } from './dataset_service.ts';
import { syntheticDataset } from './test_support.ts';

/** A source that counts its loads. */
function countingSource() {
  const source = { names: ['synthetic'], loads: 0, load: async () => (source.loads++, syntheticDataset()) };
  return source;
}

test('listing a dataset reads its statistics once and keeps neither its samples nor its shards', async () => {
  const source = countingSource();
  const datasets = new DatasetService(source, 100, 50);
  const [a, b] = await Promise.all([datasets.stats('synthetic'), datasets.stats('synthetic')]);
  assert.deepEqual(a, b);
  assert.equal(source.loads, 1);
  assert.equal(datasets.cachedManifest('synthetic'), null);
  assert.equal(datasets.cachedDataset('synthetic'), null);
  assert.equal(a.samples.train, 500);

  // preparing it for a run loads it (once more) and gives the same statistics
  const manifest = await datasets.manifest('synthetic');
  assert.equal(source.loads, 2);
  assert.equal(manifest.kind, 'images');
  assert.deepEqual(await datasets.stats('synthetic'), a);
  assert.equal(source.loads, 2);
});

test('listing a dataset while a run prepares it waits for that load instead of reading it again', async () => {
  const source = countingSource();
  const datasets = new DatasetService(source, 100, 50);
  const [manifest, stats] = await Promise.all([datasets.manifest('synthetic'), datasets.stats('synthetic')]);
  assert.equal(source.loads, 1);
  assert.equal(manifest.kind, 'images');
  assert.equal(stats.samples.train, 500);
});

test('statistics of an unknown dataset, or of one that fails to load, are a clear error and are not cached', async () => {
  const source = countingSource();
  let fail = true;
  const datasets = new DatasetService({ names: source.names, load: () => (fail ? Promise.reject(new Error('disk on fire')) : source.load()) }, 100, 50);
  await assert.rejects(datasets.stats('nope'), /unknown dataset "nope": use one of synthetic/);
  await assert.rejects(datasets.stats('synthetic'), /disk on fire/);
  fail = false;
  assert.equal((await datasets.stats('synthetic')).samples.train, 500);
});

test('forgetting a dataset drops its statistics too: a new dataset of that name is read afresh', async () => {
  const source = countingSource();
  const datasets = new DatasetService(source, 100, 50);
  await datasets.stats('synthetic');
  datasets.forget('synthetic');
  await datasets.stats('synthetic');
  assert.equal(source.loads, 2);
});
