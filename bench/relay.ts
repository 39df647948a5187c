// npm run bench:relay: N simulated workers on 8 machines relay a 1,000,000-parameter model over loopback.
// One JSON line per N. A round: every worker reports, the leaders are asked, upload, and every follower
// receives the new copies. Claim checks are stubbed (always pass) so only the relay is measured.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '../shared/dataset.ts';
import type { ModelSpec } from '../shared/model.ts';
import { parameterLayout } from '../shared/layout.ts';
import { startFlock } from '../server/app.ts';
import { configSchema } from '../server/config.ts';
import { api, TestWorker, until } from '../server/test_support.ts';

const HIDDEN = 1258; // 784*1258 + 1258 + 1258*10 + 10 = 1,000,120 parameters
const SPEC: ModelSpec = { name: 'bench-1m', input: { height: 28, width: 28, channels: 1 }, classes: 10, layers: [{ kind: 'flatten' }, { kind: 'dense', units: HIDDEN }, { kind: 'relu' }, { kind: 'dense', units: 10 }] };
const MACHINES = 8;
const ROUNDS = Number(process.env.ROUNDS ?? 8);

const split = (count: number) => ({ count, pixels: new Uint8Array(count * 784), labels: new Uint8Array(count) });
const dataset: Dataset = { name: 'bench', sampleShape: { height: 28, width: 28, channels: 1 }, classes: 10, train: split(100), test: split(100) };

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function bench(n: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-bench-'));
  const config = configSchema.parse({ port: 0, host: '127.0.0.1', dataDir, adminToken: 'bench-admin-token-0123456789', buildClient: false, heartbeatTimeoutMs: 60000, electionHysteresis: 0, rateLimitPerSec: 1000, rateLimitBurst: 1000, checkpointEveryRounds: 1000, evalEveryRounds: 1000 });
  const passAll = { evaluate: async () => ({ loss: 0, accuracy: 0, samples: 0 }), close: async () => {} };
  const flock = await startFlock(config, { names: ['bench'], load: async () => dataset }, join(dataDir, 'no-dist'), passAll);
  const paramLength = parameterLayout(SPEC).length;
  const weights = new Uint8Array(new Float32Array(paramLength).fill(0.01).buffer);
  try {
    const body = { name: `bench ${n}`, model: SPEC, dataset: 'bench', hyper: { lr: 0.1, momentum: 0.9, batch: 32, tau: 1, lambdaL: 0, lambdaG: 0.1 }, stop: { steps: 1e9 }, seed: 1 };
    const created = await api(flock, 'POST', '/api/runs', body, config.adminToken!);
    await api(flock, 'POST', `/api/runs/${created.body.id}/start`, undefined, config.adminToken!);
    const workers = Array.from({ length: n }, (_, i) => new TestWorker(flock.url, `m${i % MACHINES}`, `w${i}`, () => weights));
    await Promise.all(workers.map((w) => w.hello()));
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    const uploadEmit = workers.map((w) => w.socket.emit.bind(w.socket));
    workers.forEach((w, i) => {
      (w.socket as unknown as { emit: (...a: unknown[]) => unknown }).emit = (...args: unknown[]) => {
        if (args[0] === 'upload') sentAt.set(0, performance.now());
        return (uploadEmit[i] as (...a: unknown[]) => unknown)(...args);
      };
      w.socket.on('leaderCopy', () => latencies.push(performance.now() - (sentAt.get(0) ?? performance.now())));
    });
    const followers = workers.slice(1);
    const roundOf = async (step: number) => {
      const before = followers.map((w) => w.copies.length);
      await Promise.all(workers.map((w, i) => w.report(step, 1 + i / n)));
      await until(`round ${step}`, () => followers.every((w, i) => w.copies.length > before[i]), 60000);
    };
    await roundOf(1);
    latencies.length = 0;
    const t0 = performance.now();
    for (let r = 2; r <= ROUNDS + 1; r++) await roundOf(r);
    const seconds = (performance.now() - t0) / 1000;
    const metrics = (await api(flock, 'GET', `/api/runs/${created.body.id}/metrics`)).body as { rounds: { bytesUp: number; bytesDown: number }[] };
    const steady = metrics.rounds.slice(1).map((r) => r.bytesUp + r.bytesDown);
    const modelBytes = paramLength * 4;
    console.log(JSON.stringify({
      workers: n, params: 1000000, rounds_per_s: +(ROUNDS / seconds).toFixed(3),
      fanout_p50_ms: +percentile(latencies, 50).toFixed(1), fanout_p99_ms: +percentile(latencies, 99).toFixed(1),
      bytes_per_round: percentile(steady, 50), allreduce_bytes_per_round: 2 * n * modelBytes,
    }));
    workers.forEach((w) => w.close());
  } finally {
    await flock.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const n of (process.env.WORKERS ?? '16,64,256').split(',').map(Number)) await bench(n);
