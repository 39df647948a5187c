// npm run bench:compare -- --machines 2 --tabs 2 --model cnn --dataset mnist --minutes M [--straggler]
// LSGD (multi- and single-leader) against easgd, sync-sgd and local on the same headless Chromium tabs: each
// algorithm in turn, same seed, lr, batch and wall-clock budget, runs created through the REST API. Prints one
// JSON line per algorithm and writes an SVG (test accuracy vs seconds and vs bytes) and a markdown table under
// bench/results/. --straggler throttles one tab to 10% intensity through the page's slider.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from '../e2e/browser.ts';
import { buildClient } from '../server/client_build.ts';
import { E2E_TOKEN, startE2eFlock } from '../e2e/flock_server.ts';
import { openSwarm } from '../e2e/swarm.ts';
import type { Hyper, RunView } from '../shared/run_config.ts';
import { lineChartsSvg } from './plot_svg.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const num = (name: string, fallback: number) => {
  const v = Number(option(name, String(fallback)));
  if (!Number.isFinite(v)) throw new Error(`--${name} must be a number`);
  return v;
};

const machines = num('machines', 2);
const tabs = num('tabs', 2);
const model = option('model', 'cnn');
const dataset = option('dataset', 'mnist');
const minutes = num('minutes', 2);
const straggler = process.argv.includes('--straggler');
const seed = num('seed', 1);
const evalEveryMs = num('eval-ms', 5000);
const explicitTarget = process.argv.includes('--target') ? num('target', 0.9) : null;
// the same lr, batch, momentum and tau for every algorithm; pull strengths from the sweep in bench/README.md
const base: Hyper = { lr: num('lr', 0.05), momentum: 0.9, batch: num('batch', 32), tau: num('tau', 10), lambdaL: 0, lambdaG: 0 };
const lambdaL = num('lambda-l', 0.1);
const lambdaG = num('lambda-g', 0.1);
const alpha = num('alpha', 0.2);

const CASES: { label: string; algorithm: string; hyper: Hyper }[] = [
  { label: 'lsgd', algorithm: 'lsgd', hyper: { ...base, lambdaL, lambdaG } },
  { label: 'lsgd-single-leader', algorithm: 'lsgd', hyper: { ...base, lambdaL: 0, lambdaG } },
  { label: 'easgd', algorithm: 'easgd', hyper: { ...base, alpha } },
  { label: 'sync-sgd', algorithm: 'sync-sgd', hyper: base },
  { label: 'local', algorithm: 'local', hyper: base },
];
const only = option('algorithms', '').split(',').filter(Boolean);
const cases = only.length ? CASES.filter((c) => only.includes(c.label)) : CASES;

interface EvalRow { t: number; testAccuracy: number }
interface RoundRow { t: number; bytesUp: number; bytesDown: number }
interface WorkerRow { t: number; workerId: string; step: number }
interface Outcome { label: string; seconds: number[]; bytes: number[]; accuracy: number[]; bytesTotal: number; stepsTotal: number }

const flock = await startE2eFlockAfterBuild();
const browser = await launchBrowser();
const swarm = await openSwarm({ url: `${flock.url}/`, machines, tabs, browser });

async function startE2eFlockAfterBuild() {
  await buildClient();
  return startE2eFlock({
    evalSamples: num('eval-samples', 1000), evalEveryMs, evalEveryRounds: 1_000_000_000, checkpointEveryRounds: 1_000_000_000,
    heartbeatMs: 1000, heartbeatTimeoutMs: 10000, rateLimitPerSec: 500, rateLimitBurst: 1000,
  });
}

async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${flock.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${E2E_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Every row of one metrics series, paged by time. */
async function series<T extends { t: number }>(runId: number, key: 'eval' | 'rounds' | 'workers'): Promise<T[]> {
  const rows: T[] = [];
  for (let since = 0; ;) {
    const page = (await rest<Record<string, T[]>>('GET', `/api/runs/${runId}/metrics?since=${since}&limit=10000`))[key];
    rows.push(...page);
    if (page.length < 10000) return rows;
    since = page[page.length - 1].t;
  }
}

async function runCase(c: (typeof CASES)[number], budgetMinutes: number): Promise<Outcome> {
  const created = await rest<RunView>('POST', '/api/runs', {
    name: `compare ${c.label}`, model, dataset, algorithm: c.algorithm, hyper: c.hyper, stop: { minutes: budgetMinutes }, seed,
  });
  await rest('POST', `/api/runs/${created.id}/start`);
  let run = created;
  while (run.state !== 'finished' && run.state !== 'stopped') {
    await new Promise((r) => setTimeout(r, 2000));
    run = await rest<RunView>('GET', `/api/runs/${created.id}`);
  }
  // the last evaluation may still be running when the run ends
  await new Promise((r) => setTimeout(r, 3000));
  const [evals, rounds, workerRows] = await Promise.all([series<EvalRow>(run.id, 'eval'), series<RoundRow>(run.id, 'rounds'), series<WorkerRow>(run.id, 'workers')]);
  const workers = await rest<{ bytesUp: number; bytesDown: number }[]>('GET', `/api/runs/${run.id}/workers`);
  const start = run.startedAt!;
  const bytesAt = (t: number) => rounds.filter((r) => r.t <= t).reduce((n, r) => n + r.bytesUp + r.bytesDown, 0);
  const lastStep = new Map<string, number>();
  for (const w of workerRows) lastStep.set(w.workerId, Math.max(lastStep.get(w.workerId) ?? 0, w.step));
  return {
    label: c.label,
    seconds: evals.map((e) => (e.t - start) / 1000),
    bytes: evals.map((e) => bytesAt(e.t)),
    accuracy: evals.map((e) => e.testAccuracy),
    bytesTotal: workers.reduce((n, w) => n + w.bytesUp + w.bytesDown, 0),
    stepsTotal: [...lastStep.values()].reduce((a, b) => a + b, 0),
  };
}

const outcomes: Outcome[] = [];
try {
  await new Promise((r) => setTimeout(r, 2000));
  if (straggler) {
    const page = swarm.tabs[0].page;
    await page.locator('#intensity').fill('10');
    await page.locator('#intensity').dispatchEvent('input');
  }
  // A throwaway run first: the tabs download the dataset and compile their shaders once, so the first measured
  // algorithm does not pay for it.
  const warmup = num('warmup-seconds', 20);
  if (warmup > 0) await runCase({ label: 'warm-up', algorithm: 'local', hyper: base }, warmup / 60);
  for (const c of cases) {
    outcomes.push(await runCase(c, minutes));
    process.stderr.write(`${c.label}: done\n`);
  }
} finally {
  await swarm.close();
  await browser.close();
  await flock.close();
}

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
const best = (o: Outcome) => (o.accuracy.length ? Math.max(...o.accuracy) : 0);
// Without --target: the highest multiple of 0.05 that at least one algorithm reached.
const target = explicitTarget ?? Math.max(0.05, Math.floor(Math.max(...outcomes.map(best)) * 20) / 20);
const lines = outcomes.map((o) => {
  const hit = o.accuracy.findIndex((a) => a >= target);
  return {
    algorithm: o.label,
    final_test_acc: r4(o.accuracy.at(-1) ?? 0),
    best_test_acc: r4(best(o)),
    seconds_to_target: hit >= 0 ? Math.round(o.seconds[hit] * 10) / 10 : null,
    target,
    bytes_total: o.bytesTotal,
    steps_total: o.stepsTotal,
    ...(straggler ? { straggler: true } : {}),
  };
});
for (const l of lines) console.log(JSON.stringify(l));

const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const name = `compare-${model}-${dataset}-${machines}x${tabs}-${minutes}min${straggler ? '-straggler' : ''}`;
writeFileSync(join(dir, `${name}.svg`), lineChartsSvg([
  { title: `${model} on ${dataset}: test accuracy vs time`, xLabel: 'seconds since start', yLabel: 'test accuracy', series: outcomes.map((o) => ({ label: o.label, points: o.seconds.map((x, i) => ({ x, y: o.accuracy[i] })) })) },
  { title: 'test accuracy vs bytes moved', xLabel: 'bytes up + down (log)', yLabel: 'test accuracy', logX: true, series: outcomes.map((o) => ({ label: o.label, points: o.bytes.map((x, i) => ({ x, y: o.accuracy[i] })) })) },
]));
const mb = (b: number) => (b / 1e6).toFixed(1);
const table = [
  `# ${model} on ${dataset}, ${machines} machines x ${tabs} tabs, ${minutes} min each${straggler ? ', one tab at 10% intensity' : ''}`,
  '',
  `Command: \`npm run bench:compare -- ${process.argv.slice(2).join(' ')}\``,
  `Hyper: lr ${base.lr}, momentum ${base.momentum}, batch ${base.batch}, tau ${base.tau}; lsgd lambdaL ${lambdaL} lambdaG ${lambdaG}; easgd alpha ${alpha}; seed ${seed}.`,
  '',
  `| algorithm | final acc | best acc | s to ${target} | MB moved | steps (all tabs) |`,
  '|---|---|---|---|---|---|',
  ...lines.map((l) => `| ${l.algorithm} | ${l.final_test_acc} | ${l.best_test_acc} | ${l.seconds_to_target ?? '—'} | ${mb(l.bytes_total)} | ${l.steps_total} |`),
  '',
  `![accuracy](${name}.svg)`,
  '',
];
writeFileSync(join(dir, `${name}.md`), table.join('\n'));
process.stderr.write(`wrote bench/results/${name}.svg and .md\n`);
