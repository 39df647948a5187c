import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../shared/random.ts';
import { runConfigSchema } from '../shared/run_config.ts';
import { configSchema } from './config.ts';
import { bestCheckpoint } from './model_export.ts';
import { bucketStart, checkpointsToKeep, diskBound, EVENT_MESSAGE_CHARS, KEPT_EVENT_KINDS, retentionPolicy, thin, type CheckpointRecord, type RetentionPolicy } from './retention.ts';
import { Store } from './store.ts';
import { until } from './test_support.ts';

const POLICY = retentionPolicy(configSchema.parse({}));
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2030, 0, 1, 0, 0, 7);

/** What the store does: stores checkpoints one by one and prunes after each; `accuracy(i)` arrives one checkpoint late. */
function storeOneByOne(n: number, every: number, accuracy: (i: number) => number | null, p: RetentionPolicy = POLICY, final = false) {
  let kept: (CheckpointRecord & { bytes: number; i: number })[] = [];
  for (let i = 0; i < n; i++) {
    const previous = kept.find((c) => c.i === i - 1);
    if (previous) previous.testAccuracy = accuracy(i - 1);
    kept.push({ id: i + 1, i, t: T0 + i * every, final: final && i === n - 1, testAccuracy: null, bytes: 0 });
    const keep = checkpointsToKeep(kept, p, T0);
    kept = kept.filter((c) => keep.has(c.id));
  }
  return kept;
}

const asInfo = (c: CheckpointRecord) => ({ ...c, step: 0, round: 0, version: 0, workerId: 'w', testLoss: null, bytes: 0 });

test('the best checkpoint survives however early it came, and it is the one the model download picks', () => {
  const kept = storeOneByOne(500, 30_000, (i) => (i === 2 ? 0.99 : 0.5 + i / 10_000));
  assert.ok(kept.some((c) => c.i === 2));
  assert.equal(bestCheckpoint(kept.map(asInfo))!.id, 3);
});

test('over random accuracies, the download pick is always the best checkpoint ever evaluated, and the latest is always kept', () => {
  const rnd = seededRandom(11);
  const accuracies = Array.from({ length: 400 }, () => rnd());
  for (let n = 1; n <= 400; n += 37) {
    const kept = storeOneByOne(n, 45_000, (i) => accuracies[i]);
    const evaluated = accuracies.slice(0, n - 1);
    if (evaluated.length) assert.equal(bestCheckpoint(kept.map(asInfo))!.testAccuracy, Math.max(...evaluated));
    assert.equal(kept.at(-1)!.i, n - 1);
    assert.equal(kept.at(-1)!.testAccuracy, null, 'the newest one is not evaluated yet and still kept');
  }
});

test('checkpoints never evaluated: the latest few and the latest of each hour', () => {
  const kept = storeOneByOne(200, 60_000, () => null);
  // 200 minutes: the latest of hours 0, 1, 2 and 3 (that one is also the latest overall), and the latest 3
  assert.deepEqual(kept.map((c) => c.i), [59, 119, 179, 197, 198, 199]);
});

test('24 simulated hours, a checkpoint every 30 s: the latest of each hour, the best 3, the latest 3, and the final one', () => {
  const n = 24 * 120;
  const kept = storeOneByOne(n, 30_000, (i) => Math.sin(i) / 2 + 0.5, POLICY, true);
  const hourly = Array.from({ length: 24 }, (_, h) => h * 120 + 119);
  for (const i of hourly) assert.ok(kept.some((c) => c.i === i), `the last checkpoint of hour ${i / 120}`);
  const evaluated = Array.from({ length: n - 1 }, (_, i) => ({ i, a: Math.sin(i) / 2 + 0.5 })).sort((x, y) => y.a - x.a || y.i - x.i);
  for (const { i } of evaluated.slice(0, 3)) assert.ok(kept.some((c) => c.i === i), `best ${i}`);
  assert.deepEqual(kept.slice(-3).map((c) => c.i), [n - 3, n - 2, n - 1]);
  assert.equal(kept.at(-1)!.final, true);
  assert.ok(kept.length <= 24 + 3 + 3, `${kept.length} kept`);
});

test('a final checkpoint is kept even when it is neither recent nor good', () => {
  const records: CheckpointRecord[] = Array.from({ length: 50 }, (_, i) => ({ id: i + 1, t: T0 + i * 1000, final: i === 10, testAccuracy: i === 10 ? 0 : 0.9 }));
  assert.ok(checkpointsToKeep(records, POLICY, T0).has(11));
  assert.ok(!checkpointsToKeep(records, POLICY, T0).has(12));
});

test('thinning keeps the latest row per series and bucket, and that row carries its bucket\'s samples', () => {
  const rows = [
    { id: 1, series: 'a', t: 0, samples: 10 }, { id: 2, series: 'a', t: 20_000, samples: 5 }, { id: 3, series: 'a', t: 59_999, samples: 1 },
    { id: 4, series: 'b', t: 30_000, samples: 7 }, { id: 5, series: 'a', t: 60_000, samples: 2 },
  ];
  const out = thin(rows, MINUTE);
  assert.deepEqual(out.drop.sort(), [1, 2]);
  assert.deepEqual(out.samples, [{ id: 3, samples: 16 }]);
  assert.deepEqual(thin([{ id: 1, series: 'g', t: 0 }, { id: 2, series: 'g', t: 1 }], MINUTE), { drop: [1], samples: [] });
});

test('the disk bound of a run grows by little per hour once its checkpoints and metrics are thinned', () => {
  const mlp = { params: 235_146, tabs: 4, reportsPerSecond: 10, checkpointEveryMinutes: 0.5 };
  const day = diskBound({ ...mlp, hours: 24 }, POLICY);
  const twoDays = diskBound({ ...mlp, hours: 48 }, POLICY);
  assert.equal(day.checkpoints, 3 + 3 + 25 + 2);
  assert.ok((twoDays.bytes - day.bytes) / 24 < 2_000_000, `${twoDays.bytes - day.bytes} bytes more over 24 h`);
  assert.ok(diskBound({ ...mlp, hours: 24, tabs: 100 }, POLICY).bytes > day.bytes);
});

/** Total size on disk of the store's files. */
function storeBytes(dir: string): number {
  return ['flock.sqlite', 'flock.sqlite-wal'].reduce((sum, f) => {
    try {
      return sum + statSync(join(dir, f)).size;
    } catch {
      return sum;
    }
  }, 0);
}

test('a simulated 24-hour run stays within the bound in rows and in bytes, with every sample counted and every kept event there', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flock-retention-'));
  const store = new Store(dir, { ...POLICY, compactEveryMs: 0 });
  try {
    const shape = { params: 1000, tabs: 4, reportsPerSecond: 1 / 3, checkpointEveryMinutes: 0.5, roundsPerMinute: 20, evalsPerMinute: 10, localUploadsPerMinute: 10 };
    const config = runConfigSchema.parse({ name: 'day', model: 'mlp', dataset: 'mnist', hyper: { lr: 0.1, momentum: 0.9, batch: 8, tau: 5, lambdaL: 0.1, lambdaG: 0.1 }, stop: { minutes: 1440 } });
    const run = store.createRun(config, shape.params, T0);
    store.setState(run.id, 'running', T0);
    const rnd = seededRandom(5);
    const weights = new Float32Array(shape.params);
    const tabs = ['t0', 't1', 't2', 't3'];
    let samplesIn = 0;
    let round = 0;
    let lastCheckpoint: number | null = null;
    const bestId = 10;
    const checkSize = (hours: number) => {
      const bound = diskBound({ ...shape, hours }, POLICY);
      assert.ok(storeBytes(dir) <= bound.bytes, `after ${hours} h: ${storeBytes(dir)} bytes on disk, bound ${bound.bytes}`);
    };
    for (let minute = 0; minute < 24 * 60; minute++) {
      const base = T0 + minute * MINUTE;
      store.transaction(() => {
        for (let s = 0; s < 60; s += 3) {
          for (const [k, tab] of tabs.entries()) {
            const samples = 100 + k;
            samplesIn += samples;
            store.addWorkerMetric(run.id, { t: base + s * 1000 + k, workerId: tab, machineId: `m${k % 2}`, step: minute * 20 + s, loss: 1, samplesPerSec: 30, samples });
          }
        }
        for (let r = 0; r < 20; r++) {
          const t = base + r * 3000;
          round++;
          store.addLeaderMetric(run.id, { t, kind: 'global', groupId: `m${(minute >> 6) % 2}`, workerId: 't0', version: round, step: round, loss: 1 });
          if (r % 2 === 0) for (const g of ['m0', 'm1']) store.addLeaderMetric(run.id, { t, kind: 'local', groupId: g, workerId: 't1', version: round, step: round, loss: 1 });
          store.addRound(run.id, { round, t, step: round, uploads: 2, downloads: 4, bytesUp: 8000, bytesDown: 16000 });
          if (r % 2 === 0) store.addEval(run.id, { t, step: round, version: round, workerId: 't0', samples: 1000, testLoss: 1, testAccuracy: 0.5 });
        }
        // a tab can cause events at will: 30 refused messages a minute, each echoing a long input
        for (let e = 0; e < 30; e++) store.addEvent(run.id, base + e, 'malformed', 't3', `hello: ${'k'.repeat(2000)}`);
        if (minute % 60 === 0) store.addEvent(run.id, base, 'quarantine', 't3', 'claim failed');
        if (minute % 360 === 0) store.addEvent(run.id, base, 'pause', null, 'pause by the admin');
      });
      for (const s of [0, 30]) {
        // the evaluation of the previous checkpoint lands after it was stored; the best one comes early
        if (lastCheckpoint !== null) store.setCheckpointEval(lastCheckpoint, 1, lastCheckpoint === bestId ? 0.99 : 0.3 + rnd() / 2);
        lastCheckpoint = store.addCheckpoint(run.id, { t: base + s * 1000, step: round, round, version: round, workerId: 't0', final: false, weights });
      }
      store.compact(base + MINUTE);
      if (minute === 12 * 60 - 1) checkSize(12);
    }
    const finalId = store.addCheckpoint(run.id, { t: T0 + 24 * HOUR, step: round, round, version: round, workerId: 't0', final: true, weights });
    store.compact(T0 + 24 * HOUR);
    const bound = diskBound({ ...shape, hours: 24 }, POLICY);

    const checkpoints = store.checkpoints(run.id);
    assert.ok(checkpoints.length <= bound.checkpoints, `${checkpoints.length} checkpoints`);
    assert.equal(bestCheckpoint(checkpoints)!.id, bestId);
    assert.equal(store.checkpoint(run.id)!.id, finalId, 'a restart resumes from the latest');
    assert.equal(new Set(checkpoints.map((c) => Math.floor((c.t - T0) / HOUR))).size, 25, 'one per hour and the final one');

    const { workers, leaders, eval: evals, rounds } = store.metrics(run.id, 0, 10_000_000);
    for (const tab of tabs) {
      const n = workers.filter((w) => w.workerId === tab).length;
      assert.ok(n <= bound.workerRows, `${tab}: ${n} rows, bound ${bound.workerRows}`);
    }
    assert.ok(workers.length < 24 * 60 * 20 * tabs.length / 10, 'thinned');
    assert.equal(workers.reduce((sum, w) => sum + w.samples, 0), samplesIn);
    assert.ok(leaders.length <= bound.leaderRows, `${leaders.length} leader rows, bound ${bound.leaderRows}`);
    assert.equal(evals.length, 24 * 60 * 10, 'evaluations are not thinned');
    assert.equal(rounds.length, round, 'rounds are not thinned: the byte counters add up to them');

    const events = store.events(run.id, 0, 1_000_000);
    assert.equal(events.filter((e) => !KEPT_EVENT_KINDS.includes(e.kind)).length, POLICY.eventsPerRun);
    assert.equal(events.filter((e) => e.kind === 'quarantine').length, 24);
    assert.equal(events.filter((e) => e.kind === 'pause').length, 4);
    assert.ok(events.every((e) => e.message.length <= EVENT_MESSAGE_CHARS));
    checkSize(24);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the store compacts on its own timer, one slice per event-loop turn, a bucket larger than a slice included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flock-retention-'));
  const store = new Store(dir, { ...POLICY, compactEveryMs: 20 });
  try {
    const config = runConfigSchema.parse({ name: 'old', model: 'mlp', dataset: 'mnist', hyper: { lr: 0.1, momentum: 0.9, batch: 8, tau: 5, lambdaL: 0.1, lambdaG: 0.1 }, stop: { minutes: 10 } });
    const run = store.createRun(config, 10, Date.now());
    // 5,000 reports of one tab within one second, five hours ago
    const old = bucketStart(Date.now() - 5 * HOUR, 10 * MINUTE) + 1000;
    store.transaction(() => {
      for (let i = 0; i < 5000; i++) store.addWorkerMetric(run.id, { t: old + Math.floor(i / 5), workerId: 'w', machineId: 'm', step: i, loss: 1, samplesPerSec: 1, samples: 2 });
    });
    await until('the old reports thinned to one', () => store.metrics(run.id, 0, 10_000).workers.length === 1);
    assert.equal(store.metrics(run.id, 0, 10).workers[0].samples, 10_000);
    assert.equal(store.metrics(run.id, 0, 10).workers[0].step, 4999, 'the latest row is the one kept');
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
