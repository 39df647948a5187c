// The real coordinator for browser tests: built client, real datasets, a fresh DATA_DIR, a free loopback port.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFlock, type Flock } from '../server/app.ts';
import { configSchema, type Config } from '../server/config.ts';
import { DATASET_NAMES, isDatasetName, loadDataset } from '../server/datasets/catalog.ts';

export const E2E_TOKEN = 'e2e-admin-token-0123456789abcdef';

export async function startE2eFlock(overrides: Partial<Config> = {}): Promise<Flock & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-e2e-'));
  const config = configSchema.parse({ port: 0, host: '127.0.0.1', dataDir, adminToken: E2E_TOKEN, buildClient: false, ...overrides });
  const flock = await startFlock(
    config,
    { names: DATASET_NAMES, load: (name) => (isDatasetName(name) ? loadDataset(name) : Promise.reject(new Error(`unknown dataset ${name}`))) },
    resolve(import.meta.dirname, '..', 'dist'),
  );
  // Pages must be on localhost (a secure context) for WebGPU and the Cache API.
  return Object.assign(flock, { dataDir, url: flock.url.replace('127.0.0.1', 'localhost') });
}
