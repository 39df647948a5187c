// The tab side of sgp, parle and grawa (client/worker/algorithms/) on a real trainer (Dawn) with a scripted socket:
// what each pushes, and the weights it trains from after the answer, against the CPU references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from '../gpu/node_device.ts';
import { Trainer } from '../engine/trainer.ts';
import type { DataSplit } from '../../shared/dataset.ts';
import { initialParameters } from '../../shared/init.ts';
import type { ModelSpec } from '../../shared/model.ts';
import { bytesToWeights, weightsToBytes, type PushMeta, type PushReply, type WeightBytes } from '../../shared/protocol.ts';
import { seededRandom } from '../../shared/random.ts';
import { grawaPull } from '../../shared/reference/grawa.ts';
import { lossAndGradient } from '../../shared/reference/model.ts';
import { parleAverage, parleInnerStep, parleReplicaStep } from '../../shared/reference/parle.ts';
import { l2Norm } from '../../shared/reference/robust_aggregation.ts';
import { debiased, sgpGradientStep } from '../../shared/reference/sgp.ts';
import { GrawaPull } from './algorithms/grawa.ts';
import { ParleReplica } from './algorithms/parle.ts';
import type { WorkerSocket } from './algorithms/push.ts';
import { SgpGossip } from './algorithms/sgp.ts';

const handle = await openNodeDevice();

const SPEC: ModelSpec = { name: 'small', input: { height: 4, width: 4, channels: 1 }, classes: 3, layers: [{ kind: 'flatten' }, { kind: 'dense', units: 6 }, { kind: 'relu' }, { kind: 'dense', units: 3 }] };
const BATCH = 16;
const r = seededRandom(7);
const SPLIT: DataSplit = { count: BATCH, pixels: Uint8Array.from({ length: BATCH * 16 }, () => Math.floor(r() * 256)), labels: Uint8Array.from({ length: BATCH }, () => Math.floor(r() * 3)) };
const LR = 0.1;
const TAU = 2;

/** The batch is the whole split, so every step's gradient is the full-batch one whatever the order. */
const gradAt = (params: ArrayLike<number>) => lossAndGradient(SPEC, params, Float64Array.from(SPLIT.pixels, (p) => p / 255), SPLIT.labels, BATCH).grad;
const sgdStep = (params: ArrayLike<number>) => {
  const g = gradAt(params);
  return Float64Array.from(params, (v, i) => v - LR * g[i]);
};
const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4) => Array.from(b).forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= tol, `[${i}] ${a[i]} vs ${v}`));

/** A socket that records each push and answers it with `answer`. */
function scriptedSocket(answer: (meta: PushMeta, x: Float32Array) => { reply: PushReply; weights: Float32Array }) {
  const pushes: { meta: PushMeta; x: Float32Array }[] = [];
  const socket = {
    connected: true,
    timeout: () => ({
      emit: (_event: 'push', meta: PushMeta, bytes: WeightBytes, ack: (err: Error | null, reply: PushReply, weights: WeightBytes | null) => void) => {
        const x = bytesToWeights(bytes).slice();
        pushes.push({ meta, x });
        const { reply, weights } = answer(meta, x);
        ack(null, reply, weightsToBytes(weights));
      },
    }),
  } as unknown as WorkerSocket;
  return { socket, pushes };
}

const x0 = initialParameters(SPEC, 5);
const answerWeights = Float32Array.from(x0, (v, i) => v + 0.01 * Math.sin(i));
const newTrainer = (pull?: 'penalty') => Trainer.create(handle, { spec: SPEC, batch: BATCH, seed: 5, hyper: { lr: LR, momentum: 0, lambdaL: 0, lambdaG: 0 }, pull, train: SPLIT, initial: x0 });
const notices: string[] = [];
const notice = (m: string) => notices.push(m);

test('sgp tab: pushes x every tau steps, takes the answer, and steps z = w x with lr: x moves by lr / w', async () => {
  const trainer = await newTrainer();
  const { socket, pushes } = scriptedSocket(() => ({ reply: { ok: true, version: 1, weight: 0.5 }, weights: answerWeights }));
  const sgp = new SgpGossip(socket, trainer, { runId: 1, tau: TAU, lr: LR }, () => 0.7, notice);
  await sgp.step();
  assert.equal(pushes.length, 0);
  await sgp.step();
  assert.equal(pushes.length, 1);
  assert.deepEqual(pushes[0].meta, { runId: 1, step: 2, lossEstimate: 0.7 });
  near(pushes[0].x, sgdStep(sgdStep(x0)));
  near(await trainer.getParams(), answerWeights, 0);
  // the next step is z - lr g at z / w, with z = 0.5 x
  await sgp.step();
  const z = Float64Array.from(answerWeights, (v) => 0.5 * v);
  near(await trainer.getParams(), debiased({ z: sgpGradientStep(z, gradAt(answerWeights), LR), w: 0.5 }));
  trainer.destroy();
});

test('parle tab: inner steps pulled toward the replica, mu their average; the round pushes the replica and takes the replica step', async () => {
  const gamma = 0.5;
  const rho = 0.5;
  const trainer = await newTrainer('penalty');
  const { socket, pushes } = scriptedSocket(() => ({ reply: { ok: true, version: 1 }, weights: answerWeights }));
  const parle = await ParleReplica.start(socket, trainer, { runId: 1, tau: TAU, gamma, rho }, () => 0.7, notice);
  await parle.step();
  await parle.step();
  const y1 = parleInnerStep(x0, gradAt(x0), x0, gamma, LR);
  const y2 = parleInnerStep(y1, gradAt(y1), x0, gamma, LR);
  const mu = parleAverage(parleAverage(x0, y1), y2);
  assert.equal(pushes.length, 1);
  near(pushes[0].x, x0, 0);
  const replica = parleReplicaStep(x0, mu, answerWeights, rho);
  near(await trainer.getParams(), replica);
  // the next inner step starts at the new replica and is pulled toward it
  await parle.step();
  const after = Float32Array.from(replica);
  near(await trainer.getParams(), parleInnerStep(after, gradAt(after), after, gamma, LR));
  trainer.destroy();
});

test('grawa tab: the tau-th step pushes x with its gradient\'s norm, takes the pull toward the center and the step with that gradient', async () => {
  const lambda = 0.5;
  const trainer = await newTrainer();
  const { socket, pushes } = scriptedSocket(() => ({ reply: { ok: true, version: 1 }, weights: answerWeights }));
  const grawa = new GrawaPull(socket, trainer, { runId: 1, tau: TAU, lambda }, () => 0.7, notice);
  await grawa.step();
  assert.equal(pushes.length, 0);
  await grawa.step();
  const x1 = sgdStep(x0);
  const g1 = gradAt(x1);
  assert.equal(pushes.length, 1);
  assert.equal(pushes[0].meta.step, 2);
  assert.ok(Math.abs(pushes[0].meta.gradNorm! - l2Norm(g1)) < 1e-4 * l2Norm(g1), `${pushes[0].meta.gradNorm} vs ${l2Norm(g1)}`);
  near(pushes[0].x, x1);
  const pulled = grawaPull(x1, answerWeights, lambda);
  near(await trainer.getParams(), pulled.map((v, i) => v - LR * g1[i]));
  assert.equal(trainer.runStep, 2);
  trainer.destroy();
  assert.deepEqual(notices, []);
});
