// A dataset that cannot be loaded (Fashion-MNIST without its Debian package) is a 400 on the dataset field
// when a run is created, and nothing is stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFlock } from './app.ts';
import { configSchema } from './config.ts';
import { api, linearEvaluator, runBody, syntheticDataset, TEST_TOKEN } from './test_support.ts';

test('creating a run on a dataset that fails to load answers 400 naming the fix, and stores nothing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-test-'));
  const config = configSchema.parse({ port: 0, host: '127.0.0.1', dataDir, adminToken: TEST_TOKEN, buildClient: false });
  const missing = 'Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist';
  const flock = await startFlock(
    config,
    { names: ['synthetic', 'fashion-mnist'], load: async (name) => (name === 'synthetic' ? syntheticDataset() : Promise.reject(new Error(missing))) },
    join(dataDir, 'no-dist'),
    linearEvaluator,
  );
  try {
    const res = await api(flock, 'POST', '/api/runs', runBody({ dataset: 'fashion-mnist' }));
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.issues, [{ field: 'dataset', reason: missing }]);
    assert.deepEqual((await api(flock, 'GET', '/api/runs')).body, []);
  } finally {
    await flock.close();
  }
});
