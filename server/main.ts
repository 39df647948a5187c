// `npm start`: build the client if it is missing or stale, then serve Flock.
import { join } from 'node:path';
import { startFlock } from './app.ts';
import { buildClient, ROOT, staleReason } from './client_build.ts';
import { describeConfig, loadConfig } from './config.ts';
import { DATASET_NAMES, isDatasetName, loadDataset } from './datasets/catalog.ts';

/** Builds the client when dist/ is missing or older than its sources; a failed build leaves what was there. */
async function buildClientIfStale(): Promise<void> {
  const reason = staleReason();
  if (!reason) return;
  console.log(`flock: ${reason}, building the client with vite ...`);
  try {
    await buildClient();
  } catch (err) {
    console.error(`flock: vite build failed (${(err as Error).message}); serving what dist/ holds`);
  }
}

const { config, file } = loadConfig();
console.log(`flock: config${file ? ` (with ${file})` : ''} ${describeConfig(config)}`);
if (config.buildClient) await buildClientIfStale();

const flock = await startFlock(config, {
  names: DATASET_NAMES,
  load: (name) => (isDatasetName(name) ? loadDataset(name) : Promise.reject(new Error(`unknown dataset ${name}`))),
}, join(ROOT, 'dist'));

console.log(`flock: volunteers open ${flock.url}/`);
console.log(`flock: admin dashboard ${flock.url}/admin`);
if (flock.tokenGenerated) console.log(`flock: admin token (printed once, kept in ${config.dataDir}/admin-token): ${flock.token}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void flock.close().then(() => process.exit(0));
  });
}
