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

/** Polls `probe` until it returns something truthy, failing after `timeoutMs` with what was awaited. */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** GET `path` of the server at `url` with the admin token, as JSON. */
export async function adminGet<T>(url: string, path: string): Promise<T> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${E2E_TOKEN}` } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}
