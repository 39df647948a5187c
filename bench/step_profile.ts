// npm run bench:profile — where a training step's time goes, per dispatch, in Node through Dawn (same WGSL;
// the browser's figures come from `engine.html?mode=profile`, which bench:engine prints with --profile).
// One line per dispatch, then one per kind of dispatch with its share of the step ("share"), then the step:
// `-- resnet char-transformer` profiles those presets (default mlp and cnn).
import { openNodeDevice } from '../client/gpu/node_device.ts';
import { Trainer } from '../client/engine/trainer.ts';
import { profileStep } from '../client/engine/step_profile.ts';
import { loadDataset } from '../server/datasets/catalog.ts';
import { isModelPresetName, MODEL_PRESETS } from '../shared/model_presets.ts';
import { round } from './engine_page.ts';

const CASES = { mlp: { dataset: 'mnist', batch: 64 }, cnn: { dataset: 'mnist', batch: 64 }, resnet: { dataset: 'fashion-mnist', batch: 32 }, 'char-transformer': { dataset: 'fortunes', batch: 16 } } as const;
const models = process.argv.slice(2);
for (const m of models) if (!isModelPresetName(m)) throw new Error(`unknown model ${m}: use ${Object.keys(CASES).join(', ')}`);

const handle = await openNodeDevice();
for (const model of (models.length > 0 ? models : ['mlp', 'cnn']) as (keyof typeof CASES)[]) {
  const { dataset, batch } = CASES[model];
  const { train } = await loadDataset(dataset);
  const trainer = await Trainer.create(handle, { spec: MODEL_PRESETS[model], batch, seed: 1, hyper: { lr: 0.05, momentum: 0.9, lambdaL: 0, lambdaG: 0 }, train });
  const profile = await profileStep(trainer);
  const byKind = new Map<string, number>();
  for (const d of profile.dispatches) {
    console.log(JSON.stringify({ case: model, where: 'node', index: d.index, dispatch: d.label, ms: round(d.ms, 3) }));
    // a matmul's label names its shape; its kind is what comes before
    const kind = d.label.replace(/_(NN|NT|TN|TT)_.*/, '');
    byKind.set(kind, (byKind.get(kind) ?? 0) + d.ms);
  }
  const total = [...byKind.values()].reduce((a, b) => a + b, 0);
  for (const [kind, ms] of [...byKind].sort((a, b) => b[1] - a[1])) console.log(JSON.stringify({ case: model, kind, ms: round(ms, 2), share: round(ms / total, 3) }));
  console.log(JSON.stringify({ case: model, where: 'node', batch, step_ms: round(profile.stepMs, 3), adapter: trainer.adapterName }));
  trainer.destroy();
}
process.exit(0);
