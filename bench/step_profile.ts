// npm run bench:profile — where a training step's time goes: each dispatch of the mlp and cnn steps timed
// alone in Node through Dawn (same WGSL, same adapter family as the browser). One JSON line per dispatch.
import { openNodeDevice } from '../client/gpu/node_device.ts';
import { encodeDispatches, type Dispatch } from '../client/gpu/dispatch.ts';
import { Trainer } from '../client/engine/trainer.ts';
import { loadDataset } from '../server/datasets/catalog.ts';
import { MODEL_PRESETS } from '../shared/model.ts';
import { median, round } from './engine_page.ts';

const REPS = 9;

async function timeDispatches(device: GPUDevice, dispatches: Dispatch[], times: number): Promise<number> {
  const samples: number[] = [];
  for (let rep = 0; rep < REPS + 1; rep++) {
    const t0 = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let i = 0; i < times; i++) encodeDispatches(pass, dispatches);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    if (rep > 0) samples.push((performance.now() - t0) / times);
  }
  return median(samples);
}

const handle = await openNodeDevice();
const mnist = await loadDataset('mnist');
for (const model of ['mlp', 'cnn'] as const) {
  const trainer = await Trainer.create(handle, { spec: MODEL_PRESETS[model], batch: 64, seed: 1, hyper: { lr: 0.05, momentum: 0.9, lambdaL: 0, lambdaG: 0 }, train: mnist.train });
  trainer.step();
  await trainer.flush();
  const whole = await timeDispatches(handle.device, trainer.stepDispatches, 5);
  let sum = 0;
  for (const [i, d] of trainer.stepDispatches.entries()) {
    const ms = await timeDispatches(handle.device, [d], 5);
    sum += ms;
    console.log(JSON.stringify({ case: model, index: i, dispatch: d.label, workgroups: d.workgroups, ms: round(ms, 3) }));
  }
  console.log(JSON.stringify({ case: model, step_ms: round(whole, 3), sum_of_dispatches_ms: round(sum, 3), adapter: trainer.adapterName }));
  trainer.destroy();
}
process.exit(0);
