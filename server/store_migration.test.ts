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

test('a run stored before the pull became a choice keeps the penalty it trained with; new runs default to the periodic pull', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flock-migration-'));
  try {
    const config = runConfigSchema.parse({ name: 'old', model: 'mlp', dataset: 'mnist', hyper: { lr: 0.05, momentum: 0.9, batch: 64, tau: 10, lambdaL: 0.1, lambdaG: 0.05 }, stop: { steps: 10 } });
    assert.equal(config.hyper.pull, 'periodic');
    const store = new Store(dir, POLICY);
    const fresh = store.createRun(config, 100, 1);
    const { hyper, ...rest } = config;
    const { pull: _, ...oldHyper } = hyper;
    const old = store.createRun({ ...rest, name: 'stored earlier', hyper: oldHyper } as typeof config, 100, 2);
    store.close();

    const raw = new Database(join(dir, 'flock.sqlite'));
    assert.equal(JSON.parse((raw.prepare('SELECT config FROM runs WHERE id = ?').get(old.id) as { config: string }).config).hyper.pull, undefined, 'stored as the old version wrote it');
    raw.close();

    const reopened = new Store(dir, POLICY);
    assert.equal(reopened.getRun(old.id)!.config.hyper.pull, 'penalty');
    assert.equal(reopened.getRun(fresh.id)!.config.hyper.pull, 'periodic');
    reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
