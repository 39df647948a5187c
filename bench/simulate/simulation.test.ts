import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset } from '../../server/datasets/catalog.ts';
import { sliceSplit } from '../../shared/dataset.ts';
import { ALGORITHMS } from './algorithms.ts';
import { coordinatorConfig } from './coordinator_defaults.ts';
import { modelOf } from './options.ts';
import { settingKnobs } from './settings.ts';
import { simulate, type RunSpec } from './simulation.ts';

const mnist = await loadDataset('mnist');
const data = { train: sliceSplit(mnist.train, 784, 0, 4000), validation: sliceSplit(mnist.train, 784, 7488, 256), test: sliceSplit(mnist.test, 784, 0, 500) };

function tiny(algorithm: string, seed: number): RunSpec {
  const entry = ALGORITHMS[algorithm];
  return {
    spec: modelOf('784-10'),
    data,
    workers: 4,
    knobs: settingKnobs('residential', {}),
    coordinator: coordinatorConfig(),
    hyper: { lr: 0.05, momentum: 0.9, batch: 16 },
    options: { tau: 5, tauG: 5, lambdaL: 0.1, lambdaG: 0.1, alpha: 0.2, gamma: 0.1, rho: 0.5, grawaLambda: 0.2, f: 0, attackWeightScale: 0.1, attackGradientScale: -10, attackPeriodSeconds: 2, ...entry.fixed },
    algorithm: entry.factory,
    cpuStepSeconds: 0.03,
    copyBytes: 4 * 7940,
    seed,
    maxSeconds: 60,
    stepsPerWorker: 60,
    evalEverySeconds: 1,
  };
}

test('the same seed gives the same run, to the byte; another seed another', () => {
  const a = simulate(tiny('lsgd', 7));
  const b = simulate(tiny('lsgd', 7));
  assert.deepEqual(b.curve, a.curve);
  assert.equal(b.coordinatorBytes, a.coordinatorBytes);
  assert.deepEqual(b.stats, a.stats);
  assert.notDeepEqual(simulate(tiny('lsgd', 8)).curve, a.curve);
});

test('a tiny LSGD run learns, and its leaders move copies', () => {
  const r = simulate(tiny('lsgd', 1));
  assert.ok(r.curve[0].accuracy < 0.3, `starts near chance: ${r.curve[0].accuracy}`);
  assert.ok(r.curve[r.curve.length - 1].accuracy > 0.7, `the global copy learns: ${r.curve[r.curve.length - 1].accuracy}`);
  assert.ok(r.stats.global_copies > 0 && r.coordinatorBytes > 0, JSON.stringify({ ...r.stats, bytes: r.coordinatorBytes, seconds: r.seconds, acc: r.curve.map((p) => p.accuracy) }));
});

test('sync-sgd waits for every tab on every step: the slowest sets the pace', () => {
  const run = tiny('sync-sgd', 1);
  const r = simulate(run);
  assert.equal(r.stats.sync_steps, run.stepsPerWorker - 1);
  assert.ok(r.seconds > run.stepsPerWorker * run.cpuStepSeconds * 0.8);
});
