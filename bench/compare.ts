// npm run bench:compare -- --machines 2 --tabs 2 --model cnn --dataset mnist --minutes M [--straggler] [--byzantine 0,1,2]
// LSGD (multi- and single-leader) against easgd, sync-sgd, local, sgp, parle and grawa on the same headless Chromium tabs: each
// algorithm in turn, same seed, lr, batch and wall-clock budget, runs created through the REST API. Prints one
// JSON line per algorithm and writes an SVG (test accuracy vs seconds and vs bytes) and a markdown table under
// bench/results/. --straggler throttles one tab to 10% intensity through the page's slider.
// --byzantine F,...: of the machines x tabs tabs, F are attackers (bench/byzantine_tab.ts) in place of F Chromium
// tabs, for each F given; the cases become lsgd, easgd and sync-sgd with each aggregate, f = the largest F given.
// Every run's clock starts when all its tabs have prepared (data downloaded, kernels compiled), which they do paused.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from '../e2e/browser.ts';
import { buildClient } from '../server/client_build.ts';
import { E2E_TOKEN, startE2eFlock } from '../e2e/flock_server.ts';
import type { Page } from 'playwright';
import { openSwarm, tabState } from '../e2e/swarm.ts';
import type { CopyEncoding } from '../shared/copy_encoding.ts';
import { AGGREGATES, AGGREGATES_WITH_F, type Hyper, type RunView } from '../shared/run_config.ts';
import { median } from '../shared/median.ts';
import { ByzantineTab } from './byzantine_tab.ts';
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
const base: Hyper = { lr: num('lr', 0.05), momentum: 0.9, batch: num('batch', 32), tau: num('tau', 10), lambdaL: 0, lambdaG: 0, pull: 'periodic' };
const lambdaL = num('lambda-l', 0.1);
const lambdaG = num('lambda-g', 0.1);
const alpha = num('alpha', 0.2);
// parle's inner pull toward the replica and the replica's pull toward the reference; grawa's pull toward its center
const gamma = num('gamma', 0.1);
const rho = num('rho', 0.5);
const lambda = num('lambda', 0.2);

const totalTabs = machines * tabs;
/** How many of the tabs attack, one comparison each, fewest first (tabs are closed, never reopened, as F grows). */
const byzantine = option('byzantine', '').split(',').filter(Boolean).map(Number).sort((a, b) => a - b);
for (const F of byzantine) if (!Number.isInteger(F) || F < 0 || F >= totalTabs) throw new Error(`--byzantine: each F must be a whole number from 0 to ${totalTabs - 1} (at least one of the ${totalTabs} tabs honest), got ${F}`);
const f = byzantine.length ? byzantine.at(-1)! : 0;
const attack = { scale: num('attack-scale', 10), periodMs: num('attack-period-ms', 2000) };

/** `copyEncoding`: how the run's leader copies travel (f32 when absent). */
interface Case { label: string; algorithm: string; hyper: Hyper; copyEncoding?: CopyEncoding }
const CASES: Case[] = byzantine.length ? [
  ...AGGREGATES.map((aggregate) => ({ label: `sync-sgd-${aggregate}`, algorithm: 'sync-sgd', hyper: { ...base, aggregate, ...(AGGREGATES_WITH_F.includes(aggregate) ? { byzantine: f } : {}) } })),
  { label: 'lsgd', algorithm: 'lsgd', hyper: { ...base, lambdaL, lambdaG } },
  { label: 'easgd', algorithm: 'easgd', hyper: { ...base, alpha } },
] : [
  { label: 'lsgd', algorithm: 'lsgd', hyper: { ...base, lambdaL, lambdaG } },
  { label: 'lsgd-single-leader', algorithm: 'lsgd', hyper: { ...base, lambdaL: 0, lambdaG } },
  { label: 'lsgd-penalty', algorithm: 'lsgd', hyper: { ...base, lambdaL, lambdaG, pull: 'penalty' } },
  { label: 'lsgd-f16', algorithm: 'lsgd', hyper: { ...base, lambdaL, lambdaG }, copyEncoding: 'f16' },
  { label: 'lsgd-int8', algorithm: 'lsgd', hyper: { ...base, lambdaL, lambdaG }, copyEncoding: 'int8' },
  { label: 'easgd', algorithm: 'easgd', hyper: { ...base, alpha } },
  { label: 'sync-sgd', algorithm: 'sync-sgd', hyper: base },
  { label: 'local', algorithm: 'local', hyper: base },
  { label: 'sgp', algorithm: 'sgp', hyper: base },
  { label: 'parle', algorithm: 'parle', hyper: { ...base, gamma, rho } },
  { label: 'grawa', algorithm: 'grawa', hyper: { ...base, lambda } },
];
/** Each case runs this many times, interleaved (a, b, a, b), so that a slow spell of the shared machine lands on all
 *  of them; the medians follow the per-run lines. */
const repeat = num('repeat', 1);
if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a whole number of runs, 1 or more, got ${repeat}`);
const only = option('algorithms', '').split(',').filter(Boolean);
const cases = only.length ? CASES.filter((c) => only.includes(c.label)) : CASES;

interface EvalRow { t: number; testAccuracy: number }
interface RoundRow { t: number; bytesUp: number; bytesDown: number }
interface WorkerRow { t: number; workerId: string; step: number }
interface Outcome {
  label: string; hyper: Hyper; seconds: number[]; bytes: number[]; accuracy: number[]; bytesTotal: number; rounds: number; stepsTotal: number;
  /** CPU seconds of this process (the coordinator and its threads; the bench's own share is small) during training. */
  coordinatorCpu: number;
  /** Each honest tab's steps, most first: whether a slow case is slow everywhere or in one tab (a leader, say). */
  stepsPerTab: number[];
  /** With --byzantine: the attackers, and what they sent and the server refused. */
  attackers?: { count: number; sent: number; refused: number };
}

const flock = await startE2eFlockAfterBuild();
const browser = await launchBrowser();
const swarm = await openSwarm({ url: `${flock.url}/`, machines, tabs, browser });

async function startE2eFlockAfterBuild() {
  await buildClient();
  return startE2eFlock({
    evalSamples: num('eval-samples', 1000), evalEveryMs, evalEveryRounds: 1_000_000_000, checkpointEveryRounds: 1_000_000_000,
    heartbeatMs: 1000, heartbeatTimeoutMs: 10000, rateLimitPerSec: 500, rateLimitBurst: 1000,
    // The server recomputes a share of sync-sgd's gradients and quarantines a tab whose gradient is not its own (after
    // about 10 steps at the default 0.1): off by default with --byzantine, so what is compared is the aggregates.
    ...(byzantine.length ? { proofProbability: num('proof-probability', 0) } : {}),
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Presses a button of a tab's page without pointer events: on 2 loaded cores a tab's renderer can take longer to
 *  answer a real click than Playwright's 30 s default. */
const press = (page: Page, selector: string) => page.locator(selector).dispatchEvent('click', undefined, { timeout: 120_000 });

/**
 * Waits until every tab has prepared for the run it was just assigned while paused by its volunteer: its status
 * left 'paused' for the download and the kernels' compilation (seconds per tab, a minute or more for 8 tabs on 2
 * cores) and came back to 'paused'.
 */
async function tabsPrepared(): Promise<void> {
  const busy = new Set<number>();
  const ready = new Set<number>();
  for (const end = Date.now() + 10 * 60_000; ready.size < swarm.tabs.length; await sleep(500)) {
    if (Date.now() > end) throw new Error(`${swarm.tabs.length - ready.size} of ${swarm.tabs.length} tabs did not prepare for the run within 10 minutes`);
    const states = await Promise.all(swarm.tabs.map((t) => tabState(t.page)));
    states.forEach((s, i) => (s.status !== 'paused' ? busy.add(i) : busy.has(i) && ready.add(i)));
  }
}

/**
 * One run of `c` on the open tabs for `budgetMinutes` of training, with `attackers` byzantine tabs joining it as
 * training starts. The tabs prepare for the run paused, as a volunteer can pause them, so that the clock, the
 * budget and the attack start together when every tab can train; the bench stops the run itself at the end.
 */
async function runCase(c: Case, budgetMinutes: number, attackers = 0): Promise<Outcome> {
  for (const t of swarm.tabs) await press(t.page, '#pause');
  for (const t of swarm.tabs) await t.page.locator('#status').filter({ hasText: /^paused$/ }).waitFor({ timeout: 120_000 });
  const created = await rest<RunView>('POST', '/api/runs', {
    name: `compare ${c.label}${attackers ? `, ${attackers} byzantine` : ''}`, model, dataset, algorithm: c.algorithm, hyper: c.hyper, copyEncoding: c.copyEncoding ?? 'f32', stop: { minutes: budgetMinutes + 30 }, seed,
  });
  await rest('POST', `/api/runs/${created.id}/start`);
  let start = 0;
  let cpu = process.cpuUsage();
  let byzantineTabs: ByzantineTab[] = [];
  try {
    await tabsPrepared();
    start = Date.now();
    cpu = process.cpuUsage();
    for (const t of swarm.tabs) await press(t.page, '#resume');
    byzantineTabs = await Promise.all(Array.from({ length: attackers }, () => ByzantineTab.join(flock.url, created.id, attack)));
    await sleep(start + budgetMinutes * 60_000 - Date.now());
    cpu = process.cpuUsage(cpu);
  } finally {
    byzantineTabs.forEach((t) => t.close());
    // whether the budget ran out or a step failed, so that the next case can start its run
    await rest('POST', `/api/runs/${created.id}/stop`);
  }
  // the last evaluation may still be running when the run ends
  await sleep(3000);
  const [allEvals, rounds, workerRows] = await Promise.all([series<EvalRow>(created.id, 'eval'), series<RoundRow>(created.id, 'rounds'), series<WorkerRow>(created.id, 'workers')]);
  const workers = await rest<{ bytesUp: number; bytesDown: number }[]>('GET', `/api/runs/${created.id}/workers`);
  const bytesAt = (t: number) => rounds.filter((r) => r.t <= t).reduce((n, r) => n + r.bytesUp + r.bytesDown, 0);
  const lastStep = new Map<string, number>();
  const attackerIds = new Set(byzantineTabs.map((t) => t.id));
  for (const w of workerRows) if (!attackerIds.has(w.workerId)) lastStep.set(w.workerId, Math.max(lastStep.get(w.workerId) ?? 0, w.step));
  // the evaluations of the seeded model while the tabs prepared are no part of the race
  const evals = allEvals.filter((e) => e.t >= start);
  return {
    label: c.label,
    hyper: c.hyper,
    seconds: evals.map((e) => (e.t - start) / 1000),
    bytes: evals.map((e) => bytesAt(e.t)),
    accuracy: evals.map((e) => e.testAccuracy),
    bytesTotal: workers.reduce((n, w) => n + w.bytesUp + w.bytesDown, 0),
    rounds: rounds.length,
    stepsTotal: [...lastStep.values()].reduce((a, b) => a + b, 0),
    stepsPerTab: [...lastStep.values()].sort((a, b) => b - a),
    coordinatorCpu: (cpu.user + cpu.system) / 1e6,
    ...(byzantine.length ? { attackers: { count: attackers, sent: byzantineTabs.reduce((n, t) => n + t.sent, 0), refused: byzantineTabs.reduce((n, t) => n + t.refused, 0) } } : {}),
  };
}

const outcomes: Outcome[] = [];
const failures: { algorithm: string; byzantine?: number; error: string }[] = [];
try {
  await sleep(2000);
  if (straggler) {
    const page = swarm.tabs[0].page;
    await page.locator('#intensity').fill('10');
    await page.locator('#intensity').dispatchEvent('input');
  }
  for (const F of byzantine.length ? byzantine : [0]) {
    // F attackers take the place of F Chromium tabs: the last ones close
    while (swarm.tabs.length > totalTabs - F) await swarm.tabs.pop()!.page.close();
    for (const c of Array.from({ length: repeat }, () => cases).flat()) {
      const name = `${c.label}${byzantine.length ? `, ${F} of ${totalTabs} tabs byzantine` : ''}`;
      try {
        const o = await runCase(c, minutes, F);
        outcomes.push(o);
        process.stderr.write(`${name}: done, test accuracy ${o.accuracy.map((a) => a.toFixed(3)).join(' ')}\n`);
      } catch (err) {
        // a case that fails (a tab too starved to answer, say) leaves the other cases' results standing
        const error = (err as Error).message.split('\n')[0];
        failures.push({ algorithm: c.label, ...(byzantine.length ? { byzantine: F } : {}), error });
        process.stderr.write(`${name}: failed: ${error}\n`);
      }
    }
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
    // what a round (a global copy, or a baseline's round) costs: totals differ with how many rounds fit the budget
    bytes_per_round: o.rounds ? Math.round(o.bytesTotal / o.rounds) : null,
    steps_total: o.stepsTotal,
    steps_per_tab: o.stepsPerTab,
    coordinator_cpu_s: Math.round(o.coordinatorCpu * 10) / 10,
    ...(straggler ? { straggler: true } : {}),
    ...(o.attackers ? {
      byzantine: o.attackers.count, of_tabs: totalTabs, ...(o.hyper.byzantine !== undefined ? { f: o.hyper.byzantine } : {}),
      attack_sent: o.attackers.sent, attack_refused: o.attackers.refused,
    } : {}),
  };
});
for (const l of [...lines, ...failures]) console.log(JSON.stringify(l));
/** With --repeat: per case (and F), the medians of its runs; a run that missed the target counts as never. */
const byCase = new Map<string, typeof lines>();
for (const l of lines) byCase.set(`${l.algorithm}|${l.byzantine ?? ''}`, [...(byCase.get(`${l.algorithm}|${l.byzantine ?? ''}`) ?? []), l]);
const medians = repeat > 1 ? [...byCase.values()].map((runs) => {
  const reached = runs.map((l) => l.seconds_to_target ?? Infinity);
  const m = median(reached);
  return {
    algorithm: runs[0].algorithm, ...(runs[0].byzantine !== undefined ? { byzantine: runs[0].byzantine } : {}), runs: runs.length, target,
    median_seconds_to_target: Number.isFinite(m) ? m : null, median_best_test_acc: r4(median(runs.map((l) => l.best_test_acc))),
    median_bytes_total: median(runs.map((l) => l.bytes_total)), median_bytes_per_round: median(runs.map((l) => l.bytes_per_round ?? 0)), median_steps_total: median(runs.map((l) => l.steps_total)),
    steps_total: runs.map((l) => l.steps_total), median_coordinator_cpu_s: median(runs.map((l) => l.coordinator_cpu_s)),
  };
}) : [];
for (const m of medians) console.log(JSON.stringify(m));

const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const name = `compare-${model}-${dataset}-${machines}x${tabs}-${minutes}min${straggler ? '-straggler' : ''}${byzantine.length ? `-byzantine-${byzantine.join('-')}` : ''}`;
const accuracyOverTime = (o: Outcome) => ({ label: o.label, points: o.seconds.map((x, i) => ({ x, y: o.accuracy[i] })) });
writeFileSync(join(dir, `${name}.svg`), lineChartsSvg(byzantine.length
  // one panel per F: its cases against time
  ? byzantine.map((F) => ({ title: `${F} of ${totalTabs} tabs byzantine: test accuracy vs time`, xLabel: 'seconds since start', yLabel: 'test accuracy', series: outcomes.filter((o) => o.attackers?.count === F).map(accuracyOverTime) }))
  : [
    { title: `${model} on ${dataset}: test accuracy vs time`, xLabel: 'seconds since start', yLabel: 'test accuracy', series: outcomes.map(accuracyOverTime) },
    { title: 'test accuracy vs bytes moved', xLabel: 'bytes up + down (log)', yLabel: 'test accuracy', logX: true, series: outcomes.map((o) => ({ label: o.label, points: o.bytes.map((x, i) => ({ x, y: o.accuracy[i] })) })) },
  ]));
const mb = (b: number) => (b / 1e6).toFixed(1);
const table = [
  `# ${model} on ${dataset}, ${machines} machines x ${tabs} tabs, ${minutes} min each${straggler ? ', one tab at 10% intensity' : ''}`,
  '',
  `Command: \`npm run bench:compare -- ${process.argv.slice(2).join(' ')}\``,
  `Hyper: lr ${base.lr}, momentum ${base.momentum}, batch ${base.batch}, tau ${base.tau}; lsgd lambdaL ${lambdaL} lambdaG ${lambdaG}; easgd alpha ${alpha}; parle gamma ${gamma} rho ${rho}; grawa lambda ${lambda}; seed ${seed}.`,
  ...(byzantine.length ? [`Byzantine tabs: F of ${totalTabs} for F in ${byzantine.join(', ')}; f = ${f} for ${AGGREGATES_WITH_F.join(', ')}; attack scale ${attack.scale}, period ${attack.periodMs} ms.`] : []),
  '',
  `| algorithm |${byzantine.length ? ' byzantine |' : ''} final acc | best acc | s to ${target} | MB moved | steps (honest tabs) |`,
  `|---|${byzantine.length ? '---|' : ''}---|---|---|---|---|`,
  ...lines.map((l) => `| ${l.algorithm} |${l.byzantine !== undefined ? ` ${l.byzantine} |` : ''} ${l.final_test_acc} | ${l.best_test_acc} | ${l.seconds_to_target ?? '—'} | ${mb(l.bytes_total)} | ${l.steps_total} |`),
  '',
  ...(medians.length ? [
    `Medians of ${repeat} interleaved runs each:`,
    '',
    `| algorithm |${byzantine.length ? ' byzantine |' : ''} best acc | s to ${target} | MB moved | steps (honest tabs) | coordinator CPU s |`,
    `|---|${byzantine.length ? '---|' : ''}---|---|---|---|---|`,
    ...medians.map((m) => `| ${m.algorithm} |${m.byzantine !== undefined ? ` ${m.byzantine} |` : ''} ${m.median_best_test_acc} | ${m.median_seconds_to_target ?? '—'} | ${mb(m.median_bytes_total)} | ${m.median_steps_total} | ${m.median_coordinator_cpu_s} |`),
    '',
  ] : []),
  `![accuracy](${name}.svg)`,
  '',
];
writeFileSync(join(dir, `${name}.md`), table.join('\n'));
process.stderr.write(`wrote bench/results/${name}.svg and .md\n`);
