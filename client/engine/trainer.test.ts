// The assembled training step on the GPU against the float64 CPU reference: one step's gradient, the loss it
// reads back, evaluation, and leader-copy validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from '../gpu/node_device.ts';
import { relativeError } from '../gpu/test_support.ts';
import { Trainer } from './trainer.ts';
import type { DataSplit } from '../../shared/dataset.ts';
import { initialParameters } from '../../shared/init.ts';
import { parameterLayout } from '../../shared/layout.ts';
import { shapeSize, type ModelSpec } from '../../shared/model.ts';
import { MODEL_PRESETS } from '../../shared/model_presets.ts';
import { seededRandom } from '../../shared/random.ts';
import { leaderPull } from '../../shared/reference/leader_pull.ts';
import { lsgdUpdate } from '../../shared/reference/lsgd_update.ts';
import { evaluate, lossAndGradient } from '../../shared/reference/model.ts';

const handle = await openNodeDevice();

const smallCnn: ModelSpec = {
  name: 'small-cnn',
  input: { height: 9, width: 7, channels: 2 },
  classes: 5,
  layers: [
    { kind: 'conv2d', filters: 6, kernel: 3 },
    { kind: 'relu' },
    { kind: 'maxpool2' },
    { kind: 'conv2d', filters: 5, kernel: 3 },
    { kind: 'relu' },
    { kind: 'flatten' },
    { kind: 'dense', units: 11 },
    { kind: 'relu' },
    { kind: 'dense', units: 5 },
  ],
};

function randomSplit(spec: ModelSpec, count: number, seed: number): DataSplit {
  const r = seededRandom(seed);
  const size = shapeSize(spec.input);
  return {
    count,
    // Like images: many exact zeros, so relu and max-pool ties are exercised, and pixels that are blank in every
    // sample (a border, a stripe), which the first dense layer skips.
    pixels: Uint8Array.from({ length: count * size }, (_, i) => (i % size < size / 10 || i % 5 === 0 || r() < 0.4 ? 0 : Math.floor(r() * 256))),
    labels: Uint8Array.from({ length: count }, () => Math.floor(r() * spec.classes)),
  };
}

for (const spec of [smallCnn, MODEL_PRESETS.mlp as ModelSpec]) {
  test(`${spec.name}: one GPU training step applies the reference gradient and reports the reference loss`, async () => {
    const batch = 24;
    const split = randomSplit(spec, batch, 5);
    const initial = initialParameters(spec, 9);
    // lr 1 and no momentum: the step moves the weights by exactly minus the gradient.
    const trainer = await Trainer.create(handle, { spec, batch, seed: 9, hyper: { lr: 1, momentum: 0, lambdaL: 0, lambdaG: 0 }, train: split, initial });
    trainer.step();
    const stats = await trainer.readStats();
    const after = await trainer.getParams();
    trainer.destroy();
    // The batch is the whole split, so its (shuffled) order does not change the mean gradient.
    const x = Float64Array.from(split.pixels, (p) => p / 255);
    const ref = lossAndGradient(spec, initial, x, split.labels, batch);
    const gpuGrad = initial.map((v, i) => v - after[i]);
    for (const t of parameterLayout(spec).tensors) {
      const err = relativeError(gpuGrad.subarray(t.offset, t.offset + t.length), ref.grad.subarray(t.offset, t.offset + t.length));
      assert.ok(err < 2e-4, `${t.name}: relative gradient error ${err}`);
    }
    assert.equal(stats.samples, batch);
    assert.ok(Math.abs(stats.loss - ref.loss) < 1e-4 * Math.max(1, ref.loss), `loss ${stats.loss} vs reference ${ref.loss}`);
    assert.ok(Math.abs(stats.accuracy - ref.correct / batch) < 1e-6);
  });
}

test('GPU evaluation agrees with the reference on a held-out split', async () => {
  const spec = smallCnn;
  const trainSplit = randomSplit(spec, 32, 1);
  const testSplit = randomSplit(spec, 500, 2);
  const trainer = await Trainer.create(handle, { spec, batch: 16, seed: 4, hyper: { lr: 0.05, momentum: 0.9, lambdaL: 0, lambdaG: 0 }, train: trainSplit });
  for (let i = 0; i < 5; i++) trainer.step();
  const params = await trainer.getParams();
  const gpu = await trainer.evaluate(testSplit);
  trainer.destroy();
  const ref = evaluate(spec, params, testSplit.pixels, testSplit.labels, 500);
  assert.equal(gpu.samples, 500);
  assert.ok(Math.abs(gpu.loss - ref.loss) < 1e-4 * Math.max(1, ref.loss), `loss ${gpu.loss} vs ${ref.loss}`);
  assert.ok(Math.abs(gpu.accuracy - ref.accuracy) <= 1 / 500, `accuracy ${gpu.accuracy} vs ${ref.accuracy}`);
});

test('the penalty pull toward a leader copy moves the weights by the LSGD formula, and a NaN copy is refused', async () => {
  const spec = smallCnn;
  const split = randomSplit(spec, 16, 3);
  const initial = initialParameters(spec, 2);
  const trainer = await Trainer.create(handle, { spec, batch: 16, seed: 2, hyper: { lr: 0.1, momentum: 0, lambdaL: 0, lambdaG: 0.5 }, pull: 'penalty', train: split, initial });
  const leader = initial.map((v) => v + 0.25);
  const poisoned = leader.slice();
  poisoned[3] = NaN;
  assert.throws(() => trainer.setLeader('global', poisoned), /not finite/);
  assert.throws(() => trainer.setLeader('global', leader.subarray(1)), /parameters/);
  trainer.setLeader('global', leader);
  trainer.step();
  const after = await trainer.getParams();
  trainer.destroy();
  const x = Float64Array.from(split.pixels, (p) => p / 255);
  const g = lossAndGradient(spec, initial, x, split.labels, 16).grad;
  // x' = x - lr (g + lambdaG (x - leader)) = x - 0.1 g + 0.1 * 0.5 * 0.25 on every real parameter.
  const expected = initial.map((v, i) => v - 0.1 * (g[i] + 0.5 * (v - leader[i])));
  assert.ok(relativeError(after, expected) < 1e-5, `relative error ${relativeError(after, expected)}`);
});

test('the periodic pull: steps ignore the leader copies; pullTowardLeaders interpolates toward those held, outside momentum', async () => {
  const spec = smallCnn;
  const split = randomSplit(spec, 16, 4);
  const initial = initialParameters(spec, 3);
  const rates = { lr: 0.1, momentum: 0.9, lambdaL: 0.3, lambdaG: 0.5 };
  const trainer = await Trainer.create(handle, { spec, batch: 16, seed: 3, hyper: rates, train: split, initial });
  const local = initial.map((v) => v + 0.25);
  const global = initial.map((v) => v - 0.5);
  assert.deepEqual(trainer.pullTowardLeaders({ local: true, global: true }), { useLocal: false, useGlobal: false }, 'no copy held, no pull');
  trainer.setLeader('local', local);
  trainer.setLeader('global', global);
  trainer.step();
  const x = Float64Array.from(split.pixels, (p) => p / 255);
  const h = { ...rates, useLocal: false, useGlobal: false };
  const stepped = lsgdUpdate(initial, lossAndGradient(spec, initial, x, split.labels, 16).grad, new Float64Array(initial.length), null, null, h);
  const afterStep = await trainer.getState();
  assert.ok(relativeError(afterStep.params, stepped.params) < 1e-5, 'a step is plain momentum SGD');

  assert.deepEqual(trainer.pullTowardLeaders({ local: false, global: true }), { useLocal: false, useGlobal: true });
  const pulled = leaderPull(stepped.params, null, global, rates);
  const afterPull = await trainer.getState();
  assert.ok(relativeError(afterPull.params, pulled) < 1e-5, `relative error ${relativeError(afterPull.params, pulled)}`);
  assert.deepEqual(afterPull.velocity, afterStep.velocity, 'momentum is left alone');

  assert.deepEqual(trainer.pullTowardLeaders({ local: true, global: true }), { useLocal: true, useGlobal: true });
  const both = leaderPull(pulled, local, global, rates);
  assert.ok(relativeError(await trainer.getParams(), both) < 1e-5);
  trainer.setLeader('local', null);
  assert.deepEqual(trainer.pullTowardLeaders({ local: true, global: false }), { useLocal: false, useGlobal: false }, 'a dropped copy is not pulled toward');
  trainer.destroy();
});
