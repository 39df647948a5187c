// npm run bench:relay [-- --encodings f32,f16,int8]: N simulated tabs on M machines get a
// 1,000,000-parameter model's global copies over loopback, the way tabs do now: a copyNotice on the socket, then one
// HTTP download per machine, shared by its tabs. CASES (N:M,...) picks the cases; one JSON line per case and encoding.
// The coordinator runs in this process; the machines run in BENCH_PROCS child processes (bench/relay_workers.ts),
// so receiving does not steal the coordinator's event loop.
//
// fanout: for each follower, the time from the leader emitting its upload (leader's process) to the follower holding
// the copy hash-checked and decoded (follower's process), on the shared epoch clock performance.timeOrigin +
// performance.now(). It includes the upload, the server's checks and encoding, the notice, the machine's download,
// and the follower's own hash check and decode. Where it goes: notice (leader's emit to the follower's notice) and
// machine_copy (leader's emit to the machine's downloading tab holding the checked bytes, one per machine).
// raw_tcp_fanout: one receiver per machine, in the same processes, reading the same encoded bytes from one plain TCP
// server that writes one Buffer to every socket: the floor any fan-out of those bytes over loopback here pays.
// Claim checks are stubbed (always pass) so only the relay is measured.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COPY_ENCODINGS, encodedByteLength, type CopyEncoding } from '../shared/copy_encoding.ts';
import type { Dataset } from '../shared/dataset.ts';
import type { ModelSpec } from '../shared/model.ts';
import { parameterLayout } from '../shared/layout.ts';
import { startFlock } from '../server/app.ts';
import { configSchema } from '../server/config.ts';
import { api } from '../server/test_support.ts';
import { percentile } from '../shared/median.ts';
import { ChildMailbox, ofType } from './child_mailbox.ts';
import type { Tab, ToChild, ToParent } from './relay_workers.ts';

const HIDDEN = 1258; // 784*1258 + 1258 + 1258*10 + 10 = 1,000,120 parameters
const SPEC: ModelSpec = { name: 'bench-1m', input: { height: 28, width: 28, channels: 1 }, classes: 10, layers: [{ kind: 'flatten' }, { kind: 'dense', units: HIDDEN }, { kind: 'relu' }, { kind: 'dense', units: 10 }] };
const SEED = 1;
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const PROCS = Number(process.env.BENCH_PROCS ?? 3);
/** N tabs : M machines, per case. */
const CASES = (process.env.CASES ?? '16:8,64:8,256:8,1024:128').split(',').map((c) => {
  const [tabs, machines] = c.split(':').map(Number);
  if (!(tabs >= 2 && machines >= 1 && machines <= tabs)) throw new Error(`CASES entry ${c}: write tabs:machines, e.g. 256:8 (at least 2 tabs, 1 to tabs machines)`);
  return { tabs, machines };
});
const { values: flags } = parseArgs({ options: { encodings: { type: 'string', default: 'f32' }, encoding: { type: 'string' } } });
const ENCODINGS = (flags.encoding ?? flags.encodings).split(',').map((e) => {
  if (!(COPY_ENCODINGS as readonly string[]).includes(e)) throw new Error(`--encodings: ${e} is not one of ${COPY_ENCODINGS.join(', ')}`);
  return e as CopyEncoding;
});

const split = (count: number) => ({ count, pixels: new Uint8Array(count * 784), labels: new Uint8Array(count) });
const dataset: Dataset = { name: 'bench', sampleShape: { height: 28, width: 28, channels: 1 }, classes: 10, train: split(100), test: split(100) };
const now = () => performance.timeOrigin + performance.now();

const ms = (x: number) => +x.toFixed(1);

type Child = ChildMailbox<ToChild, ToParent>;
const newChild = (): Child => new ChildMailbox(new URL('./relay_workers.ts', import.meta.url));

const isReady = ofType<ToParent, 'ready'>('ready');
const receivedAt = (step: number) => (m: ToParent): m is Extract<ToParent, { type: 'received' }> => m.type === 'received' && m.step === step;
const sentAt = (step: number) => (m: ToParent): m is Extract<ToParent, { type: 'sent' }> => m.type === 'sent' && m.step === step;

/** Plain TCP: one server writes the same Buffer to every receiver (counts[c] of them in child c) per round. */
async function rawTcpFanout(children: Child[], counts: number[], bytes: number): Promise<number[]> {
  const sockets: NetSocket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  children.forEach((child, c) => child.send({ type: 'raw', port, sockets: counts[c], bytes }));
  await Promise.all(children.map((c) => c.next(isReady)));
  const receivers = counts.reduce((a, b) => a + b, 0);
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

async function bench(n: number, machines: number, encoding: CopyEncoding): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-bench-'));
  const config = configSchema.parse({ port: 0, host: '127.0.0.1', dataDir, adminToken: 'bench-admin-token-0123456789', buildClient: false, heartbeatTimeoutMs: 60000, electionHysteresis: 0, rateLimitPerSec: 1000, rateLimitBurst: 1000, checkpointEveryRounds: 1000, evalEveryRounds: 1000, identitiesPerMinute: 100000, globalCheckMinMs: 0, gateFloor: 0, challengeEveryMs: 1e9 });
  // every copy measures the same and no challenger is due while w0 leads: this bench times the relay alone
  const passAll = { evaluate: async () => ({ loss: 0, accuracy: 0, samples: 1, losses: new Float64Array(1), correct: new Float64Array(1) }), close: async () => {} };
  const flock = await startFlock(config, { names: ['bench'], load: async () => dataset }, join(dataDir, 'no-dist'), passAll);
  const params = parameterLayout(SPEC).length;
  const modelBytes = params * 4;
  // a machine's tabs share one process, as they share one browser
  const children = Array.from({ length: Math.min(PROCS, machines) }, newChild);
  const childOf = (machine: number) => machine % children.length;
  try {
    const machinesIn = children.map((_, c) => Math.ceil((machines - c) / children.length));
    const rawLatencies = await rawTcpFanout(children, machinesIn, encodedByteLength(params, encoding));

    const body = { name: `bench ${n}`, model: SPEC, dataset: 'bench', hyper: { lr: 0.1, momentum: 0.9, batch: 32, tau: 1, lambdaL: 0, lambdaG: 0.1 }, stop: { steps: 1e9 }, seed: SEED, copyEncoding: encoding };
    const created = await api(flock, 'POST', '/api/runs', body, config.adminToken!);
    await api(flock, 'POST', `/api/runs/${created.body.id}/start`, undefined, config.adminToken!);
    // tab 0 has the lowest loss: it is the global leader, every other tab a follower; tab i is on machine i mod M
    const tabs: Tab[][] = children.map(() => []);
    for (let i = 0; i < n; i++) tabs[childOf(i % machines)].push({ machine: `m${i % machines}`, loss: 1 + i / n, leader: i === 0 });
    children.forEach((c, i) => c.send({ type: 'tabs', url: flock.url, tabs: tabs[i], spec: SPEC, seed: SEED }));
    await Promise.all(children.map((c) => c.next(isReady)));

    const fanout: number[] = [];
    const notices: number[] = [];
    const machineCopies: number[] = [];
    let t0 = 0;
    for (let r = 1; r <= ROUNDS + 1; r++) {
      if (r === 2) t0 = performance.now();
      children.forEach((c) => c.send({ type: 'round', step: r }));
      const sent = await children[0].next(sentAt(r));
      const got = await Promise.all(children.filter((_, c) => tabs[c].some((t) => !t.leader)).map((c) => c.next(receivedAt(r))));
      if (r === 1) continue;
      for (const m of got) {
        fanout.push(...m.times.map((t) => t - sent.t));
        notices.push(...m.notices.map((t) => t - sent.t));
        machineCopies.push(...m.machines.map((t) => t - sent.t));
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    // in-process: a keep-alive connection left idle through the rounds can be closed by the server as it is reused
    const metrics = (await flock.app.inject({ method: 'GET', url: `/api/runs/${created.body.id}/metrics`, headers: { authorization: `Bearer ${config.adminToken}` } })).json() as { rounds: { bytesUp: number; bytesDown: number }[] };
    const steady = metrics.rounds.slice(1, -1);
    console.log(JSON.stringify({
      workers: n, machines, encoding, params: 1000000, rounds_per_s: +(ROUNDS / seconds).toFixed(3),
      fanout_p50_ms: ms(percentile(fanout, 50)), fanout_p99_ms: ms(percentile(fanout, 99)),
      bytes_per_round: percentile(steady.map((r) => r.bytesUp + r.bytesDown), 50), copy_bytes_sent_per_round: percentile(steady.map((r) => r.bytesDown), 50),
      allreduce_bytes_per_round: 2 * n * modelBytes,
      raw_tcp_fanout_p50_ms: ms(percentile(rawLatencies, 50)), raw_tcp_fanout_p99_ms: ms(percentile(rawLatencies, 99)), worker_processes: children.length,
      notice_p50_ms: ms(percentile(notices, 50)), notice_p99_ms: ms(percentile(notices, 99)),
      machine_copy_p50_ms: ms(percentile(machineCopies, 50)), machine_copy_p99_ms: ms(percentile(machineCopies, 99)),
    }));
  } finally {
    children.forEach((c) => c.proc.kill());
    await flock.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const { tabs, machines } of CASES) for (const encoding of ENCODINGS) await bench(tabs, machines, encoding);
