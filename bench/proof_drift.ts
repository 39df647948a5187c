// npm run bench:proof-drift — how far a tab's GPU training drifts from the coordinator's CPU replay of the same
// steps (the tolerance of proofs of work), next to how far a dishonest segment lands. One JSON line per case:
// model, steps k, pulls, the honest discrepancy (parameters relative to the segment's displacement; momentum
// relative to its size) and the discrepancy of the same segment with one step skipped. Runs on the adapter
// Dawn offers (SwiftShader here; a real GPU with the device tool).
import { openNodeDevice } from '../client/gpu/node_device.ts';
import { Trainer } from '../client/engine/trainer.ts';
import { loadDataset } from '../server/datasets/catalog.ts';
import { initialParameters } from '../shared/init.ts';
import { MinibatchOrder } from '../shared/minibatch.ts';
import { MODEL_PRESETS, type ModelSpec } from '../shared/model.ts';
import { replaySegment, segmentDiscrepancy } from '../shared/reference/training_segment.ts';
import { round } from './engine_page.ts';

const handle = await openNodeDevice();
const mnist = await loadDataset('mnist');
const batch = 32;
const cases: { model: 'mlp' | 'cnn'; k: number; pulls: boolean; warm: number }[] = [
  { model: 'mlp', k: 10, pulls: false, warm: 0 },
  { model: 'mlp', k: 10, pulls: true, warm: 200 },
  { model: 'mlp', k: 50, pulls: true, warm: 200 },
  { model: 'cnn', k: 10, pulls: true, warm: 50 },
];
for (const c of cases) {
  const spec = MODEL_PRESETS[c.model] as ModelSpec;
  const rates = { lr: 0.05, momentum: 0.9, lambdaL: 0.1, lambdaG: 0.1 };
  const seed = 7;
  const trainer = await Trainer.create(handle, { spec, batch, seed: 1, shuffleSeed: seed, hyper: rates, train: mnist.train });
  for (let i = 0; i < c.warm; i++) trainer.step();
  const leader = initialParameters(spec, 99);
  if (c.pulls) trainer.setLeader('global', leader);
  const from = trainer.runStep;
  const start = await trainer.getState();
  for (let i = 0; i < c.k; i++) trainer.step();
  const claimed = await trainer.getState();
  trainer.destroy();
  const order = new MinibatchOrder(mnist.train.count, batch, seed);
  const pulls = { local: null, global: c.pulls ? leader : null };
  const t0 = performance.now();
  const replayed = replaySegment({ spec, rates, train: mnist.train, order, from, to: from + c.k, start, pulls });
  const replayMs = performance.now() - t0;
  const skipped = replaySegment({ spec, rates, train: mnist.train, order, from: from + 1, to: from + c.k, start, pulls });
  const honest = segmentDiscrepancy(claimed, replayed, start);
  const cheat = segmentDiscrepancy(skipped, replayed, start);
  console.log(JSON.stringify({
    bench: 'proof-drift', adapter: handle.adapterName, model: c.model, k: c.k, pulls: c.pulls, afterSteps: c.warm,
    honestParams: honest.params, honestVelocity: honest.velocity, skippedStepParams: round(cheat.params, 4), skippedStepVelocity: round(cheat.velocity, 4), replayMs: round(replayMs, 0),
  }));
}
process.exit(0);
