// `npm start`: build the client if it is missing, then serve Flock.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startFlock } from './app.ts';
import { describeConfig, loadConfig } from './config.ts';
import { DATASET_NAMES, isDatasetName, loadDataset } from './datasets/catalog.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = fileURLToPath(new URL('../dist', import.meta.url));

function buildClientIfMissing(): void {
  if (existsSync(`${dist}/index.html`)) return;
  if (!existsSync(`${root}/index.html`) && !existsSync(`${root}/client/index.html`)) {
    console.log('flock: no client sources yet; serving a placeholder page');
    return;
  }
  console.log('flock: dist/ is missing, building the client with vite ...');
  try {
    execFileSync('npx', ['vite', 'build'], { cwd: root, stdio: 'inherit' });
  } catch (err) {
    console.error(`flock: vite build failed (${(err as Error).message}); serving a placeholder page`);
  }
}

const { config, file } = loadConfig();
console.log(`flock: config${file ? ` (with ${file})` : ''} ${describeConfig(config)}`);
if (config.buildClient) buildClientIfMissing();

const flock = await startFlock(config, {
  names: DATASET_NAMES,
  load: (name) => (isDatasetName(name) ? loadDataset(name) : Promise.reject(new Error(`unknown dataset ${name}`))),
}, dist);

console.log(`flock: volunteers open ${flock.url}/`);
console.log(`flock: admin dashboard ${flock.url}/admin`);
if (flock.tokenGenerated) console.log(`flock: admin token (printed once, kept in ${config.dataDir}/admin-token): ${flock.token}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void flock.close().then(() => process.exit(0));
  });
}
