import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataSplit } from '../../shared/dataset.ts';
import { parameterLayout } from '../../shared/layout.ts';
import type { ModelSpec } from '../../shared/model.ts';
import type { AveragedGradientMeta } from '../../shared/protocol.ts';
import { seededNormal } from '../../shared/random.ts';
import { adamwUpdate } from '../../shared/reference/adamw_update.ts';
import { easgdCenterUpdate, easgdWorkerPull } from '../../shared/reference/easgd.ts';
import { lsgdUpdate } from '../../shared/reference/lsgd_update.ts';
import { cgeGradient, trimmedMeanGradient, zenoGradient } from '../../shared/reference/robust_aggregation.ts';
import { meanGradient, medianGradient } from '../../shared/reference/sync_sgd.ts';
import { AGGREGATES, type Hyper } from '../../shared/run_config.ts';
import { Easgd } from './easgd.ts';
import type { AlgorithmHost, Member } from './host.ts';
import { bestByLoss, Local } from './local.ts';
import { affordableF, aggregateGradients, barrierComplete, SyncSgd, ZENO_BATCH } from './sync_sgd.ts';

const HYPER: Hyper = { lr: 0.1, momentum: 0.5, batch: 8, tau: 4, lambdaL: 0, lambdaG: 0, pull: 'periodic', alpha: 0.25 };

/** A 2x2 input, 3 classes, one dense layer: with blank pixels the logits are the biases, so zeno's choices can be worked by hand. */
const SPEC: ModelSpec = { name: 'small', input: { height: 2, width: 2, channels: 1 }, classes: 3, layers: [{ kind: 'flatten' }, { kind: 'dense', units: 3 }] };

/** A host that records what the algorithm asks of it. */
function fakeHost(members: Member[], hyper: Hyper = HYPER, heldOut: DataSplit = { count: 0, pixels: new Uint8Array(0), labels: new Uint8Array(0) }) {
  const log = {
    up: 0, down: 0, rounds: [] as number[], models: [] as { weights: Float32Array; step: number; source: string }[], evaluations: 0,
    broadcasts: [] as { ids: readonly string[]; meta: AveragedGradientMeta; grad: Float32Array }[], uploadRequests: [] as string[],
  };
  const host: AlgorithmHost = {
    runId: 1, paramLength: 3, hyper, spec: SPEC,
    heldOut: () => heldOut,
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

test('sync-sgd with adamw: the server copy takes AdamW steps counted from the step it started at, as its workers do', () => {
  const members: Member[] = [{ workerId: 'a', loss: 1 }, { workerId: 'b', loss: 1 }];
  const adamw = { optimizer: 'adamw' as const, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1 };
  const { host } = fakeHost(members, { ...HYPER, ...adamw });
  const x0 = Float32Array.from([1, -2, 0.5]);
  const sync = new SyncSgd(host, x0, 7);
  const g = { a: [0.3, 0.1, -1], b: [0.1, 0.5, 2] };
  const mean = meanGradient([g.a, g.b]);
  const h = { lr: HYPER.lr, ...adamw, lambdaL: 0, lambdaG: 0, useLocal: false, useGlobal: false };
  let ref: ReturnType<typeof adamwUpdate> = { params: Float64Array.from(x0), m: new Float64Array(3), v: new Float64Array(3) };
  for (const step of [7, 8]) {
    for (const id of ['a', 'b'] as const) assert.equal(sync.onGradient(id, step, Float32Array.from(g[id])), null);
    ref = adamwUpdate(ref.params, mean, ref.m, ref.v, null, null, h, step - 7 + 1);
    near(sync.weights, ref.params);
  }
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

const randomGradients = (seed: number, n: number, len: number) => {
  const normal = seededNormal(seed);
  return Array.from({ length: n }, (_, k) => Float32Array.from({ length: len }, () => normal() * (1 + k)));
};

test('sync-sgd aggregates: each rule is its CPU reference on random gradients, in float32', () => {
  const grads = randomGradients(4, 8, 30);
  const x = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i));
  const zeno = { weights: x, loss: (p: Float64Array) => p.reduce((s, v) => s + v * v, 0) / 2, gamma: 0.1, rho: 0.01 };
  const references = {
    mean: meanGradient(grads),
    median: medianGradient(grads),
    'trimmed-mean': trimmedMeanGradient(grads, 2),
    cge: cgeGradient(grads, 2),
    zeno: zenoGradient(grads, 2, zeno),
  };
  for (const kind of AGGREGATES) {
    const got = aggregateGradients(grads, kind, 2, zeno);
    assert.ok(got instanceof Float32Array, kind);
    near(got, Float32Array.from(references[kind]), 0);
  }
  assert.throws(() => aggregateGradients(grads, 'zeno', 2), /zeno scores gradients on held-out data/);
});

test('sync-sgd aggregates worked by hand: the rules told f = 1 drop the outlier the mean takes in', () => {
  const grads = [[1, 10], [2, 20], [3, 30], [100, -5]].map((g) => Float32Array.from(g));
  near(aggregateGradients(grads, 'mean'), [26.5, 13.75]);
  near(aggregateGradients(grads, 'trimmed-mean', 1), [2.5, 15]);
  // norms: about 10, 20.1, 30.1 and 100.1
  near(aggregateGradients(grads, 'cge', 1), [2, 20]);
  // on 0.5 ||x||^2 at x = 0 every gradient raises the loss by 0.5 gamma^2 ||g||^2: zeno keeps the smallest
  const zeno = { weights: [0, 0], loss: (p: Float64Array) => (p[0] ** 2 + p[1] ** 2) / 2, gamma: 0.1, rho: 0 };
  near(aggregateGradients(grads, 'zeno', 3, zeno), [1, 10]);
});

test('a step with fewer gradients than f needs drops what it can: 3 tabs of a run set for f = 2', () => {
  assert.deepEqual([affordableF('trimmed-mean', 2, 3), affordableF('cge', 2, 3), affordableF('zeno', 2, 3)], [1, 2, 2]);
  assert.deepEqual([affordableF('trimmed-mean', 2, 8), affordableF('cge', 2, 8), affordableF('trimmed-mean', 2, 1), affordableF('cge', 2, 1)], [2, 2, 0, 0]);
  assert.equal(affordableF('median', 2, 8), 0);
  const three = [[1, 1], [5, -3], [2, 100]].map((g) => Float32Array.from(g));
  near(aggregateGradients(three, 'trimmed-mean', 2), medianGradient(three));
  near(aggregateGradients(three, 'cge', 2), three[0]);
  near(aggregateGradients([three[1]], 'trimmed-mean', 2), three[1]);

  // in a run: the step completes with the median of the three
  const members: Member[] = ['a', 'b', 'c'].map((workerId) => ({ workerId, loss: 1 }));
  const { host, log } = fakeHost(members, { ...HYPER, aggregate: 'trimmed-mean', byzantine: 2 });
  const sync = new SyncSgd(host, new Float32Array(2), 0);
  three.forEach((g, k) => sync.onGradient(members[k].workerId, 0, g));
  assert.equal(log.broadcasts.length, 1);
  near(log.broadcasts[0].grad, [2, 1]);
});

test('sync-sgd zeno scores each step on the next window of the held-out split, at the server\'s model, with the run\'s lr as gamma', () => {
  // Blank pixels: the logits are the biases. Window 0 is 3/4 class 0, window 1 3/4 class 1 (the rest class 2, unused).
  const count = 2 * ZENO_BATCH + 6;
  const labels = Uint8Array.from({ length: count }, (_, i) => (i >= 2 * ZENO_BATCH ? 2 : Math.floor(i / ZENO_BATCH) === (i % 4 === 0 ? 1 : 0) ? 0 : 1));
  const heldOut: DataSplit = { count, pixels: new Uint8Array(count * 4), labels };
  const layout = parameterLayout(SPEC);
  const bias = layout.tensors[1].offset;
  const raise = (c: number, by: number) => {
    const g = new Float32Array(layout.length);
    g[bias + c] = -by;
    return g;
  };
  // a small and a large step toward class 0, a large one toward class 1; zeno keeps one
  const grads = [raise(0, 1), raise(0, 8), raise(1, 8)];
  const members: Member[] = ['a', 'b', 'c'].map((workerId) => ({ workerId, loss: 1 }));
  const kept = (start: Float32Array) => {
    const { host, log } = fakeHost(members, { ...HYPER, momentum: 0, aggregate: 'zeno', byzantine: 2 }, heldOut);
    const sync = new SyncSgd(host, start, 0);
    for (let step = 0; step < 3; step++) grads.forEach((g, k) => sync.onGradient(members[k].workerId, step, g));
    return log.broadcasts.map((b) => grads.findIndex((g) => g.every((v, i) => v === b.grad[i])));
  };
  // From blank biases, with gamma = lr = 0.1 the large step toward each window's majority lowers its loss most (with
  // gamma = 1 both large steps would overshoot): class 0, class 1, class 0 again.
  assert.deepEqual(kept(new Float32Array(layout.length)), [1, 2, 1]);
  // From a model already past window 0's best bias for class 0, the step toward class 1 is what lowers its loss, and
  // at step 2 every step raises it: the small one least.
  const past = new Float32Array(layout.length);
  past[bias] = 3;
  assert.deepEqual(kept(past), [2, 2, 0]);

  const { host } = fakeHost([members[0]], { ...HYPER, aggregate: 'zeno' });
  assert.throws(() => new SyncSgd(host, past, 0).onGradient('a', 0, grads[0]), /validation split is empty/);
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
