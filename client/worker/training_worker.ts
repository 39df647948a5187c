// The training loop of a tab, in a dedicated Web Worker so that a background tab keeps training and the
// page stays responsive. It owns the WebGPU device and the trainer.
/// <reference lib="webworker" />
import type { BenchJob, FromWorker, ToWorker, TrainJob } from './protocol.ts';
import { openDevice } from '../gpu/device.ts';
import { Trainer } from '../engine/trainer.ts';
import { LoopControl, runTrainingLoop } from './training_loop.ts';
import { scheduledLr, timedLr } from './lr_schedule.ts';
import { profileStep } from '../engine/step_profile.ts';
import type { Dataset } from '../../shared/dataset.ts';
import { datasetManifestSchema } from '../../shared/protocol.ts';
import { loadDataset } from './dataset_cache.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromWorker) => scope.postMessage(m);

const control = new LoopControl();

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'train':
      run(() => train(m.job));
      break;
    case 'bench':
      run(() => bench(m.job));
      break;
    case 'profile':
      run(() => profile(m.job));
      break;
    case 'pause':
      control.pause();
      break;
    case 'resume':
      control.resume();
      break;
    case 'stop':
      control.stop();
      break;
    case 'intensity':
      control.setIntensity(m.value);
      break;
  }
};

function run(job: () => Promise<void>): void {
  job().catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
}

async function fetchDataset(manifestUrl: string): Promise<Dataset> {
  post({ type: 'status', status: 'downloading' });
  const response = await fetch(manifestUrl);
  if (!response.ok) throw new Error(`the dataset manifest ${manifestUrl} could not be read: HTTP ${response.status} ${await response.text()}`);
  return loadDataset(datasetManifestSchema.parse(await response.json()));
}

async function prepare(job: TrainJob | BenchJob): Promise<{ trainer: Trainer; dataset: Dataset }> {
  const dataset = await fetchDataset(job.datasetManifestUrl);
  post({ type: 'status', status: 'preparing' });
  const handle = await openDevice(scope.navigator.gpu);
  const trainer = await Trainer.create(handle, { spec: job.spec, batch: job.batch, seed: job.seed, hyper: job.hyper, optimizer: job.optimizer, train: dataset.train });
  post({ type: 'status', status: 'training', adapter: trainer.adapterName });
  return { trainer, dataset };
}

async function train(job: TrainJob): Promise<void> {
  const { trainer, dataset } = await prepare(job);
  const length = job.steps ?? (job.epochs === undefined ? undefined : Math.ceil(job.epochs * trainer.stepsPerEpoch));
  const schedule = { lr: job.hyper.lr, warmup: job.lrWarmupSteps ?? 0, decayEnd: job.cosineDecay ? length : undefined };
  const started = performance.now();
  const budgetMs = job.minutes === undefined ? undefined : job.minutes * 60_000;
  const lrAt = (step: number) =>
    budgetMs !== undefined && job.cosineDecay ? timedLr(schedule, step, (performance.now() - started) / budgetMs) : scheduledLr(schedule, step);
  trainer.setHyper({ lr: lrAt(0) });
  let nextEvaluation = job.evaluateEveryEpochs ?? Infinity;
  const evaluate = async () => {
    const e = await trainer.evaluate(dataset.test);
    post({ type: 'evaluation', steps: trainer.steps, epochs: trainer.epochs, loss: e.loss, accuracy: e.accuracy });
  };
  await runTrainingLoop(trainer, control, job.readbackEvery, {
    more: () => (length === undefined || trainer.steps < length) && (budgetMs === undefined || performance.now() - started < budgetMs),
    onWindow: (w) => post({ type: 'progress', steps: w.steps, epochs: trainer.epochs, samples: w.steps * job.batch, loss: w.loss, accuracy: w.accuracy, samplesPerSec: w.samplesPerSec }),
    afterStep: async () => {
      trainer.setHyper({ lr: lrAt(trainer.steps) });
      if (trainer.epochs < nextEvaluation) return;
      nextEvaluation += job.evaluateEveryEpochs ?? Infinity;
      await evaluate();
    },
    onPause: () => post({ type: 'status', status: 'paused' }),
    onResume: () => post({ type: 'status', status: 'training' }),
  });
  await evaluate();
  post({ type: 'status', status: 'done' });
  trainer.destroy();
}

async function bench(job: BenchJob): Promise<void> {
  const { trainer } = await prepare(job);
  const losses: number[] = [];
  const stepWithReadback = () => {
    trainer.step();
    if (trainer.steps % job.readbackEvery === 0) void trainer.readStats().then((s) => losses.push(s.loss));
  };
  for (let i = 0; i < job.warmupSteps; i++) stepWithReadback();
  await trainer.flush();
  const windowMs: number[] = [];
  for (let w = 0; w < job.windows; w++) {
    const t0 = performance.now();
    for (let i = 0; i < job.windowSteps; i++) stepWithReadback();
    await trainer.flush();
    windowMs.push(performance.now() - t0);
  }
  await trainer.readStats();
  post({
    type: 'bench',
    result: { adapter: trainer.adapterName, batch: job.batch, windowMs, windowSteps: job.windowSteps, lossFirst: losses[0], lossLast: losses[losses.length - 1] },
  });
  post({ type: 'status', status: 'done' });
  trainer.destroy();
}

async function profile(job: BenchJob): Promise<void> {
  const { trainer } = await prepare(job);
  const p = await profileStep(trainer);
  post({ type: 'profile', adapter: trainer.adapterName, stepMs: p.stepMs, dispatches: p.dispatches });
  post({ type: 'status', status: 'done' });
  trainer.destroy();
}
