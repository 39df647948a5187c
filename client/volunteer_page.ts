// The volunteer page: asks for consent, then runs the volunteer worker and shows what this tab contributes.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { FromWorker, ToWorker, WorkerStatus } from './worker/protocol.ts';
import { WEBGPU_MISSING } from './gpu/device.ts';
import { credentialSchema, type Credential, type Credit } from '../shared/protocol.ts';
import { showLeaderboard } from './leaderboard_view.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);

/**
 * The identity the coordinator issued: the machine's credential in localStorage (so the tabs of one browser
 * profile form one machine group), this tab's in sessionStorage (so a reload resumes the same tab).
 */
function storedCredentials(): { machine?: Credential; tab?: Credential } {
  const read = (storage: Storage, key: string): Credential | undefined => {
    const parsed = credentialSchema.safeParse(JSON.parse(storage.getItem(key) ?? 'null'));
    return parsed.success ? parsed.data : undefined;
  };
  return { machine: read(localStorage, 'flock.machine'), tab: read(sessionStorage, 'flock.tab') };
}

function keepCredentials(c: { machine: Credential; tab: Credential }): void {
  localStorage.setItem('flock.machine', JSON.stringify(c.machine));
  sessionStorage.setItem('flock.tab', JSON.stringify(c.tab));
  identityKept?.();
}

let identityKept: (() => void) | null = null;

/**
 * Joins under a lock shared by this profile's tabs until the issued credentials are kept, so tabs opened together
 * do not each get a machine of their own.
 */
async function join(): Promise<void> {
  await navigator.locks.request('flock.identity', () => new Promise<void>((resolve) => {
    identityKept = resolve;
    send({ type: 'join', credentials: storedCredentials() });
    // a coordinator that does not answer must not block the other tabs for ever
    setTimeout(resolve, 30_000);
  }));
  identityKept = null;
}

const STATUS_TEXT: Record<WorkerStatus, string> = {
  connecting: 'connecting',
  waiting: 'waiting for a run',
  downloading: 'downloading data',
  preparing: 'preparing',
  training: 'training',
  paused: 'paused',
  done: 'stopped',
};

let worker: Worker | null = null;
let batch = 1;
const lossSeries: [number[], number[]] = [[], []];
let chart: uPlot | null = null;

function send(m: ToWorker): void {
  worker?.postMessage(m);
}

function setStatus(status: WorkerStatus): void {
  $('status').textContent = STATUS_TEXT[status];
  document.body.dataset.state = status;
  const running = status !== 'done';
  $('start').hidden = running;
  $('stop').hidden = !running;
  $('pause').hidden = !running || status === 'paused';
  $('resume').hidden = status !== 'paused';
}

/** What the coordinator verified, never what this tab counted itself. */
function showCredit(c: Credit): void {
  $('verified-tab').textContent = c.tab.verifiedSamples.toLocaleString();
  $('verified-machine').textContent = c.machine.verifiedSamples.toLocaleString();
  $('machine-name').textContent = c.machine.name;
  const input = $<HTMLInputElement>('nickname');
  if (c.machine.nickname && document.activeElement !== input) input.value = c.machine.nickname;
  document.body.dataset.machineName = c.machine.name;
}

async function refreshLeaderboard(): Promise<void> {
  try {
    const res = await fetch('/api/leaderboard?limit=10');
    if (res.ok) showLeaderboard(await res.json(), { machines: $('board-machines'), tabs: $('board-tabs') }, document.body.dataset.machineName ?? null);
  } catch {
    // the coordinator is away: the board stays as it was and the next refresh tries again
  }
}

function plotLoss(loss: number): void {
  lossSeries[0].push(Date.now() / 1000);
  lossSeries[1].push(loss);
  if (lossSeries[0].length > 600) lossSeries.forEach((s) => s.shift());
  if (!chart) {
    const el = $('loss-chart');
    chart = new uPlot(
      { width: el.clientWidth || 600, height: 160, legend: { show: false }, series: [{}, { label: 'loss', stroke: '#1f6feb', width: 2 }], axes: [{}, { size: 50 }] },
      lossSeries,
      el,
    );
  } else {
    chart.setData(lossSeries);
  }
}

function notice(text: string): void {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} — ${text}`;
  $('notices').prepend(li);
}

function showError(message: string): void {
  $('error').textContent = message;
  $('error').hidden = false;
}

function onMessage(m: FromWorker): void {
  switch (m.type) {
    case 'status':
      setStatus(m.status);
      if (m.adapter) $('adapter').textContent = m.adapter;
      break;
    case 'run':
      batch = m.batch;
      $('run').textContent = `${m.runName} (${m.model} on ${m.dataset})`;
      break;
    case 'progress':
      $('loss').textContent = m.loss.toFixed(4);
      $('samples-per-sec').textContent = Math.round(m.samplesPerSec).toLocaleString();
      $('steps-per-sec').textContent = (m.samplesPerSec / batch).toFixed(1);
      plotLoss(m.loss);
      break;
    case 'roles':
      $('badge-local').hidden = !m.isLocalLeader;
      $('badge-global').hidden = !m.isGlobalLeader;
      $('badge-quarantined').hidden = !m.quarantined;
      break;
    case 'following':
      $('following').textContent = [
        m.localStep === null ? null : `this machine's leader (its step ${m.localStep})`,
        m.globalVersion === null ? null : `the global copy v${m.globalVersion}`,
      ].filter((x) => x !== null).join(' and ') || 'no leader: it leads, or no copy has come yet';
      break;
    case 'credentials':
      keepCredentials(m.credentials);
      break;
    case 'credit':
      showCredit(m.credit);
      void refreshLeaderboard();
      break;
    case 'nickname':
      $('nickname-result').textContent = m.error ?? 'saved';
      $('nickname-result').classList.toggle('bad', m.error !== null);
      void refreshLeaderboard();
      break;
    case 'notice':
      notice(m.message);
      break;
    case 'error':
      showError(m.message);
      break;
    case 'evaluation':
    case 'bench':
      break;
  }
}

function start(): void {
  sessionStorage.setItem('flock.consented', 'yes');
  $('error').hidden = true;
  worker = new Worker(new URL('./worker/volunteer_worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => showError(`the training worker failed: ${e.message}`);
  send({ type: 'intensity', value: Number($<HTMLInputElement>('intensity').value) / 100 });
  void join();
}

function stop(): void {
  sessionStorage.removeItem('flock.consented');
  send({ type: 'stop' });
  worker?.terminate();
  worker = null;
  setStatus('done');
  $('badge-local').hidden = $('badge-global').hidden = true;
}

function init(): void {
  void refreshLeaderboard();
  setInterval(() => void refreshLeaderboard(), 15_000);
  $('nickname-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!worker) {
      $('nickname-result').textContent = 'start contributing first: the name belongs to this browser\'s volunteer identity';
      return;
    }
    send({ type: 'nickname', name: $<HTMLInputElement>('nickname').value });
  });
  if (!('gpu' in navigator) || !navigator.gpu) {
    $('no-webgpu').textContent = WEBGPU_MISSING;
    $('no-webgpu').hidden = false;
    $<HTMLButtonElement>('start').disabled = true;
    document.body.dataset.state = 'unsupported';
    return;
  }
  $('start').addEventListener('click', start);
  $('stop').addEventListener('click', stop);
  $('pause').addEventListener('click', () => {
    send({ type: 'pause' });
    setStatus('paused');
  });
  $('resume').addEventListener('click', () => send({ type: 'resume' }));
  const slider = $<HTMLInputElement>('intensity');
  slider.addEventListener('input', () => {
    $('intensity-value').textContent = `${slider.value}%`;
    send({ type: 'intensity', value: Number(slider.value) / 100 });
  });
  // Consent was given in this tab before the reload: rejoin as the same tab.
  if (sessionStorage.getItem('flock.consented') === 'yes') start();
}

init();
