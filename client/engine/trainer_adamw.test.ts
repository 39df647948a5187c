// The trainer with AdamW against the float64 references: stretches of steps with leader pulls (periodic and
// penalty) land on the coordinator's CPU replay (proofs of work), counted from the step its moments started at; the
// split step of sync-sgd counts AdamW's steps by the run step of the gradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from '../gpu/node_device.ts';
import { relativeError } from '../gpu/test_support.ts';
import { Trainer } from './trainer.ts';
import { initialParameters } from '../../shared/init.ts';
import { MinibatchOrder } from '../../shared/minibatch.ts';
import type { ModelSpec } from '../../shared/model.ts';
import { seededRandom } from '../../shared/random.ts';
import { adamwUpdate } from '../../shared/reference/adamw_update.ts';
import { replaySegment, segmentDiscrepancy, segmentGradient } from '../../shared/reference/training_segment.ts';
import { PULLS } from '../../shared/run_config.ts';

const handle = await openNodeDevice();
const spec: ModelSpec = {
  name: 'adamw', input: { height: 8, width: 8, channels: 1 }, classes: 5,
  layers: [{ kind: 'conv2d', filters: 4, kernel: 3 }, { kind: 'relu' }, { kind: 'maxpool2' }, { kind: 'flatten' }, { kind: 'dense', units: 24 }, { kind: 'relu' }, { kind: 'dense', units: 5 }],
};
const ADAMW = { kind: 'adamw' as const, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.05 };
/** The coordinator's defaults (server/config.ts). */
const TOLERANCE = 1e-3;
const CLOSE_DISTANCE = 0.01;
const MAX_DISTANCE = 0.05;
const MAX_OUTLIERS = 0.05;

function randomSplit(count: number, seed: number) {
  const r = seededRandom(seed);
  return { count, pixels: Uint8Array.from({ length: count * 64 }, () => Math.floor(r() * 256)), labels: Uint8Array.from({ length: count }, () => Math.floor(r() * 5)) };
}

for (const pull of PULLS) test(`AdamW: GPU steps with leader pulls (${pull}) match the CPU replay from the step its moments started; a skipped step, other minibatches or another step count do not`, async () => {
  const count = 200;
  const train = randomSplit(count, 3);
  const rates = { lr: 0.01, momentum: 0.9, lambdaL: 0.1, lambdaG: 0.2 };
  const batch = 16;
  const shuffleSeed = 77;
  const trainer = await Trainer.create(handle, { spec, batch, seed: 1, shuffleSeed, firstStep: 40, hyper: rates, optimizer: ADAMW, pull, train });
  for (let i = 0; i < 7; i++) trainer.step();
  const local = initialParameters(spec, 5);
  const global = initialParameters(spec, 6);
  trainer.setLeader('local', local);
  trainer.setLeader('global', global);
  const from = trainer.runStep;
  const start = await trainer.getState();
  assert.equal(start.momentsFrom, 40);
  assert.ok(start.secondMoment && start.secondMoment.some((v) => v > 0), 'the second moment is read back');
  if (pull === 'periodic') trainer.pullTowardLeaders({ local: true, global: true });
  for (let i = 0; i < 12; i++) trainer.step();
  const claimed = await trainer.getState();
  trainer.destroy();

  const order = new MinibatchOrder(count, batch, shuffleSeed);
  const { kind: _, ...adamw } = ADAMW;
  const segment = { spec, rates, adamw, train, order, from, to: from + 12, start, pulls: { local, global }, pull };
  const replayed = replaySegment(segment);
  const honest = segmentDiscrepancy(claimed, replayed, start, TOLERANCE);
  assert.ok(honest.distance < CLOSE_DISTANCE / 100 && honest.outliers <= MAX_OUTLIERS / 2, `honest drift ${JSON.stringify(honest)}`);

  const caught = (what: string, claim: typeof claimed) => {
    const d = segmentDiscrepancy(claim, replayed, start, TOLERANCE);
    assert.ok(d.distance > 2 * CLOSE_DISTANCE && (d.distance > MAX_DISTANCE || d.outliers > 5 * MAX_OUTLIERS), `${what}: ${JSON.stringify(d)}`);
  };
  caught('one step skipped of 12', replaySegment({ ...segment, from: from + 1 }));
  caught('other minibatches', replaySegment({ ...segment, order: new MinibatchOrder(count, batch, shuffleSeed + 1) }));
  caught('moments counted from the run\'s start', replaySegment({ ...segment, start: { ...start, momentsFrom: 0 } }));
  caught('no pull toward the local leader', replaySegment({ ...segment, pulls: { local: null, global } }));
  caught('momentum SGD in place of AdamW', { ...replaySegment({ ...segment, adamw: undefined, start: { params: start.params, velocity: start.velocity } }), secondMoment: start.secondMoment, momentsFrom: 40 });
});

test('AdamW split step: applyGradient takes the step of the last computeGradient\'s run step (a step computed twice counts once), pulls off', async () => {
  const batch = 12;
  const train = randomSplit(batch, 11);
  const initial = initialParameters(spec, 5);
  const hyper = { lr: 0.02, momentum: 0.7, lambdaL: 0, lambdaG: 3 };
  const trainer = await Trainer.create(handle, { spec, batch, seed: 5, firstStep: 10, hyper, optimizer: ADAMW, train, initial });
  trainer.setLeader('global', initial.map((v) => v + 1));
  const order = new MinibatchOrder(batch, batch, 5);
  const h = { ...hyper, ...ADAMW, lambdaG: 0, useLocal: false, useGlobal: false };
  let ref: ReturnType<typeof adamwUpdate> = { params: Float64Array.from(initial), m: new Float64Array(initial.length), v: new Float64Array(initial.length) };
  // step 11 is computed twice, as a refused sync-sgd step is, and applied once
  for (const [step, applied] of [[10, true], [11, false], [11, true], [12, true]] as const) {
    const grad = await trainer.computeGradient(step);
    const expected = segmentGradient(spec, train, order, step, Float32Array.from(ref.params));
    assert.ok(relativeError(grad, expected) < 2e-4, `gradient of step ${step}: relative error ${relativeError(grad, expected)}`);
    if (!applied) continue;
    trainer.applyGradient(grad);
    ref = adamwUpdate(ref.params, grad, ref.m, ref.v, null, null, h, step - 10 + 1);
  }
  const state = await trainer.getState();
  trainer.destroy();
  assert.ok(relativeError(state.params, ref.params) < 1e-5, `params relative error ${relativeError(state.params, ref.params)}`);
  assert.ok(relativeError(state.secondMoment!, ref.v) < 1e-4, `v relative error ${relativeError(state.secondMoment!, ref.v)}`);
});
