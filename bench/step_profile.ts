// npm run bench:profile — where a training step's time goes, per dispatch, in Node through Dawn (same WGSL;
// the browser's figures come from `engine.html?mode=profile`, which bench:engine prints with --profile).
import { openNodeDevice } from '../client/gpu/node_device.ts';
import { Trainer } from '../client/engine/trainer.ts';
import { profileStep } from '../client/engine/step_profile.ts';
import { loadDataset } from '../server/datasets/catalog.ts';
import { MODEL_PRESETS } from '../shared/model_presets.ts';
import { round } from './engine_page.ts';

const handle = await openNodeDevice();
const mnist = await loadDataset('mnist');
for (const model of ['mlp', 'cnn'] as const) {
  const trainer = await Trainer.create(handle, { spec: MODEL_PRESETS[model], batch: 64, seed: 1, hyper: { lr: 0.05, momentum: 0.9, lambdaL: 0, lambdaG: 0 }, train: mnist.train });
  const profile = await profileStep(trainer);
  for (const d of profile.dispatches) console.log(JSON.stringify({ case: model, where: 'node', index: d.index, dispatch: d.label, ms: round(d.ms, 3) }));
  console.log(JSON.stringify({ case: model, where: 'node', step_ms: round(profile.stepMs, 3), adapter: trainer.adapterName }));
  trainer.destroy();
}
process.exit(0);
