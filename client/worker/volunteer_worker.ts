// A volunteer tab's worker: joins the coordinator that served the page, trains the run it is assigned with
// Leader SGD (reports every tau steps, uploads only when asked, pulls toward the leader copies it is sent), or
// with the baseline the run names (client/worker/algorithms/: easgd's exchange, sync-sgd's gradient barrier;
// local needs nothing beyond reports and the uploads asked for its evaluation).
/// <reference lib="webworker" />
import { io, type Socket } from 'socket.io-client';
import type { FromWorker, ToWorker } from './protocol.ts';
import { loadDataset } from './dataset_cache.ts';
import { LoopControl, runTrainingLoop } from './training_loop.ts';
import { openDevice, type GpuHandle } from '../gpu/device.ts';
import { Trainer } from '../engine/trainer.ts';
import { elasticExchange } from './algorithms/easgd.ts';
import { GradientExchange } from './algorithms/sync_sgd.ts';
import { checkedLeaderCopy } from '../../shared/leader_copy.ts';
import {
  bytesToWeights, weightsToBytes, WORKER_NAMESPACE,
  type Assignment, type ClientToServerEvents, type Credential, type LeaderCopyMeta, type Roles, type ServerToClientEvents, type WeightBytes,
} from '../../shared/protocol.ts';

type Credentials = { machine?: Credential; tab?: Credential };

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromWorker) => scope.postMessage(m);
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Recent window losses averaged into the reported estimate, so one lucky batch does not crown a leader. */
const LOSS_WINDOWS = 5;
const READBACK_EVERY = 10;

interface ActiveRun {
  assignment: Assignment;
  control: LoopControl;
  trainer: Trainer | null;
  roles: Roles | null;
  /** The latest leader copies, kept until the trainer exists to take them. */
  copies: { local?: Float32Array; global?: Float32Array };
  /** What the trainer pulls toward now, so that unchanged roles do not upload the same copy again. */
  applied: { local: Float32Array | null; global: Float32Array | null };
  losses: number[];
  lastReportStep: number;
  lastPushStep: number;
  /** sync-sgd only: the gradient barrier. */
  sync: GradientExchange | null;
  /** Resolves with the first global copy, for a run joined mid-way (`start: 'global'`). */
  firstGlobal: Promise<Float32Array>;
  gotGlobal: (w: Float32Array) => void;
  finished: Promise<void>;
}

let socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;
let gpu: GpuHandle | null = null;
let active: ActiveRun | null = null;
let intensity = 1;
let userPaused = false;
let heartbeat: ReturnType<typeof setInterval> | null = null;

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  switch (m.type) {
    case 'join':
      join(m.credentials);
      break;
    case 'pause':
      userPaused = true;
      active?.control.pause();
      sendHeartbeat();
      post({ type: 'status', status: 'paused' });
      break;
    case 'resume':
      userPaused = false;
      if (active && active.assignment.state === 'running') active.control.resume();
      sendHeartbeat();
      break;
    case 'stop':
      socket?.disconnect();
      void endRun().then(() => post({ type: 'status', status: 'done' }));
      break;
    case 'intensity':
      intensity = m.value;
      active?.control.setIntensity(m.value);
      break;
    default:
      post({ type: 'error', message: `the volunteer worker does not take "${m.type}" messages` });
  }
};

/** `credentials`: what the coordinator issued earlier (the page keeps them); updated after each hello. */
function join(credentials: Credentials): void {
  post({ type: 'status', status: 'connecting' });
  const s: Socket<ServerToClientEvents, ClientToServerEvents> = io(`${scope.location.origin}${WORKER_NAMESPACE}`, { transports: ['websocket'] });
  socket = s;
  s.on('connect', () => {
    s.emit('hello', { ...credentials, adapter: { name: gpu?.adapterName ?? 'unknown' }, limits: {} }, (reply) => {
      if (!reply.ok) return post({ type: 'error', message: `the coordinator refused this tab: ${reply.error}` });
      credentials = reply.credentials;
      post({ type: 'credentials', credentials: reply.credentials });
      if (reply.resumed) post({ type: 'notice', message: 'reconnected as the same tab' });
      if (reply.assignment) void assign(reply.assignment);
      else if (!active) post({ type: 'status', status: 'waiting' });
    });
  });
  s.on('disconnect', () => post({ type: 'notice', message: 'lost the coordinator; reconnecting' }));
  s.on('assignment', (a) => void assign(a));
  s.on('wait', () => void endRun().then(() => post({ type: 'status', status: 'waiting' })));
  s.on('runState', ({ runId, state }) => {
    if (!active || active.assignment.runId !== runId) return;
    active.assignment = { ...active.assignment, state };
    if (state === 'paused') {
      active.control.pause();
      post({ type: 'status', status: 'paused' });
    } else if (state === 'running') {
      if (!userPaused) active.control.resume();
    } else {
      void endRun().then(() => post({ type: 'status', status: 'waiting' }));
    }
  });
  s.on('roles', (r) => onRoles(r));
  s.on('uploadRequest', ({ runId, requestId }) => void upload(runId, requestId));
  s.on('leaderCopy', (meta, bytes) => onLeaderCopy(meta, bytes));
  s.on('averagedGradient', (meta, bytes) => active?.sync?.receive(meta, bytes));
  s.on('protocolError', (e) => post({ type: 'notice', message: `the coordinator refused a ${e.event} message: ${e.error}` }));
}

async function assign(a: Assignment): Promise<void> {
  if (active?.assignment.runId === a.runId) return;
  await endRun();
  let gotGlobal: (w: Float32Array) => void = () => {};
  const firstGlobal = new Promise<Float32Array>((r) => (gotGlobal = r));
  const run: ActiveRun = {
    assignment: a, control: new LoopControl(), trainer: null, roles: null, copies: {}, applied: { local: null, global: null }, losses: [], lastReportStep: a.startStep, lastPushStep: a.startStep, sync: null,
    firstGlobal, gotGlobal, finished: Promise.resolve(),
  };
  run.control.setIntensity(intensity);
  if (userPaused || a.state !== 'running') run.control.pause();
  active = run;
  post({ type: 'run', runId: a.runId, runName: a.runName, model: a.spec.name, dataset: a.dataset.name, batch: a.hyper.batch });
  run.finished = train(run).catch((e) => post({ type: 'error', message: errorText(e) }));
  startHeartbeat(a.heartbeatMs);
}

async function train(run: ActiveRun): Promise<void> {
  const a = run.assignment;
  post({ type: 'status', status: 'downloading' });
  const dataset = await loadDataset(a.dataset);
  if (run.control.stopped) return;
  post({ type: 'status', status: 'preparing' });
  gpu ??= await openDevice(scope.navigator.gpu);
  const { lr, momentum, batch } = a.hyper;
  // the leader pulls are LSGD's; the baselines couple workers through their own messages
  const lsgd = a.algorithm === 'lsgd';
  const lambdaL = lsgd ? a.hyper.lambdaL : 0;
  const lambdaG = lsgd ? a.hyper.lambdaG : 0;
  const tabSeed = hashString(`${a.runId}:${a.seed}:${socket?.id ?? ''}:${Math.random()}`);
  const initial = a.start === 'global' ? await run.firstGlobal : undefined;
  if (run.control.stopped) return;
  const trainer = await Trainer.create(gpu, { spec: a.spec, batch, seed: a.seed, shuffleSeed: tabSeed, hyper: { lr, momentum, lambdaL, lambdaG }, train: dataset.train, initial });
  run.trainer = trainer;
  if (a.algorithm === 'sync-sgd' && socket) run.sync = new GradientExchange(socket, a.runId, a.paramLength, a.startStep, (message) => post({ type: 'notice', message }));
  applyCopies(run);
  post({ type: 'status', status: run.control.paused ? 'paused' : 'training', adapter: gpu.adapterName });
  await runTrainingLoop(trainer, run.control, READBACK_EVERY, {
    more: () => true,
    onWindow: (w) => {
      if (!Number.isFinite(w.loss)) return;
      run.losses = [...run.losses.slice(1 - LOSS_WINDOWS), w.loss];
      post({ type: 'progress', steps: a.startStep + w.steps, epochs: trainer.epochs, samples: w.samples, loss: w.loss, accuracy: w.accuracy, samplesPerSec: w.samplesPerSec });
    },
    step: run.sync ? () => run.sync!.stepOnce(trainer) : undefined,
    afterStep: async () => {
      report(run);
      if (a.algorithm === 'easgd') await pushIfDue(run);
    },
    onPause: () => post({ type: 'status', status: 'paused' }),
    onResume: () => post({ type: 'status', status: 'training' }),
  });
  trainer.destroy();
}

function report(run: ActiveRun): void {
  const step = run.assignment.startStep + (run.trainer?.steps ?? 0);
  if (step - run.lastReportStep < run.assignment.hyper.tau || run.losses.length === 0 || !socket?.connected) return;
  run.lastReportStep = step;
  const lossEstimate = lossEstimateOf(run);
  socket.emit('report', { runId: run.assignment.runId, step, lossEstimate }, (reply) => {
    if (reply.ok) onRoles(reply.roles);
    else post({ type: 'notice', message: `report refused: ${reply.error}` });
  });
}

function lossEstimateOf(run: ActiveRun): number {
  return run.losses.length ? run.losses.reduce((a, b) => a + b, 0) / run.losses.length : 0;
}

/** easgd: the elastic exchange every tau steps; the loop waits for it (one round trip per period). */
async function pushIfDue(run: ActiveRun): Promise<void> {
  const a = run.assignment;
  const step = a.startStep + (run.trainer?.steps ?? 0);
  if (!run.trainer || step - run.lastPushStep < a.hyper.tau || !socket?.connected) return;
  run.lastPushStep = step;
  const error = await elasticExchange(socket, run.trainer, { runId: a.runId, step, lossEstimate: lossEstimateOf(run), alpha: a.hyper.alpha ?? 0 });
  if (error) post({ type: 'notice', message: `elastic exchange refused: ${error}` });
}

function onRoles(r: Roles): void {
  if (!active || active.assignment.runId !== r.runId) return;
  active.roles = r;
  applyCopies(active);
  post({ type: 'roles', isLocalLeader: r.isLocalLeader, isGlobalLeader: r.isGlobalLeader, quarantined: r.quarantined });
}

function onLeaderCopy(meta: LeaderCopyMeta, bytes: WeightBytes): void {
  const run = active;
  if (!run || run.assignment.runId !== meta.runId) return;
  try {
    const weights = checkedLeaderCopy(bytesToWeights(bytes), run.assignment.paramLength);
    // sync-sgd: a copy is the run's model at meta.step, sent when this tab fell behind (after a pause or a reconnect).
    if (run.sync && run.trainer && meta.step > run.sync.step) {
      run.trainer.setParams(weights);
      run.sync.step = meta.step;
      post({ type: 'notice', message: `caught up with the run at step ${meta.step}` });
    }
    if (meta.kind !== 'global') run.copies.local = weights;
    if (meta.kind !== 'local') {
      run.copies.global = weights;
      run.gotGlobal(weights);
    }
    applyCopies(run);
  } catch (e) {
    post({ type: 'notice', message: `refused a ${meta.kind} leader copy: ${errorText(e)}` });
  }
}

/** Pull toward the leaders held; a leader gets no pull toward itself (nor toward its predecessor's copy). */
function applyCopies(run: ActiveRun): void {
  const t = run.trainer;
  if (!t || run.assignment.algorithm !== 'lsgd') return;
  const want = {
    local: run.roles?.isLocalLeader ? null : (run.copies.local ?? null),
    global: run.roles?.isGlobalLeader ? null : (run.copies.global ?? null),
  };
  for (const kind of ['local', 'global'] as const) {
    if (want[kind] === run.applied[kind]) continue;
    t.setLeader(kind, want[kind]);
    run.applied[kind] = want[kind];
  }
}

async function upload(runId: number, requestId: number): Promise<void> {
  const run = active;
  if (!run?.trainer || run.assignment.runId !== runId || !socket) return;
  const weights = await run.trainer.getParams();
  const lossEstimate = lossEstimateOf(run);
  const step = run.assignment.startStep + run.trainer.steps;
  socket.emit('upload', { runId, requestId, step, lossEstimate }, weightsToBytes(weights), (reply) => {
    if (!reply.ok) post({ type: 'notice', message: `upload refused: ${reply.error}` });
  });
}

async function endRun(): Promise<void> {
  const run = active;
  if (!run) return;
  active = null;
  run.control.stop();
  run.sync?.cancel();
  await run.finished;
}

function startHeartbeat(ms: number): void {
  if (heartbeat) clearInterval(heartbeat);
  heartbeat = setInterval(sendHeartbeat, Math.max(250, ms / 2));
}

/** Also says whether the volunteer paused this tab, so the coordinator does not wait on it or elect it. */
function sendHeartbeat(): void {
  const step = active ? active.assignment.startStep + (active.trainer?.steps ?? 0) : undefined;
  socket?.emit('heartbeat', { runId: active?.assignment.runId ?? null, step, paused: userPaused });
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
