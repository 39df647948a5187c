// The GPU trainer against the coordinator's CPU replay of the same steps (proofs of work): an honest segment
// lands within the tolerance; a segment with a step skipped, other minibatches, another start or other pulls does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from '../gpu/node_device.ts';
import { Trainer } from './trainer.ts';
import { initialParameters } from '../../shared/init.ts';
import { MinibatchOrder } from '../../shared/minibatch.ts';
import type { ModelSpec } from '../../shared/model.ts';
import { seededRandom } from '../../shared/random.ts';
import { replaySegment, segmentDiscrepancy } from '../../shared/reference/training_segment.ts';
import { PULLS } from '../../shared/run_config.ts';

const handle = await openNodeDevice();
const spec: ModelSpec = {
  name: 'segment', input: { height: 8, width: 8, channels: 1 }, classes: 5,
  layers: [{ kind: 'conv2d', filters: 4, kernel: 3 }, { kind: 'relu' }, { kind: 'maxpool2' }, { kind: 'flatten' }, { kind: 'dense', units: 24 }, { kind: 'relu' }, { kind: 'dense', units: 5 }],
};
/** The coordinator's defaults (server/config.ts). */
const TOLERANCE = 1e-3;
const CLOSE_DISTANCE = 0.01;
const MAX_DISTANCE = 0.05;
const MAX_OUTLIERS = 0.05;

for (const pull of PULLS) test(`k GPU steps with momentum and leader pulls (${pull}) match the CPU replay; a skipped step or a foreign start does not`, async () => {
  const r = seededRandom(3);
  const count = 200;
  const train = { count, pixels: Uint8Array.from({ length: count * 64 }, () => Math.floor(r() * 256)), labels: Uint8Array.from({ length: count }, () => Math.floor(r() * 5)) };
  const rates = { lr: 0.05, momentum: 0.9, lambdaL: 0.1, lambdaG: 0.2 };
  const batch = 16;
  const shuffleSeed = 77;
  const trainer = await Trainer.create(handle, { spec, batch, seed: 1, shuffleSeed, firstStep: 40, hyper: rates, pull, train });
  for (let i = 0; i < 7; i++) trainer.step();
  const local = initialParameters(spec, 5);
  const global = initialParameters(spec, 6);
  trainer.setLeader('local', local);
  trainer.setLeader('global', global);
  const from = trainer.runStep;
  assert.equal(from, 47);
  const start = await trainer.getState();
  // a communication step: the periodic pull acts once, after the state it starts from was committed
  if (pull === 'periodic') assert.deepEqual(trainer.pullTowardLeaders({ local: true, global: true }), { useLocal: true, useGlobal: true });
  for (let i = 0; i < 12; i++) trainer.step();
  const claimed = await trainer.getState();
  trainer.destroy();

  const order = new MinibatchOrder(count, batch, shuffleSeed);
  const segment = { spec, rates, train, order, from, to: from + 12, start, pulls: { local, global }, pull };
  const replayed = replaySegment(segment);
  const honest = segmentDiscrepancy(claimed, replayed, start, TOLERANCE);
  assert.ok(honest.distance < CLOSE_DISTANCE / 1000 && honest.outliers <= MAX_OUTLIERS / 2, `honest drift ${JSON.stringify(honest)}`);

  const caught = (what: string, claim: typeof claimed) => {
    const d = segmentDiscrepancy(claim, replayed, start, TOLERANCE);
    assert.ok(d.distance > 2 * CLOSE_DISTANCE && (d.distance > MAX_DISTANCE || d.outliers > 5 * MAX_OUTLIERS), `${what}: ${JSON.stringify(d)}`);
  };
  caught('one step skipped of 12', replaySegment({ ...segment, from: from + 1 }));
  caught('other minibatches', replaySegment({ ...segment, order: new MinibatchOrder(count, batch, shuffleSeed + 1) }));
  caught('started from a leader copy', replaySegment({ ...segment, start: { params: Float32Array.from(global), velocity: start.velocity } }));
  caught('no pull toward the local leader', replaySegment({ ...segment, pulls: { local: null, global } }));
  caught(`the other pull (${pull} claimed)`, replaySegment({ ...segment, pull: pull === 'periodic' ? 'penalty' : 'periodic' }));
});
