// The engine page: reads a job from the address, runs it in the training worker, shows what happens.
import type { BenchJob, FromWorker, ToWorker, TrainJob } from './worker/protocol.ts';
import { WEBGPU_MISSING } from './gpu/device.ts';
import { isModelPresetName, MODEL_PRESETS } from '../shared/model_presets.ts';

const params = new URLSearchParams(location.search);
const $ = (id: string) => document.getElementById(id)!;
const log = (line: string) => ($('log').textContent += `${line}\n`);

function numberParam(name: string, fallback: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new Error(`?${name}=${raw} is not a number`);
  return v;
}

function showError(message: string): void {
  $('error').textContent = message;
  $('error').hidden = false;
  $('status').textContent = 'error';
  document.body.dataset.state = 'error';
}

function jobFromAddress(): TrainJob {
  const model = params.get('model') ?? 'mlp';
  if (!isModelPresetName(model)) throw new Error(`unknown model "${model}": use ${Object.keys(MODEL_PRESETS).join(' or ')}`);
  const epochs = params.get('epochs');
  return {
    spec: MODEL_PRESETS[model],
    datasetManifestUrl: `/api/datasets/${encodeURIComponent(params.get('dataset') ?? 'mnist')}`,
    batch: numberParam('batch', 64),
    seed: numberParam('seed', 1),
    hyper: { lr: numberParam('lr', 0.05), momentum: numberParam('momentum', 0.9), lambdaL: 0, lambdaG: 0 },
    readbackEvery: numberParam('readback', 10),
    epochs: epochs === null ? undefined : numberParam('epochs', 1),
    evaluateEveryEpochs: numberParam('evalEvery', 1),
    cosineDecay: params.get('decay') === 'cosine',
  };
}

function start(): void {
  if (!('gpu' in navigator) || !navigator.gpu) {
    showError(WEBGPU_MISSING);
    return;
  }
  const job = jobFromAddress();
  const worker = new Worker(new URL('./worker/training_worker.ts', import.meta.url), { type: 'module' });
  const send = (m: ToWorker) => worker.postMessage(m);
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const m = event.data;
    switch (m.type) {
      case 'status':
        $('status').textContent = m.status;
        document.body.dataset.state = m.status;
        if (m.adapter) $('adapter').textContent = m.adapter;
        break;
      case 'progress':
        $('steps').textContent = String(m.steps);
        $('loss').textContent = m.loss.toFixed(4);
        $('speed').textContent = Math.round(m.samplesPerSec).toLocaleString();
        log(JSON.stringify(m));
        break;
      case 'evaluation':
        $('accuracy').textContent = `${(m.accuracy * 100).toFixed(2)}% after ${m.epochs.toFixed(2)} epochs`;
        log(JSON.stringify(m));
        break;
      case 'bench':
        log(JSON.stringify(m.result));
        break;
      case 'profile':
        log(JSON.stringify(m));
        break;
      case 'error':
        showError(m.message);
        break;
    }
  };
  worker.onerror = (e) => showError(`the training worker failed: ${e.message}`);
  const mode = params.get('mode');
  if (mode === 'bench' || mode === 'profile') {
    const bench: BenchJob = { ...job, warmupSteps: numberParam('warmup', 20), windows: numberParam('windows', 7), windowSteps: numberParam('windowSteps', 20) };
    send({ type: mode, job: bench });
  } else {
    send({ type: 'train', job });
  }
}

try {
  start();
} catch (e) {
  showError(e instanceof Error ? e.message : String(e));
}
