// A volunteer tab's worker: joins the coordinator that served the page, trains the run it is assigned with
// Leader SGD (reports every tau steps, uploads only when asked, pulls toward its machine's local leader's state,
// shared in the browser, and toward the global copies it is told of, fetched once per machine), or
// with the baseline the run names (client/worker/algorithms/: easgd's exchange, sync-sgd's gradient barrier, the
// steps and pushes of sgp, parle and grawa; local needs nothing beyond reports and the uploads asked for its evaluation).
/// <reference lib="webworker" />
import { io, type Socket } from 'socket.io-client';
import type { FromWorker, ToWorker } from './protocol.ts';
import { loadDataset } from './dataset_cache.ts';
import { LoopControl, runTrainingLoop } from './training_loop.ts';
import { openDevice, type GpuHandle } from '../gpu/device.ts';
import { Trainer, type TrainerState } from '../engine/trainer.ts';
import { elasticExchange } from './algorithms/easgd.ts';
import { GrawaPull } from './algorithms/grawa.ts';
import { ParleReplica } from './algorithms/parle.ts';
import { SgpGossip } from './algorithms/sgp.ts';
import { GradientExchange } from './algorithms/sync_sgd.ts';
import { decodeCopy, encodeCopy } from '../../shared/copy_encoding.ts';
import { checkedLeaderCopy } from '../../shared/leader_copy.ts';
import {
  MIN_REPORT_INTERVAL_MS, WORKER_NAMESPACE,
  type Assignment, type ClientToServerEvents, type Commitment, type CopyNotice, type Credential, type ProofReply, type ProofRequest, type Roles, type ServerToClientEvents,
} from '../../shared/protocol.ts';
import { MachineCopies, type LocalCopy } from './machine_copies.ts';
import { globalPullDue } from '../../shared/reference/leader_pull.ts';
import { adamwRates } from '../../shared/run_config.ts';
import { encodeProof, stateDigest } from '../../shared/state_digest.ts';

type Credentials = { machine?: Credential; tab?: Credential };

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: FromWorker) => scope.postMessage(m);
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Recent window losses averaged into the reported estimate, so one lucky batch does not crown a leader. */
const LOSS_WINDOWS = 5;
const READBACK_EVERY = 10;
const ACK_TIMEOUT_MS = 30_000;
/** Committed states held for proofs while reports wait for their answers; beyond this the oldest go. */
const MAX_KEPT_STATES = 8;
/** The algorithms whose stretches of local steps the coordinator replays as proofs of work. */
const PROVABLE = new Set(['lsgd', 'local', 'easgd']);

type Exchanged = Awaited<ReturnType<typeof elasticExchange>>;

interface GlobalCopy {
  version: number;
  weights: Float32Array;
}

interface ActiveRun {
  assignment: Assignment;
  control: LoopControl;
  trainer: Trainer | null;
  roles: Roles | null;
  /** The latest leader copies; the trainer takes them at its next report (a communication step), where it pulls
   *  toward them (periodic) or starts pulling toward them at every step (penalty), and commits to which. */
  copies: { local?: LocalCopy; global?: GlobalCopy };
  /** What the trainer pulls toward now, so that unchanged roles do not upload the same copy again. */
  applied: { local: LocalCopy | null; global: GlobalCopy | null };
  /** Shares local copies with this machine's other tabs and fetches global ones once per machine. */
  machine: MachineCopies;
  /** Proofs of work: the states committed at recent reports, by run step, until they can no longer be asked for:
   *  `start`, what the next stretch starts from, and `end`, what the stretch before ended with (they differ only
   *  by an easgd exchange taken at that step); `local`, the local copy the commitment names (a proof carries it). */
  kept: Map<number, { start: TrainerState; end: TrainerState; local: LocalCopy | null }>;
  /** easgd: an exchange was taken at a step no report committed to, so the next report commits nothing. */
  unprovable: boolean;
  /** Reports go out in order, each once its state's digest is ready. */
  reporting: Promise<void>;
  losses: number[];
  lastReportStep: number;
  /** performance.now() of the last report: reports are at most MIN_REPORT_INTERVAL_MS apart. */
  lastReportAt: number;
  lastPushStep: number;
  /** sync-sgd only: the gradient barrier. */
  sync: GradientExchange | null;
  /** sgp, parle, grawa: takes each step, and the algorithm's push every tau steps. */
  coupling: { step(): Promise<void> } | null;
  /** Resolves with the first global copy, for a run joined mid-way (`start: 'global'`). */
  firstGlobal: Promise<Float32Array>;
  gotGlobal: (w: Float32Array) => void;
  finished: Promise<void>;
}

let socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;
/** This tab's issued id: states are committed under it. */
let tabId = '';
let gpu: GpuHandle | null = null;
let active: ActiveRun | null = null;
let intensity = 1;
let userPaused = false;
let heartbeat: ReturnType<typeof setInterval> | null = null;
/** Roles pushes received: a report's answer carries roles too, but a push that overtook it is newer. */
let rolesPushed = 0;

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
    case 'nickname':
      void setNickname(m.name);
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
      tabId = reply.credentials.tab.id;
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
  s.on('roles', (r) => {
    rolesPushed++;
    onRoles(r);
  });
  s.on('uploadRequest', ({ runId, requestId }) => void upload(runId, requestId));
  s.on('copyNotice', (notice) => void onCopyNotice(notice));
  s.on('averagedGradient', (meta, bytes) => active?.sync?.receive(meta, bytes));
  s.on('protocolError', (e) => post({ type: 'notice', message: `the coordinator refused a ${e.event} message: ${e.error}` }));
  s.on('credit', (credit) => post({ type: 'credit', credit }));
}

async function setNickname(name: string): Promise<void> {
  if (!socket?.connected) return post({ type: 'nickname', error: 'not connected to the coordinator: try again in a moment' });
  try {
    const reply = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('nickname', { name });
    post({ type: 'nickname', error: reply.ok ? null : reply.error });
    if (reply.ok) post({ type: 'credit', credit: reply.credit });
  } catch (e) {
    post({ type: 'nickname', error: `no answer: ${errorText(e)}` });
  }
}

async function assign(a: Assignment): Promise<void> {
  if (active?.assignment.runId === a.runId) return;
  await endRun();
  let gotGlobal: (w: Float32Array) => void = () => {};
  const firstGlobal = new Promise<Float32Array>((r) => (gotGlobal = r));
  const run: ActiveRun = {
    assignment: a, control: new LoopControl(), trainer: null, roles: null, copies: {}, applied: { local: null, global: null }, kept: new Map(), reporting: Promise.resolve(), unprovable: false,
    machine: new MachineCopies(a.runId, tabId, (copy) => onLocalCopy(run, copy)),
    losses: [], lastReportStep: a.startStep, lastReportAt: -Infinity, lastPushStep: a.startStep, sync: null, coupling: null, firstGlobal, gotGlobal, finished: Promise.resolve(),
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
  // parle's inner steps are pulled toward the replica inside each step (client/worker/algorithms/parle.ts)
  const pull = a.algorithm === 'parle' ? 'penalty' : a.hyper.pull;
  const initial = a.start === 'global' ? await run.firstGlobal : undefined;
  if (run.control.stopped) return;
  // AdamW's moments start at zero here, at startStep: its proofs say so (the digests bind it)
  const optimizer = a.hyper.optimizer === 'adamw' ? { kind: 'adamw' as const, ...adamwRates(a.hyper) } : undefined;
  const trainer = await Trainer.create(gpu, {
    spec: a.spec, batch, seed: a.seed, shuffleSeed: a.shuffleSeed, firstStep: a.startStep, hyper: { lr, momentum, lambdaL, lambdaG }, optimizer, pull, train: dataset.train, initial,
  });
  run.trainer = trainer;
  if (a.algorithm === 'sync-sgd' && socket) run.sync = new GradientExchange(socket, a.runId, a.paramLength, a.startStep, (message) => post({ type: 'notice', message }));
  run.coupling = await couplingFor(run, trainer);
  post({ type: 'status', status: run.control.paused ? 'paused' : 'training', adapter: gpu.adapterName });
  await runTrainingLoop(trainer, run.control, READBACK_EVERY, {
    more: () => true,
    onWindow: (w) => {
      if (!Number.isFinite(w.loss)) return;
      run.losses = [...run.losses.slice(1 - LOSS_WINDOWS), w.loss];
      post({ type: 'progress', steps: a.startStep + w.steps, epochs: trainer.epochs, samples: w.samples, loss: w.loss, accuracy: w.accuracy, samplesPerSec: w.samplesPerSec });
    },
    step: run.sync ? () => run.sync!.stepOnce(trainer) : run.coupling ? () => run.coupling!.step() : undefined,
    afterStep: async () => {
      // easgd commits to the state after its exchange, so the exchange comes first
      const exchange = a.algorithm === 'easgd' ? await pushIfDue(run) : null;
      if (!report(run, exchange) && exchange?.version) run.unprovable = true;
    },
    onPause: () => post({ type: 'status', status: 'paused' }),
    onResume: () => post({ type: 'status', status: 'training' }),
  });
  trainer.destroy();
}

/**
 * Every tau steps, and at most every MIN_REPORT_INTERVAL_MS (a communication step): takes the leader copies that
 * arrived, then reports, committing to the
 * state after this step and to the copies it pulls toward (proofs of work): with the periodic pull, once, right
 * after the committed state; with the penalty, through the steps until the next report; easgd commits to the
 * exchange just taken. The state is copied on the GPU queue now and read, hashed and sent while training goes on.
 * False when no report went.
 */
function report(run: ActiveRun, exchange: Exchanged | null): boolean {
  const a = run.assignment;
  const t = run.trainer;
  // easgd reports at its exchanges, so that each commitment follows the exchange it names
  const due = a.algorithm === 'easgd'
    ? exchange !== null
    : t !== null && t.runStep - run.lastReportStep >= a.hyper.tau && performance.now() - run.lastReportAt >= MIN_REPORT_INTERVAL_MS;
  if (!t || !due || run.losses.length === 0 || !socket?.connected) return false;
  const step = t.runStep;
  const globalDue = globalPullDue(run.lastReportStep, step, a.hyper.tauG ?? a.hyper.tau);
  run.lastReportStep = step;
  run.lastReportAt = performance.now();
  const lossEstimate = lossEstimateOf(run);
  let pulls = applyCopies(run);
  const state = PROVABLE.has(a.algorithm) && !run.unprovable ? t.getState() : null;
  run.unprovable = false;
  if (a.algorithm === 'lsgd' && a.hyper.pull === 'periodic') {
    // queued behind the state's copy: the committed state is the one before the pull
    const taken = t.pullTowardLeaders({ local: true, global: globalDue });
    pulls = { local: taken.useLocal ? pulls.local : null, global: taken.useGlobal ? pulls.global : null };
  }
  const s = socket;
  const local = pulls.local ? run.applied.local : null;
  if (a.algorithm === 'lsgd') post({ type: 'following', localStep: local?.ref.step ?? null, globalVersion: pulls.global });
  run.reporting = run.reporting.then(async () => {
    let commitment: Commitment | undefined;
    let committed: TrainerState | null = null;
    if (state) {
      committed = await state;
      keepState(run, step, { start: committed, end: exchange?.version ? exchange.before : committed, local });
      commitment = { digest: await stateDigest(a.runId, tabId, step, committed), local: local?.ref ?? null, global: pulls.global, exchange: exchange?.version ?? null };
    }
    const pushesBefore = rolesPushed;
    const reply = await s.timeout(ACK_TIMEOUT_MS).emitWithAck('report', { runId: a.runId, step, lossEstimate, commitment }).catch((e: unknown) => errorText(e));
    if (typeof reply === 'string' || !reply.ok) return post({ type: 'notice', message: `report refused: ${typeof reply === 'string' ? reply : reply.error}` });
    // the server pushes roles only when they change: an answer overtaken by a push would leave them stale for good
    if (rolesPushed === pushesBefore) onRoles(reply.roles);
    // shared only once the coordinator holds the commitment that binds it
    const handle = reply.roles.isLocalLeader ? reply.roles.localLeader?.handle : undefined;
    if (handle && committed && a.algorithm === 'lsgd' && a.hyper.lambdaL > 0) run.machine.shareLocal({ ref: { leader: handle, step }, state: committed });
    if (reply.proof) prove(run, reply.proof);
    // the coordinator asks only for the stretch ending at the report it answers: earlier states are done with
    for (const kept of run.kept.keys()) if (kept < step) run.kept.delete(kept);
  }).catch((e) => post({ type: 'notice', message: `report failed: ${errorText(e)}` }));
  return true;
}

function keepState(run: ActiveRun, step: number, state: { start: TrainerState; end: TrainerState; local: LocalCopy | null }): void {
  run.kept.set(step, state);
  while (run.kept.size > MAX_KEPT_STATES) run.kept.delete(run.kept.keys().next().value!);
}

/** Sends the two committed states the request names, and the local copy named at the first; the coordinator replays
 *  the steps between them. */
function prove(run: ActiveRun, request: ProofRequest): void {
  const from = run.kept.get(request.from);
  const to = run.kept.get(request.to)?.end;
  const local = request.local ? from?.local : null;
  if (!from || !to || !socket || local === undefined) return post({ type: 'notice', message: `asked to prove steps ${request.from}..${request.to}, whose states this tab no longer holds` });
  const payload = encodeProof({ from: from.start, to, local: local?.state ?? null });
  socket.timeout(ACK_TIMEOUT_MS).emit('proof', { runId: run.assignment.runId, challengeId: request.challengeId }, payload, (err: Error | null, reply: ProofReply) => {
    if (err) post({ type: 'notice', message: `proof of steps ${request.from}..${request.to}: no answer (${err.message})` });
    else if (!reply.ok) post({ type: 'notice', message: `proof of steps ${request.from}..${request.to} refused: ${reply.error}` });
    else if (!reply.passed) post({ type: 'notice', message: `proof of steps ${request.from}..${request.to} failed: ${reply.reason}` });
  });
}

function lossEstimateOf(run: ActiveRun): number {
  return run.losses.length ? run.losses.reduce((a, b) => a + b, 0) / run.losses.length : 0;
}

/** The module that takes sgp's, parle's or grawa's steps and pushes; null for the other algorithms. */
async function couplingFor(run: ActiveRun, trainer: Trainer): Promise<ActiveRun['coupling']> {
  const a = run.assignment;
  if (!socket) return null;
  const { runId, hyper } = a;
  const lossEstimate = () => lossEstimateOf(run);
  const notice = (message: string) => post({ type: 'notice', message });
  switch (a.algorithm) {
    case 'sgp': return new SgpGossip(socket, trainer, { runId, tau: hyper.tau, lr: hyper.lr }, lossEstimate, notice);
    case 'parle': return ParleReplica.start(socket, trainer, { runId, tau: hyper.tau, gamma: hyper.gamma ?? 0, rho: hyper.rho ?? 0 }, lossEstimate, notice);
    case 'grawa': return new GrawaPull(socket, trainer, { runId, tau: hyper.tau, lambda: hyper.lambda ?? 0 }, lossEstimate, notice);
    default: return null;
  }
}

/** easgd: the elastic exchange every tau steps; the loop waits for it (one round trip per period). */
async function pushIfDue(run: ActiveRun): Promise<Exchanged | null> {
  const a = run.assignment;
  const step = a.startStep + (run.trainer?.steps ?? 0);
  if (!run.trainer || step - run.lastPushStep < a.hyper.tau || !socket?.connected) return null;
  run.lastPushStep = step;
  const exchanged = await elasticExchange(socket, run.trainer, { runId: a.runId, step, lossEstimate: lossEstimateOf(run), alpha: a.hyper.alpha ?? 0 });
  if (exchanged.error) post({ type: 'notice', message: `elastic exchange refused: ${exchanged.error}` });
  return exchanged;
}

function onRoles(r: Roles): void {
  if (!active || active.assignment.runId !== r.runId) return;
  active.roles = r;
  post({ type: 'roles', isLocalLeader: r.isLocalLeader, isGlobalLeader: r.isGlobalLeader, quarantined: r.quarantined });
}

async function onCopyNotice(notice: CopyNotice): Promise<void> {
  const run = active;
  if (!run || run.assignment.runId !== notice.runId) return;
  try {
    const bytes = await run.machine.fetchGlobal(notice);
    // decoding checks the length and that every value is finite
    const weights = decodeCopy(bytes, notice.encoding, run.assignment.paramLength);
    // fetches may finish out of order: an older copy never replaces a newer one
    if (active !== run || (run.copies.global?.version ?? 0) >= notice.version) return;
    // sync-sgd: a copy is the run's model at its step, sent when this tab fell behind (after a pause or a reconnect).
    if (run.sync && run.trainer && notice.step > run.sync.step) {
      run.trainer.setParams(weights);
      run.sync.step = notice.step;
      post({ type: 'notice', message: `caught up with the run at step ${notice.step}` });
    }
    run.copies.global = { version: notice.version, weights };
    run.gotGlobal(weights);
  } catch (e) {
    post({ type: 'notice', message: `refused global copy ${notice.version}: ${errorText(e)}` });
  }
}

/** A state a tab of this machine shared: taken as the local copy when it comes from the machine's elected leader. */
function onLocalCopy(run: ActiveRun, copy: LocalCopy): void {
  const leader = run.roles?.localLeader?.handle;
  if (active !== run || run.roles?.isLocalLeader || copy.ref.leader !== leader) return;
  const held = run.copies.local;
  if (held && held.ref.leader === leader && held.ref.step >= copy.ref.step) return;
  try {
    checkedLeaderCopy(copy.state.params, run.assignment.paramLength);
    run.copies.local = copy;
  } catch (e) {
    post({ type: 'notice', message: `refused a local copy: ${errorText(e)}` });
  }
}

/** Pulls toward the leader copies held from now on (a leader gets no pull toward itself, nor toward its
 *  predecessor's copy); returns what the next commitment names. */
function applyCopies(run: ActiveRun): Pick<Commitment, 'local' | 'global'> {
  const t = run.trainer;
  if (!t || run.assignment.algorithm !== 'lsgd') return { local: null, global: null };
  const local = run.roles?.isLocalLeader || run.copies.local?.ref.leader !== run.roles?.localLeader?.handle ? null : (run.copies.local ?? null);
  const global = run.roles?.isGlobalLeader ? null : (run.copies.global ?? null);
  if (local !== run.applied.local) t.setLeader('local', local?.state.params ?? null);
  if (global !== run.applied.global) t.setLeader('global', global?.weights ?? null);
  run.applied = { local, global };
  return { local: local?.ref ?? null, global: global?.version ?? null };
}

async function upload(runId: number, requestId: number): Promise<void> {
  const run = active;
  if (!run?.trainer || run.assignment.runId !== runId || !socket) return;
  const weights = await run.trainer.getParams();
  const lossEstimate = lossEstimateOf(run);
  const step = run.assignment.startStep + run.trainer.steps;
  // lsgd's copies travel in the run's encoding both ways; the baselines' uploads are their exact models
  const encoding = run.assignment.algorithm === 'lsgd' ? run.assignment.copyEncoding : 'f32';
  socket.emit('upload', { runId, requestId, step, lossEstimate, encoding }, encodeCopy(weights, encoding), (reply) => {
    if (!reply.ok) post({ type: 'notice', message: `upload refused: ${reply.error}` });
  });
}

async function endRun(): Promise<void> {
  const run = active;
  if (!run) return;
  active = null;
  run.control.stop();
  run.sync?.cancel();
  run.machine.close();
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
