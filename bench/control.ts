// npm run bench:control [-- --tabs 1000,10000 --seconds 30 --echo]: the control plane under N simulated tabs, each
// reporting once a second and heart-beating at the assignment's heartbeatMs, 4 tabs per machine. The coordinator
// runs in this process; the tabs run in BENCH_PROCS child processes (bench/control_tabs.ts). One JSON line per N:
// report-ack latency (emit to ack, in the tab's process), coordinator CPU per acked report and its RSS, over the
// measure window. --echo answers the same messages with a bare Socket.IO server (hello and report acked at once,
// nothing else): the floor of this machine's Socket.IO round trip at the same message rate.
//
// An lsgd run with lambdaL = lambdaG = 0: elections, roles, global checks and metrics run as in any lsgd run, but no
// copy is relayed to followers and local leaders are not asked for uploads, so the data plane (bench:relay) stays out.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Server } from 'socket.io';
import { startFlock } from '../server/app.ts';
import { configSchema } from '../server/config.ts';
import { api, syntheticDataset, TINY_SPEC } from '../server/test_support.ts';
import { WORKER_NAMESPACE } from '../shared/protocol.ts';
import { percentile } from '../shared/median.ts';
import { ChildMailbox, ofType } from './child_mailbox.ts';
import type { Tab, ToChild, ToParent } from './control_tabs.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const TABS = arg('tabs', '1000,10000').split(',').map(Number);
const SECONDS = Number(arg('seconds', '30'));
const ECHO = process.argv.includes('--echo');
const PROCS = Number(process.env.BENCH_PROCS ?? 4);
const TABS_PER_MACHINE = 4;
const WARMUP_MS = 5000;
const SEED = 1;
const TAU = 10;

type Child = ChildMailbox<ToChild, ToParent>;
const newChild = (): Child => new ChildMailbox(new URL('./control_tabs.ts', import.meta.url));

/** Configuration: the product's defaults but where one would refuse the bench's tabs, which all come from 127.0.0.1. */
function benchConfig(dataDir: string) {
  return configSchema.parse({
    port: 0, host: '127.0.0.1', dataDir, adminToken: 'bench-admin-token-0123456789', buildClient: false,
    identitiesPerMinute: 1_000_000,
  });
}

/** The coordinator under test, with an lsgd run started; or, with --echo, a bare Socket.IO server. */
async function startServer(dataDir: string): Promise<{ url: string; close: () => Promise<void> }> {
  if (ECHO) {
    const http = createServer();
    const io = new Server(http);
    io.of(WORKER_NAMESPACE).on('connection', (socket) => {
      socket.on('hello', (_hello, ack) => ack({ ok: true, credentials: { machine: { id: 'm', secret: 's' } }, assignment: { runId: 1, heartbeatMs: 3000, startStep: 0 } }));
      socket.on('report', (_report, ack) => ack({ ok: true }));
      socket.on('heartbeat', () => {});
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    return { url, close: () => new Promise((resolve) => void io.close(() => resolve())) };
  }
  const config = benchConfig(dataDir);
  // every copy measures the same: the global checks cost what the control plane does, not a validation pass
  const passAll = { evaluate: async () => ({ loss: 1, accuracy: 0, samples: 1, losses: new Float64Array(1), correct: new Float64Array(1) }), close: async () => {} };
  const flock = await startFlock(config, { names: ['synthetic'], load: async () => syntheticDataset() }, join(dataDir, 'no-dist'), passAll);
  const body = { name: 'bench control', model: TINY_SPEC, dataset: 'synthetic', hyper: { lr: 0.1, momentum: 0.9, batch: 8, tau: TAU, lambdaL: 0, lambdaG: 0 }, stop: { steps: 1e9 }, seed: SEED };
  const created = await api(flock, 'POST', '/api/runs', body, config.adminToken!);
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  await api(flock, 'POST', `/api/runs/${created.body.id}/start`, undefined, config.adminToken!);
  return { url: flock.url, close: () => flock.close() };
}

async function bench(n: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-bench-control-'));
  const server = await startServer(dataDir);
  const children = Array.from({ length: Math.min(PROCS, n) }, newChild);
  try {
    // whole machines per child, so a machine's tabs share its credential there
    const tabs: Tab[][] = children.map(() => []);
    for (let i = 0; i < n; i++) {
      const machine = Math.floor(i / TABS_PER_MACHINE);
      tabs[machine % children.length].push({ machineId: `m${machine}`, tabId: `w${i}` });
    }
    const rampMs = Math.max(2000, n * 3);
    children.forEach((c, i) => c.send({ type: 'tabs', url: server.url, tabs: tabs[i], spec: TINY_SPEC, seed: SEED, rampMs, tau: TAU }));
    const failed = (await Promise.all(children.map((c) => c.next(ofType<ToParent, 'ready'>('ready'))))).reduce((s, r) => s + r.failed, 0);
    await new Promise((r) => setTimeout(r, WARMUP_MS));

    children.forEach((c) => c.send({ type: 'measure' }));
    // how long the coordinator's event loop was blocked: what a report waits for beyond its own handling
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const cpu = process.cpuUsage(cpu0);
    const seconds = (performance.now() - t0) / 1000;
    const rss = process.memoryUsage().rss;
    loopDelay.disable();
    children.forEach((c) => c.send({ type: 'stop' }));
    const measured = await Promise.all(children.map((c) => c.next(ofType<ToParent, 'measured'>('measured'))));

    const latencies = measured.flatMap((m) => m.latencies);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const sum = (f: (m: (typeof measured)[number]) => number) => measured.reduce((s, m) => s + f(m), 0);
    console.log(JSON.stringify({
      tabs: n, report_ack_p50_ms: +percentile(latencies, 50).toFixed(2), report_ack_p99_ms: +percentile(latencies, 99).toFixed(2),
      cpu_ms_per_report: +(cpuMs / latencies.length).toFixed(4), rss_mib: Math.round(rss / 2 ** 20),
      ...(ECHO ? { echo: true } : {}),
      reports_per_s: Math.round(latencies.length / seconds), coordinator_cpu_share: +(cpuMs / 1000 / seconds).toFixed(2),
      refused: sum((m) => m.refused), timed_out: sum((m) => m.timedOut), hello_failed: failed, roles_pushed_per_s: Math.round(sum((m) => m.roles) / seconds),
      loop_delay_p99_ms: +(loopDelay.percentile(99) / 1e6).toFixed(1), loop_delay_max_ms: +(loopDelay.max / 1e6).toFixed(1),
      tab_processes_cpu_share: +(sum((m) => m.cpuMs) / 1000 / seconds).toFixed(2),
    }));
  } finally {
    children.forEach((c) => c.proc.kill());
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const n of TABS) await bench(n);
