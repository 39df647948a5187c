// The engine page: reads a job from the address, runs it in the training worker, shows what happens.
import type { BenchJob, FromWorker, ToWorker, TrainJob } from './worker/protocol.ts';
import type { AdamwOptions } from './engine/trainer.ts';
import { WEBGPU_MISSING } from './gpu/device.ts';
import { isModelPresetName, MODEL_PRESETS } from '../shared/model_presets.ts';
import { adamwRates, describeIssues, hyperSchema, OPTIMIZERS, type Hyper, type Optimizer } from '../shared/run_config.ts';

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

/** ?optimizer=adamw with beta1, beta2, eps and wd (weight decay), the run config's defaults for those left out. */
function optimizerFromAddress(): AdamwOptions | undefined {
  const kind = params.get('optimizer') ?? 'momentum';
  if (!OPTIMIZERS.includes(kind as Optimizer)) throw new Error(`unknown optimizer "${kind}": use ${OPTIMIZERS.join(' or ')}`);
  if (kind === 'momentum') return undefined;
  const given = (name: string) => (params.get(name) === null ? undefined : numberParam(name, 0));
  const rates = hyperSchema.pick({ beta1: true, beta2: true, eps: true, weightDecay: true })
    .safeParse({ beta1: given('beta1'), beta2: given('beta2'), eps: given('eps'), weightDecay: given('wd') });
  if (!rates.success) throw new Error(`optimizer=adamw: ${describeIssues(rates.error).map((i) => `${i.field === 'weightDecay' ? 'wd' : i.field}: ${i.reason}`).join('; ')}`);
  // adamwRates reads only the four rates validated here
  return { kind: 'adamw', ...adamwRates(rates.data as Hyper) };
}

function jobFromAddress(): TrainJob {
  const model = params.get('model') ?? 'mlp';
  if (!isModelPresetName(model)) throw new Error(`unknown model "${model}": use ${Object.keys(MODEL_PRESETS).join(' or ')}`);
  const epochs = params.get('epochs');
  const steps = params.get('steps');
  return {
    spec: MODEL_PRESETS[model],
    datasetManifestUrl: `/api/datasets/${encodeURIComponent(params.get('dataset') ?? 'mnist')}`,
    batch: numberParam('batch', 64),
    seed: numberParam('seed', 1),
    hyper: { lr: numberParam('lr', 0.05), momentum: numberParam('momentum', 0.9), lambdaL: 0, lambdaG: 0 },
    optimizer: optimizerFromAddress(),
    readbackEvery: numberParam('readback', 10),
    epochs: epochs === null ? undefined : numberParam('epochs', 1),
    steps: steps === null ? undefined : numberParam('steps', 1),
    minutes: params.get('minutes') === null ? undefined : numberParam('minutes', 1),
    // ?evalEvery=end: only the final evaluation, so a timed run spends its time training
    evaluateEveryEpochs: params.get('evalEvery') === 'end' ? undefined : numberParam('evalEvery', 1),
    cosineDecay: params.get('decay') === 'cosine',
    // in train mode; bench and profile modes read `warmup` as their untimed steps
    lrWarmupSteps: numberParam('warmup', 0),
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
