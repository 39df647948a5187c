// The training loop of a tab, in a dedicated Web Worker so that a background tab keeps training and the
// page stays responsive. It owns the WebGPU device and the trainer.
/// <reference lib="webworker" />
import type { BenchJob, FromWorker, ToWorker, TrainJob } from './protocol.ts';
import { openDevice } from '../gpu/device.ts';
import { Trainer, type WindowStats } from '../engine/trainer.ts';
import { decodeDataset, type Dataset } from '../../shared/dataset.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromWorker) => scope.postMessage(m);

const control = { paused: false, stopped: false, intensity: 1, resume: () => {} };

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'train':
      run(() => train(m.job));
      break;
    case 'bench':
      run(() => bench(m.job));
      break;
    case 'pause':
      control.paused = true;
      post({ type: 'status', status: 'paused' });
      break;
    case 'resume':
      control.paused = false;
      control.resume();
      break;
    case 'stop':
      control.stopped = true;
      control.resume();
      break;
    case 'intensity':
      control.intensity = Math.min(1, Math.max(0.05, m.value));
      break;
  }
};

function run(job: () => Promise<void>): void {
  job().catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
}

async function fetchDataset(url: string): Promise<Dataset> {
  post({ type: 'status', status: 'downloading' });
  const response = await fetch(url);
  if (!response.ok) throw new Error(`downloading the dataset from ${url} failed: HTTP ${response.status}`);
  return decodeDataset(new Uint8Array(await response.arrayBuffer()));
}

async function prepare(job: TrainJob | BenchJob): Promise<{ trainer: Trainer; dataset: Dataset }> {
  const dataset = await fetchDataset(job.datasetUrl);
  post({ type: 'status', status: 'preparing' });
  const handle = await openDevice(scope.navigator.gpu);
  const trainer = await Trainer.create(handle, { spec: job.spec, batch: job.batch, seed: job.seed, hyper: job.hyper, train: dataset.train });
  post({ type: 'status', status: 'training', adapter: trainer.adapterName });
  return { trainer, dataset };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function train(job: TrainJob): Promise<void> {
  const { trainer, dataset } = await prepare(job);
  let pending: Promise<WindowStats> | null = null;
  let windowStart = performance.now();
  let nextEvaluation = job.evaluateEveryEpochs ?? Infinity;
  const report = (s: WindowStats) => {
    const now = performance.now();
    post({ type: 'progress', steps: trainer.steps, epochs: trainer.epochs, samples: trainer.steps * job.batch, loss: s.loss, accuracy: s.accuracy, samplesPerSec: (s.samples * 1000) / (now - windowStart) });
    windowStart = now;
  };
  const evaluate = async () => {
    const e = await trainer.evaluate(dataset.test);
    post({ type: 'evaluation', steps: trainer.steps, epochs: trainer.epochs, loss: e.loss, accuracy: e.accuracy });
  };
  while (!control.stopped && (job.epochs === undefined || trainer.epochs < job.epochs)) {
    if (control.paused) {
      await new Promise<void>((r) => (control.resume = r));
      post({ type: 'status', status: 'training' });
      windowStart = performance.now();
      continue;
    }
    const t0 = performance.now();
    trainer.step();
    if (trainer.steps % job.readbackEvery === 0) {
      // Keep one window in flight: the GPU works on this window while we wait for the previous one.
      const next = trainer.readStats();
      if (pending) report(await pending);
      pending = next;
    }
    if (trainer.epochs >= nextEvaluation) {
      nextEvaluation += job.evaluateEveryEpochs ?? Infinity;
      await evaluate();
    }
    if (control.intensity < 1) await sleep((performance.now() - t0) * (1 / control.intensity - 1));
  }
  if (pending) report(await pending);
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
