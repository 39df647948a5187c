// npm run bench:relay: N simulated workers on 8 machines relay a 1,000,000-parameter model over loopback.
// The coordinator runs in this process; the workers run in BENCH_PROCS child processes (bench/relay_workers.ts), so
// receiving does not steal the coordinator's event loop. One JSON line per N.
//
// fanout: for each follower, the time from the leader emitting its upload (leader's process) to the follower's
// 'leaderCopy' handler running with the whole copy decoded (follower's process), on the shared epoch clock
// performance.timeOrigin + performance.now(). It includes the upload, the server's checks and the relay.
// raw_tcp_fanout: the same N-1 receivers, in the same processes, reading the same bytes from one plain TCP server
// that writes one Buffer to every socket: the floor any relay over loopback on this machine pays.
// Claim checks are stubbed (always pass) so only the relay is measured.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '../shared/dataset.ts';
import type { ModelSpec } from '../shared/model.ts';
import { parameterLayout } from '../shared/layout.ts';
import { startFlock } from '../server/app.ts';
import { configSchema } from '../server/config.ts';
import { api } from '../server/test_support.ts';
import type { Tab, ToChild, ToParent } from './relay_workers.ts';

const HIDDEN = 1258; // 784*1258 + 1258 + 1258*10 + 10 = 1,000,120 parameters
const SPEC: ModelSpec = { name: 'bench-1m', input: { height: 28, width: 28, channels: 1 }, classes: 10, layers: [{ kind: 'flatten' }, { kind: 'dense', units: HIDDEN }, { kind: 'relu' }, { kind: 'dense', units: 10 }] };
const SEED = 1;
const MACHINES = 8;
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const PROCS = Number(process.env.BENCH_PROCS ?? 3);

const split = (count: number) => ({ count, pixels: new Uint8Array(count * 784), labels: new Uint8Array(count) });
const dataset: Dataset = { name: 'bench', sampleShape: { height: 28, width: 28, channels: 1 }, classes: 10, train: split(100), test: split(100) };
const now = () => performance.timeOrigin + performance.now();

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** A child process with a mailbox: `next` resolves on the first message that matches. */
class Child {
  readonly proc: ChildProcess;
  private readonly inbox: ToParent[] = [];
  private readonly waiting: { match: (m: ToParent) => boolean; resolve: (m: ToParent) => void }[] = [];

  constructor() {
    this.proc = fork(new URL('./relay_workers.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
    this.proc.on('message', (m: ToParent) => {
      const i = this.waiting.findIndex((w) => w.match(m));
      if (i < 0) return void this.inbox.push(m);
      this.waiting.splice(i, 1)[0].resolve(m);
    });
    this.proc.on('exit', (code) => {
      if (code !== 0 && code !== null) throw new Error(`bench worker process exited with code ${code}`);
    });
  }

  send(m: ToChild): void {
    this.proc.send(m);
  }

  next<T extends ToParent>(match: (m: ToParent) => m is T): Promise<T> {
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as T);
    return new Promise((resolve) => this.waiting.push({ match, resolve: resolve as (m: ToParent) => void }));
  }
}

const isReady = (m: ToParent): m is Extract<ToParent, { type: 'ready' }> => m.type === 'ready';
const receivedAt = (step: number) => (m: ToParent): m is Extract<ToParent, { type: 'received' }> => m.type === 'received' && m.step === step;
const sentAt = (step: number) => (m: ToParent): m is Extract<ToParent, { type: 'sent' }> => m.type === 'sent' && m.step === step;

/** Plain TCP: one server writes the same Buffer to `receivers` sockets per round. */
async function rawTcpFanout(children: Child[], receivers: number, bytes: number): Promise<number[]> {
  const sockets: NetSocket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const counts = children.map((_, c) => Math.floor(receivers / children.length) + (c < receivers % children.length ? 1 : 0));
  children.forEach((child, c) => child.send({ type: 'raw', port, sockets: counts[c], bytes }));
  await Promise.all(children.map((c) => c.next(isReady)));
  // a client's connect can complete before this server has accepted it
  while (sockets.length < receivers) await new Promise((r) => setTimeout(r, 5));
  const payload = Buffer.alloc(bytes, 1);
  const latencies: number[] = [];
  for (let r = 1; r <= ROUNDS + 1; r++) {
    const t0 = now();
    for (const s of sockets) s.write(payload);
    const got = await Promise.all(children.filter((_, c) => counts[c] > 0).map((c) => c.next(receivedAt(r))));
    if (r > 1) for (const m of got) for (const t of m.times) latencies.push(t - t0);
  }
  sockets.forEach((s) => s.destroy());
  server.close();
  return latencies;
}

async function bench(n: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-bench-'));
  const config = configSchema.parse({ port: 0, host: '127.0.0.1', dataDir, adminToken: 'bench-admin-token-0123456789', buildClient: false, heartbeatTimeoutMs: 60000, electionHysteresis: 0, rateLimitPerSec: 1000, rateLimitBurst: 1000, checkpointEveryRounds: 1000, evalEveryRounds: 1000, identitiesPerMinute: 100000, globalCheckMinMs: 0, gateFloor: 0, challengeEveryMs: 1e9 });
  // every copy measures the same and no challenger is due while w0 leads: this bench times the relay alone
  const passAll = { evaluate: async () => ({ loss: 0, accuracy: 0, samples: 1, losses: new Float64Array(1), correct: new Uint8Array(1) }), close: async () => {} };
  const flock = await startFlock(config, { names: ['bench'], load: async () => dataset }, join(dataDir, 'no-dist'), passAll);
  const modelBytes = parameterLayout(SPEC).length * 4;
  const children = Array.from({ length: Math.min(PROCS, n) }, () => new Child());
  try {
    const rawLatencies = await rawTcpFanout(children, n - 1, modelBytes);

    const body = { name: `bench ${n}`, model: SPEC, dataset: 'bench', hyper: { lr: 0.1, momentum: 0.9, batch: 32, tau: 1, lambdaL: 0, lambdaG: 0.1 }, stop: { steps: 1e9 }, seed: SEED };
    const created = await api(flock, 'POST', '/api/runs', body, config.adminToken!);
    await api(flock, 'POST', `/api/runs/${created.body.id}/start`, undefined, config.adminToken!);
    // w0 has the lowest loss: it is the global leader, every other tab a follower
    const tabs: Tab[][] = children.map(() => []);
    for (let i = 0; i < n; i++) tabs[i % children.length].push({ machineId: `m${i % MACHINES}`, tabId: `w${i}`, loss: 1 + i / n, leader: i === 0 });
    children.forEach((c, i) => c.send({ type: 'tabs', url: flock.url, tabs: tabs[i], spec: SPEC, seed: SEED }));
    await Promise.all(children.map((c) => c.next(isReady)));

    const latencies: number[] = [];
    let t0 = 0;
    for (let r = 1; r <= ROUNDS + 1; r++) {
      if (r === 2) t0 = performance.now();
      children.forEach((c) => c.send({ type: 'round', step: r }));
      const sent = await children[0].next(sentAt(r));
      const got = await Promise.all(children.filter((_, c) => tabs[c].some((t) => !t.leader)).map((c) => c.next(receivedAt(r))));
      if (r > 1) for (const m of got) for (const t of m.times) latencies.push(t - sent.t);
    }
    const seconds = (performance.now() - t0) / 1000;
    const metrics = (await api(flock, 'GET', `/api/runs/${created.body.id}/metrics`, undefined, config.adminToken!)).body as { rounds: { bytesUp: number; bytesDown: number }[] };
    const steady = metrics.rounds.slice(1, -1).map((r) => r.bytesUp + r.bytesDown);
    console.log(JSON.stringify({
      workers: n, params: 1000000, rounds_per_s: +(ROUNDS / seconds).toFixed(3),
      fanout_p50_ms: +percentile(latencies, 50).toFixed(1), fanout_p99_ms: +percentile(latencies, 99).toFixed(1),
      bytes_per_round: percentile(steady, 50), allreduce_bytes_per_round: 2 * n * modelBytes,
      raw_tcp_fanout_p50_ms: +percentile(rawLatencies, 50).toFixed(1), raw_tcp_fanout_p99_ms: +percentile(rawLatencies, 99).toFixed(1), worker_processes: children.length,
    }));
  } finally {
    children.forEach((c) => c.proc.kill());
    await flock.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const n of (process.env.WORKERS ?? '16,64,256').split(',').map(Number)) await bench(n);
