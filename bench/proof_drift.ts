// npm run bench:proof-drift — how far a tab's GPU training lands from the coordinator's CPU replay of the same
// steps (what proofs of work tolerate), next to where a stretch with one step skipped lands. Per case (model,
// stretch length k, pull toward a leader copy: none, periodic or penalty, optimizer: momentum SGD or AdamW) it trains
// `stretches` consecutive stretches through Dawn,
// replays each, and prints one JSON line: the honest stretches' distance (median, max) and outlier share (max),
// the skipped ones' (min), and how many of each the default thresholds (server/config.ts) pass. Runs on the
// adapter Dawn offers (SwiftShader here; a real GPU with the device tool).
import { openNodeDevice } from '../client/gpu/node_device.ts';
import { Trainer } from '../client/engine/trainer.ts';
import { loadDataset } from '../server/datasets/catalog.ts';
import { configSchema } from '../server/config.ts';
import { initialParameters } from '../shared/init.ts';
import { MinibatchOrder } from '../shared/minibatch.ts';
import { type ModelSpec } from '../shared/model.ts';
import { MODEL_PRESETS } from '../shared/model_presets.ts';
import { replaySegment, segmentDiscrepancy, type Discrepancy } from '../shared/reference/training_segment.ts';
import type { Pull } from '../shared/run_config.ts';
import { round } from './engine_page.ts';

const defaults = configSchema.parse({});
const passes = (d: Discrepancy) => d.distance <= defaults.proofCloseDistance || (d.distance <= defaults.proofMaxDistance && d.outliers <= defaults.proofMaxOutliers);
const handle = await openNodeDevice();
const mnist = await loadDataset('mnist');
const batch = 32;
const only = process.argv.includes('--case') ? process.argv[process.argv.indexOf('--case') + 1] : null;
const cases: { model: 'mlp' | 'cnn'; k: number; pulls: Pull | null; stretches: number; adamw?: boolean }[] = [
  { model: 'mlp', k: 10, pulls: null, stretches: 20 },
  { model: 'mlp', k: 10, pulls: 'periodic', stretches: 40 },
  { model: 'mlp', k: 10, pulls: 'penalty', stretches: 20 },
  { model: 'mlp', k: 40, pulls: 'periodic', stretches: 10 },
  { model: 'cnn', k: 10, pulls: 'periodic', stretches: 6 },
  { model: 'mlp', k: 10, pulls: null, stretches: 20, adamw: true },
  { model: 'mlp', k: 10, pulls: 'periodic', stretches: 20, adamw: true },
  { model: 'mlp', k: 10, pulls: 'penalty', stretches: 20, adamw: true },
  { model: 'cnn', k: 10, pulls: 'periodic', stretches: 4, adamw: true },
];
/** AdamW's usual rates, with a learning rate fifty times momentum SGD's smaller (its steps are about lr per weight). */
const ADAMW = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
const ADAMW_LR = 0.001;
const caseName = (c: (typeof cases)[number]) => `${c.model}-${c.k}${c.pulls ? `-${c.pulls}` : ''}${c.adamw ? '-adamw' : ''}`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const c of cases.filter((c) => !only || only === caseName(c))) {
  const spec = MODEL_PRESETS[c.model] as ModelSpec;
  const rates = { lr: c.adamw ? ADAMW_LR : 0.05, momentum: 0.9, lambdaL: 0.1, lambdaG: 0.1 };
  const adamw = c.adamw ? ADAMW : undefined;
  const seed = 7;
  const pull = c.pulls ?? 'periodic';
  const optimizer = adamw ? { kind: 'adamw' as const, ...adamw } : undefined;
  const trainer = await Trainer.create(handle, { spec, batch, seed: 1, shuffleSeed: seed, hyper: rates, optimizer, pull, train: mnist.train });
  const leader = initialParameters(spec, 99);
  if (c.pulls) trainer.setLeader('global', leader);
  const order = new MinibatchOrder(mnist.train.count, batch, seed);
  const pulls = { local: null, global: c.pulls ? leader : null };
  const honest: Discrepancy[] = [];
  const skipped: Discrepancy[] = [];
  const replayMs: number[] = [];
  let start = await trainer.getState();
  for (let s = 0; s < c.stretches; s++) {
    const from = trainer.runStep;
    if (c.pulls === 'periodic') trainer.pullTowardLeaders({ local: false, global: true });
    for (let i = 0; i < c.k; i++) trainer.step();
    const claimed = await trainer.getState();
    const t0 = performance.now();
    const replayed = replaySegment({ spec, rates, adamw, train: mnist.train, order, from, to: from + c.k, start, pulls, pull });
    replayMs.push(performance.now() - t0);
    honest.push(segmentDiscrepancy(claimed, replayed, start, defaults.proofTolerance));
    skipped.push(segmentDiscrepancy(replaySegment({ spec, rates, adamw, train: mnist.train, order, from: from + 1, to: from + c.k, start, pulls, pull }), replayed, start, defaults.proofTolerance));
    start = claimed;
  }
  trainer.destroy();
  console.log(JSON.stringify({
    bench: 'proof-drift', adapter: handle.adapterName, model: c.model, k: c.k, pulls: c.pulls, optimizer: c.adamw ? 'adamw' : 'momentum', stretches: c.stretches,
    honestDistanceMedian: median(honest.map((d) => d.distance)), honestDistanceMax: Math.max(...honest.map((d) => d.distance)),
    honestOutliersMax: Math.max(...honest.map((d) => d.outliers)), honestPassed: honest.filter(passes).length,
    skippedDistanceMin: round(Math.min(...skipped.map((d) => d.distance)), 4), skippedOutliersMin: round(Math.min(...skipped.map((d) => d.outliers)), 4),
    skippedCaught: skipped.filter((d) => !passes(d)).length, replayMsMedian: round(median(replayMs), 0),
  }));
}
process.exit(0);
