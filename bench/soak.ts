// npm run bench:soak -- --minutes M
// An honest long run: the dashboard's 'mnist-mlp' preset on 2 machines x 2 headless Chromium tabs for M minutes,
// against `npm start`'s entry as its own process (so the RSS measured is the server's alone), with default config.
// Every 30 s one JSON line: server RSS, database size (SQLite file + WAL), rounds, latest test accuracy, quarantines,
// connected tabs, step, proofs of work passed / failed / missed and the samples they verified. Then a summary line. The run's events go to bench/results/ to explain what the numbers show.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_PRESETS } from '../client/admin/presets.ts';
import { openSwarm, tabState, type Swarm } from '../e2e/swarm.ts';
import { buildClient, ROOT } from '../server/client_build.ts';
import type { ProofTally } from '../shared/api_responses.ts';
import type { EvalMetric, RunEvent } from '../shared/records.ts';
import type { RunConfigInput, RunView } from '../shared/run_config.ts';

const TOKEN = 'soak-bench-admin-token-0123456789';
const SAMPLE_S = 30;
const WARM_UP_MAX_MS = 300_000;

function minutesOption(): number {
  const i = process.argv.indexOf('--minutes');
  const v = Number(i >= 0 ? process.argv[i + 1] : 60);
  if (!(v > 0) || !Number.isInteger(v * 2)) throw new Error('--minutes must be a positive multiple of 0.5 (one sample per 30 s)');
  return v;
}

/** The server as a child process on a free loopback port; resolves with its URL once it listens. */
function startServer(dataDir: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN: TOKEN, FLOCK_BUILD_CLIENT: 'false' },
  });
  return new Promise((resolve, reject) => {
    let out: string | null = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      // stdout carries only this bench's JSON lines; the server's own log goes to stderr (and the pipe must drain)
      process.stderr.write(chunk);
      if (out === null) return;
      out += chunk.toString();
      const m = /volunteers open (http:\/\/\S+?)\/\s/.exec(out);
      if (m) {
        out = null;
        resolve({ proc, url: m[1] });
      }
    });
    proc.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
}

function stopServer(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

/** Resident memory of a process, from Linux's /proc (the bench needs Linux, as the e2e setup does). */
function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status: has the server exited?`);
  return Number(m[1]) / 1024;
}

function dbMiB(dataDir: string): number {
  const size = (name: string) => statSync(join(dataDir, name), { throwIfNoEntry: false })?.size ?? 0;
  return (size('flock.sqlite') + size('flock.sqlite-wal')) / 2 ** 20;
}

const minutes = minutesOption();
await buildClient();
const dataDir = mkdtempSync(join(tmpdir(), 'flock-soak-'));
const server = await startServer(dataDir);
// Pages must be on localhost (a secure context) for WebGPU and the Cache API.
const url = server.url.replace('127.0.0.1', 'localhost');

async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

const PAGE = 10000;

/** Reads what is new since the last call: events (all kept, for the report) and the latest evaluation. */
function follower(runId: number) {
  const events: RunEvent[] = [];
  let latestEval: EvalMetric | null = null;
  return {
    events,
    latestEval: () => latestEval,
    async poll(): Promise<void> {
      for (;;) {
        const page = await rest<RunEvent[]>('GET', `/api/runs/${runId}/events?since=${events.at(-1)?.id ?? 0}&limit=${PAGE}`);
        events.push(...page);
        if (page.length < PAGE) break;
      }
      for (;;) {
        const page = (await rest<{ eval: EvalMetric[] }>('GET', `/api/runs/${runId}/metrics?since=${latestEval?.t ?? 0}&limit=${PAGE}`)).eval;
        latestEval = page.at(-1) ?? latestEval;
        if (page.length < PAGE) break;
      }
    },
  };
}

/** A throwaway run until every tab trains (dataset downloaded and cached, GPU device opened and autotuned), so the
 *  measured run pays only for each tab building its trainer; deleted after, so the database holds the soak run alone. */
async function warmUp(swarm: Swarm, config: RunConfigInput): Promise<void> {
  const run = await rest<RunView>('POST', '/api/runs', { ...config, name: 'soak warm-up', stop: { minutes: 60 } });
  await rest('POST', `/api/runs/${run.id}/start`);
  const deadline = Date.now() + WARM_UP_MAX_MS;
  for (;;) {
    const states = await Promise.all(swarm.tabs.map((t) => tabState(t.page)));
    if (states.every((s) => s.status === 'training')) break;
    if (Date.now() > deadline) throw new Error(`warm-up: tabs not all training after ${WARM_UP_MAX_MS / 1000} s: ${states.map((s) => s.status).join(', ')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  await rest('POST', `/api/runs/${run.id}/stop`);
  await rest('DELETE', `/api/runs/${run.id}`);
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

/** The measured run, after the warm-up: its samples and summary on stdout, its events under bench/results/. */
async function soak(swarm: Swarm): Promise<void> {
  const preset = RUN_PRESETS.find((p) => p.id === 'mnist-mlp');
  if (!preset) throw new Error("client/admin/presets.ts has no 'mnist-mlp' preset");
  await warmUp(swarm, preset.config);
  // time alone ends the run: no step limit or target accuracy may stop it early
  const run = await rest<RunView>('POST', '/api/runs', { ...preset.config, name: `soak ${minutes} min`, stop: { minutes } });
  await rest('POST', `/api/runs/${run.id}/start`);
  const t0 = Date.now();
  const follow = follower(run.id);
  const samples: {
    t_s: number; rss_mib: number; db_mib: number; rounds: number; test_acc: number | null; quarantined: number; tabs: number; step: number;
    proofs_passed: number; proofs_failed: number; proofs_missed: number; verified_samples: number;
  }[] = [];
  for (let k = 1; k <= (minutes * 60) / SAMPLE_S; k++) {
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + k * SAMPLE_S * 1000 - Date.now())));
    const [now, workers, proofs] = await Promise.all([
      rest<RunView>('GET', `/api/runs/${run.id}`), rest<{ connected: boolean }[]>('GET', `/api/runs/${run.id}/workers`), rest<ProofTally[]>('GET', `/api/runs/${run.id}/proofs`), follow.poll(),
    ]);
    const total = (key: 'passed' | 'failed' | 'missed' | 'verifiedSamples') => proofs.reduce((n, p) => n + p[key], 0);
    const sample = {
      t_s: Math.round((Date.now() - t0) / 1000),
      rss_mib: r3(rssMiB(server.proc.pid!)),
      db_mib: r3(dbMiB(dataDir)),
      rounds: now.rounds,
      test_acc: follow.latestEval()?.testAccuracy ?? null,
      quarantined: follow.events.filter((e) => e.kind === 'quarantine').length,
      tabs: workers.filter((w) => w.connected).length,
      step: now.step,
      proofs_passed: total('passed'),
      proofs_failed: total('failed'),
      proofs_missed: total('missed'),
      verified_samples: total('verifiedSamples'),
    };
    samples.push(sample);
    console.log(JSON.stringify(sample));
  }
  const last = samples.at(-1)!;
  // progress at the end: the last 5 minutes, or the last third of a run shorter than 15 minutes
  const windowS = Math.min(300, Math.floor((minutes * 60) / 3 / SAMPLE_S) * SAMPLE_S);
  const roundsBefore = samples[samples.length - 1 - windowS / SAMPLE_S]?.rounds ?? 0;
  console.log(JSON.stringify({
    minutes,
    quarantined: last.quarantined,
    rounds: last.rounds,
    rounds_last_5min: last.rounds - roundsBefore,
    last_window_s: windowS,
    final_test_acc: last.test_acc,
    rss_mib_start: samples[0].rss_mib,
    rss_mib_end: last.rss_mib,
    db_mib_end: last.db_mib,
    proofs_passed: last.proofs_passed,
    proofs_failed: last.proofs_failed,
    proofs_missed: last.proofs_missed,
    verified_samples: last.verified_samples,
  }));
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `soak-${minutes}min-events.json`), JSON.stringify(follow.events, null, 1));
  const kinds = new Map<string, number>();
  for (const e of follow.events) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
  process.stderr.write(`events by kind: ${JSON.stringify(Object.fromEntries(kinds))}; all in bench/results/soak-${minutes}min-events.json\n`);
}

try {
  const swarm = await openSwarm({ url: `${url}/`, machines: 2, tabs: 2 });
  try {
    await soak(swarm);
  } finally {
    await swarm.close();
  }
} finally {
  await stopServer(server.proc);
  rmSync(dataDir, { recursive: true, force: true });
}
