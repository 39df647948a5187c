// The step split in two halves for sync-sgd (computeGradient, applyGradient) against the float64 references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from '../gpu/node_device.ts';
import { relativeError } from '../gpu/test_support.ts';
import { Trainer } from './trainer.ts';
import { initialParameters } from '../../shared/init.ts';
import type { ModelSpec } from '../../shared/model.ts';
import { seededRandom } from '../../shared/random.ts';
import { lsgdUpdate } from '../../shared/reference/lsgd_update.ts';
import { lossAndGradient } from '../../shared/reference/model.ts';

const handle = await openNodeDevice();
const spec: ModelSpec = { name: 'split', input: { height: 5, width: 3, channels: 1 }, classes: 4, layers: [{ kind: 'flatten' }, { kind: 'dense', units: 7 }, { kind: 'relu' }, { kind: 'dense', units: 4 }] };

test('computeGradient returns the reference gradient and leaves the weights; applyGradient takes the momentum step with pulls off', async () => {
  const r = seededRandom(11);
  const batch = 12;
  const split = { count: batch, pixels: Uint8Array.from({ length: batch * 15 }, () => Math.floor(r() * 256)), labels: Uint8Array.from({ length: batch }, () => Math.floor(r() * 4)) };
  const initial = initialParameters(spec, 5);
  const hyper = { lr: 0.2, momentum: 0.7, lambdaL: 0, lambdaG: 3 };
  const trainer = await Trainer.create(handle, { spec, batch, seed: 5, hyper, train: split, initial });
  // a leader pull that applyGradient must ignore: every worker applies exactly the shared gradient
  trainer.setLeader('global', initial.map((v) => v + 1));

  const grad = await trainer.computeGradient(0);
  const stats = await trainer.readStats();
  const ref = lossAndGradient(spec, initial, Float64Array.from(split.pixels, (p) => p / 255), split.labels, batch);
  assert.ok(relativeError(grad, ref.grad) < 2e-4, `gradient relative error ${relativeError(grad, ref.grad)}`);
  assert.equal(stats.samples, batch);
  assert.ok(relativeError(await trainer.getParams(), initial) === 0, 'computing a gradient must not move the weights');
  assert.equal(trainer.steps, 1);

  const shared = Float32Array.from(grad, (g, i) => g + 0.01 * (i % 5));
  trainer.applyGradient(shared);
  trainer.applyGradient(shared);
  const after = await trainer.getParams();
  trainer.destroy();
  const h = { lr: hyper.lr, momentum: hyper.momentum, lambdaL: 0, lambdaG: 0, useLocal: false, useGlobal: false };
  const one = lsgdUpdate(initial, shared, new Float64Array(initial.length), null, null, h);
  const two = lsgdUpdate(one.params, shared, one.velocity, null, null, h);
  assert.ok(relativeError(after, two.params) < 1e-5, `relative error ${relativeError(after, two.params)}`);
  assert.throws(() => trainer.applyGradient(shared.subarray(1)), /parameters/);
});
