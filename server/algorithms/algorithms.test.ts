import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AveragedGradientMeta } from '../../shared/protocol.ts';
import { easgdCenterUpdate, easgdWorkerPull } from '../../shared/reference/easgd.ts';
import { lsgdUpdate } from '../../shared/reference/lsgd_update.ts';
import { meanGradient } from '../../shared/reference/sync_sgd.ts';
import type { Hyper } from '../../shared/run_config.ts';
import { Easgd } from './easgd.ts';
import type { AlgorithmHost, Member } from './host.ts';
import { bestByLoss, Local } from './local.ts';
import { aggregateGradients, barrierComplete, SyncSgd } from './sync_sgd.ts';

const HYPER: Hyper = { lr: 0.1, momentum: 0.5, batch: 8, tau: 4, lambdaL: 0, lambdaG: 0, alpha: 0.25 };

/** A host that records what the algorithm asks of it. */
function fakeHost(members: Member[], hyper: Hyper = HYPER) {
  const log = {
    up: 0, down: 0, rounds: [] as number[], models: [] as { weights: Float32Array; step: number; source: string }[], evaluations: 0,
    broadcasts: [] as { ids: readonly string[]; meta: AveragedGradientMeta; grad: Float32Array }[], uploadRequests: [] as string[],
  };
  const host: AlgorithmHost = {
    runId: 1, paramLength: 3, hyper,
    members: () => members,
    countUp: (_, b) => void (log.up += b),
    countDown: (_, b) => void (log.down += b),
    closeRound: (step) => void log.rounds.push(step),
    setModel: (weights, step, source) => void log.models.push({ weights, step, source }),
    evaluateModel: () => void log.evaluations++,
    broadcastGradient: (ids, meta, grad) => {
      log.broadcasts.push({ ids, meta, grad });
      log.down += ids.length * grad.byteLength;
    },
    requestUpload: (id) => void log.uploadRequests.push(id),
  };
  return { host, log };
}

const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) => Array.from(b).forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= tol, `[${i}] ${a[i]} vs ${v}`));

test('sync-sgd barrier: the step completes only when every member has sent, then all get the mean and the server copy takes the momentum step', () => {
  const members: Member[] = [{ workerId: 'a', loss: 1 }, { workerId: 'b', loss: 1 }, { workerId: 'c', loss: 1 }];
  const { host, log } = fakeHost(members);
  const x0 = Float32Array.from([1, -2, 0.5]);
  const sync = new SyncSgd(host, x0, 0);
  const g = { a: [0.3, 0.1, -1], b: [0.1, 0.5, 2], c: [-0.1, 0, 0.4] };
  assert.equal(sync.onGradient('a', 0, Float32Array.from(g.a)), null);
  assert.equal(sync.onGradient('b', 0, Float32Array.from(g.b)), null);
  assert.equal(log.broadcasts.length, 0, 'c has not sent: everyone waits');
  assert.match(sync.onGradient('a', 0, Float32Array.from(g.a))!, /second gradient/);
  assert.match(sync.onGradient('c', 1, Float32Array.from(g.c))!, /run is at step 0/);
  assert.equal(sync.onGradient('c', 0, Float32Array.from(g.c)), null);

  assert.equal(log.broadcasts.length, 1);
  const mean = meanGradient([g.a, g.b, g.c]);
  near(log.broadcasts[0].grad, mean);
  assert.deepEqual(log.broadcasts[0].ids, ['a', 'b', 'c']);
  assert.deepEqual(log.broadcasts[0].meta, { runId: 1, step: 0, contributors: 3 });
  const h = { lr: HYPER.lr, momentum: HYPER.momentum, lambdaL: 0, lambdaG: 0, useLocal: false, useGlobal: false };
  const step1 = lsgdUpdate(x0, mean, [0, 0, 0], null, null, h);
  near(sync.weights, step1.params);
  assert.equal(sync.step, 1);
  assert.deepEqual(log.rounds, [1]);
  assert.equal(log.down, 3 * 3 * 4);

  // the second step carries the momentum: the server copy matches two reference steps
  for (const id of ['a', 'b', 'c'] as const) sync.onGradient(id, 1, Float32Array.from(g[id]));
  near(sync.weights, lsgdUpdate(step1.params, mean, step1.velocity, null, null, h).params);
});

test('sync-sgd: a member that leaves no longer holds the step up; its gradient, already sent, still counts', () => {
  const members: Member[] = [{ workerId: 'a', loss: 1 }, { workerId: 'b', loss: 1 }, { workerId: 'c', loss: 1 }];
  const { host, log } = fakeHost(members);
  const sync = new SyncSgd(host, new Float32Array(3), 0);
  sync.onGradient('a', 0, Float32Array.from([1, 1, 1]));
  sync.onGradient('c', 0, Float32Array.from([3, 3, 3]));
  members.splice(1, 2);
  sync.membershipChanged();
  assert.equal(log.broadcasts.length, 1);
  assert.equal(log.broadcasts[0].meta.contributors, 2);
  near(log.broadcasts[0].grad, [2, 2, 2]);
  assert.equal(barrierComplete([], new Set()), false);
});

test('sync-sgd median aggregate ignores one absurd gradient', () => {
  near(aggregateGradients([Float32Array.from([1, 2]), Float32Array.from([1e6, -1e6]), Float32Array.from([3, 4])], 'median'), [3, 2]);
});

test('easgd: each push moves the center toward the worker and answers with the center before the move', () => {
  const { host, log } = fakeHost([]);
  const c0 = Float32Array.from([0, 1, 2]);
  const easgd = new Easgd(host, c0);
  const x = Float32Array.from([4, -1, 2]);
  const reply = easgd.onPush('a', x, 10);
  near(reply.center, c0);
  near(easgd.weights, easgdCenterUpdate(c0, [x], 0.25));
  // the worker's pull and the center's move are equal and opposite
  const pulled = easgdWorkerPull(x, reply.center, 0.25);
  Array.from(x).forEach((v, i) => assert.ok(Math.abs(v - pulled[i] - (easgd.weights[i] - c0[i])) < 1e-6));
  const y = Float32Array.from([0, 0, 0]);
  easgd.onPush('b', y, 12);
  near(easgd.weights, easgdCenterUpdate(easgdCenterUpdate(c0, [x], 0.25), [y], 0.25));
  assert.deepEqual(log.rounds, [10, 12]);
  assert.equal(log.down, 2 * 3 * 4);
  assert.deepEqual(log.models.map((m) => m.source), ['center', 'center']);
});

test('local: the best reported worker is asked to upload for evaluation; its weights become the model', () => {
  assert.equal(bestByLoss([{ workerId: 'a', loss: null }]), null);
  const members: Member[] = [{ workerId: 'a', loss: 0.9 }, { workerId: 'b', loss: 0.4 }, { workerId: 'c', loss: null }];
  const { host, log } = fakeHost(members);
  const local = new Local(host);
  local.evaluationDue();
  assert.deepEqual(log.uploadRequests, ['b']);
  const w = Float32Array.from([1, 2, 3]);
  local.onUpload('b', w, 40);
  assert.equal(log.models[0].weights, w);
  assert.equal(log.evaluations, 1);
  assert.deepEqual(log.rounds, [40]);
});
