import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runConfigSchema } from '../shared/run_config.ts';
import { configSchema } from './config.ts';
import { retentionPolicy } from './retention.ts';
import { Store } from './store.ts';

const POLICY = { ...retentionPolicy(configSchema.parse({})), compactEveryMs: 0 };
const CONFIG = runConfigSchema.parse({ name: 'r', model: 'mlp', dataset: 'mnist', hyper: { lr: 0.05, momentum: 0.9, batch: 64, tau: 10, lambdaL: 0.1, lambdaG: 0.05 }, stop: { steps: 10 } });
const metric = (t: number) => ({ t, workerId: `w${t % 7}`, machineId: 'm', step: t, loss: 1 / t, samplesPerSec: 10, samples: 64 });
const rowsOnDisk = (dir: string) => {
  const raw = new Database(join(dir, 'flock.sqlite'), { readonly: true });
  const n = (raw.prepare('SELECT count(*) AS n FROM worker_metrics').get() as { n: number }).n;
  raw.close();
  return n;
};

test('worker metrics are written in batches, every one read back, and the last batch stored on close', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flock-store-'));
  try {
    const store = new Store(dir, POLICY);
    const run = store.createRun(CONFIG, 100, 1);
    for (let t = 1; t <= 300; t++) store.addWorkerMetric(run.id, metric(t));
    assert.ok(rowsOnDisk(dir) < 300, 'the rows after the last full batch wait for a flush');
    assert.equal(store.metrics(run.id, 0, 1000).workers.length, 300, 'a read sees every row: it flushes first');
    assert.equal(rowsOnDisk(dir), 300);
    for (let t = 301; t <= 305; t++) store.addWorkerMetric(run.id, metric(t));
    store.flush();
    assert.equal(rowsOnDisk(dir), 305, 'a flush (the coordinator tick) writes the buffered rows');
    for (let t = 306; t <= 310; t++) store.addWorkerMetric(run.id, metric(t));
    store.close();
    const reopened = new Store(dir, POLICY);
    assert.deepEqual(reopened.metrics(run.id, 0, 1000).workers.map((m) => m.t), Array.from({ length: 310 }, (_, i) => i + 1));
    reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('events outside a transaction are buffered, read back in the order they happened, and those inside one are written with it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flock-store-'));
  try {
    const store = new Store(dir, POLICY);
    const run = store.createRun(CONFIG, 100, 1);
    store.addEvent(run.id, 1, 'join', 'w1', 'first');
    store.transaction(() => store.addEvent(run.id, 2, 'quarantine', 'w1', 'second'));
    store.addEvent(run.id, 3, 'leave', 'w1', 'third');
    assert.deepEqual(store.events(run.id, 0, 10).map((e) => e.message), ['first', 'second', 'third']);
    store.addEvent(run.id, 4, 'join', 'w2', 'fourth');
    store.close();
    const reopened = new Store(dir, POLICY);
    assert.equal(reopened.events(run.id, 0, 10).length, 4, 'close writes the buffered events');
    reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
