// The Socket.IO coordinator: binds tabs to workers, keeps the live state of the active run, elects leaders,
// asks leaders (only) for uploads, checks new global leaders, and relays copies to the followers that need them.
import type { Namespace, Socket } from 'socket.io';
import { initialParameters } from '../shared/init.ts';
import { parameterLayout } from '../shared/layout.ts';
import { checkedLeaderCopy } from '../shared/leader_copy.ts';
import type { ModelSpec } from '../shared/model.ts';
import {
  bytesToWeights, gradientMetaSchema, heartbeatSchema, helloSchema, pushMetaSchema, reportSchema, uploadMetaSchema,
  type AveragedGradientMeta, type GradientReply, type PushReply, type Assignment, type ClientToServerEvents, type HelloReply, type LeaderCopyMeta, type ReportReply, type UploadReply, type InterServerEvents, type Roles, type ServerToClientEvents, type SocketData,
} from '../shared/protocol.ts';
import { resolveModel, type RunView } from '../shared/run_config.ts';
import { Easgd } from './algorithms/easgd.ts';
import type { AlgorithmHost } from './algorithms/host.ts';
import { Local } from './algorithms/local.ts';
import { SyncSgd } from './algorithms/sync_sgd.ts';
import { claimHolds } from './claim.ts';
import type { Config } from './config.ts';
import type { DatasetService } from './dataset_service.ts';
import { elect, leaderChanges, type Leaders } from './election.ts';
import type { LeaderEvaluator, Measured } from './evaluator.ts';
import { normBoundViolation } from './norm_bound.ts';
import { TokenBucket } from './rate_limit.ts';
import { afterDelivery, leadersToAsk, planDeliveries, type CopyRef, type Delivery } from './relay.ts';
import type { Store, WorkerRecord } from './store.ts';

type WorkerSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type WorkerNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

interface LiveWorker extends WorkerRecord {
  socket: WorkerSocket | null;
  step: number;
  loss: number | null;
  heldLocal: number;
  heldGlobal: number;
  uploadRequest: { id: number; at: number } | null;
  dirty: boolean;
  /** Paused by its volunteer (said in heartbeats): not training, so neither a leader nor a sync-sgd member. */
  paused: boolean;
}

interface StoredCopy extends CopyRef { weights: Float32Array }

interface ActiveRun {
  run: RunView;
  spec: ModelSpec;
  leaders: Leaders;
  /** The global leader whose claim was checked; its copies are the global copies. */
  verifiedGlobal: string | null;
  verifying: string | null;
  /** The verified leader's claimed loss at its last check, and its uploads accepted since. */
  lastCheck: { loss: number; uploadsSince: number } | null;
  /** The run's seeded initialisation: the norm-bound reference until a global copy exists. */
  initial: Float32Array | null;
  groupCopies: Map<string, StoredCopy>;
  globalCopy: StoredCopy | null;
  version: number;
  round: { n: number; uploads: number; downloads: number; bytesUp: number; bytesDown: number };
  runningSince: number | null;
  evaluating: boolean;
  lastEvalAt: number;
  /** The baseline algorithm of a non-lsgd run; null for lsgd, which the coordinator itself runs. */
  baseline: Easgd | SyncSgd | Local | null;
}

const KNOWN_EVENTS = new Set(['hello', 'report', 'upload', 'heartbeat', 'push', 'gradient']);

export class Coordinator {
  private readonly workers = new Map<string, LiveWorker>();
  private active: ActiveRun | null = null;
  private requestSeq = 0;
  private readonly timer: NodeJS.Timeout;
  private lastProgressSave = 0;

  constructor(
    private readonly nsp: WorkerNamespace,
    private readonly store: Store,
    private readonly config: Config,
    private readonly datasets: DatasetService,
    private readonly evaluator: LeaderEvaluator,
    private readonly now: () => number = Date.now,
  ) {
    nsp.on('connection', (socket) => this.attach(socket));
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.min(1000, config.heartbeatTimeoutMs / 4)));
    this.timer.unref();
  }

  // ---- run control (called by the REST API)

  /** Makes `run` the active run (after start, resume, or a server restart) and assigns every waiting tab. */
  async activate(run: RunView): Promise<void> {
    const spec = resolveModel(run.config.model);
    await this.datasets.manifest(run.config.dataset);
    const checkpoint = this.store.checkpoint(run.id);
    const globalCopy = checkpoint && { leaderId: checkpoint.workerId, version: checkpoint.version, step: checkpoint.step, weights: checkpoint.weights };
    this.active = {
      run, spec, leaders: { local: new Map(), global: null }, verifiedGlobal: null, verifying: null, lastCheck: null, initial: null,
      groupCopies: new Map(), globalCopy, version: checkpoint?.version ?? 0,
      round: { n: run.rounds, uploads: 0, downloads: 0, bytesUp: 0, bytesDown: 0 },
      runningSince: run.state === 'running' ? this.now() : null, evaluating: false, lastEvalAt: this.now(), baseline: null,
    };
    this.active.baseline = this.baselineFor(this.active, checkpoint?.weights ?? null, checkpoint?.step ?? 0);
    // A tab that stayed connected from an earlier run starts this one with this run's counters and no loss:
    // bytes are per run, and a loss from another run must not elect a leader here.
    const stored = new Map(this.store.workers(run.id).map((r) => [r.workerId, r]));
    for (const w of this.workers.values()) {
      const r = stored.get(w.workerId);
      Object.assign(w, {
        bytesUp: r?.bytesUp ?? 0, bytesDown: r?.bytesDown ?? 0, malformed: r?.malformed ?? 0, quarantined: r?.quarantined ?? false,
        step: 0, loss: null, heldLocal: 0, heldGlobal: 0, uploadRequest: null, dirty: true,
      });
    }
    for (const w of this.workers.values()) if (w.socket) this.assign(w);
  }

  activeRunId(): number | null {
    return this.active?.run.id ?? null;
  }

  setRunning(running: boolean): void {
    const a = this.active;
    if (!a) return;
    this.accountRunningTime(a);
    a.run = { ...a.run, state: running ? 'running' : 'paused' };
    a.runningSince = running ? this.now() : null;
    this.saveProgress(a);
    this.broadcastState(a);
    if (running) this.reelect();
  }

  /** Ends the active run: flushes its round and counters, keeps a final checkpoint, and sends the tabs to wait. */
  finish(state: 'stopped' | 'finished', reason: string): void {
    const a = this.active;
    if (!a) return;
    this.accountRunningTime(a);
    this.store.transaction(() => {
      this.persist(a, true);
      if (a.globalCopy) this.checkpoint(a, true);
      this.store.setState(a.run.id, state, this.now());
      this.store.addEvent(a.run.id, this.now(), state, null, reason);
    });
    a.run = { ...a.run, state };
    this.broadcastState(a);
    this.active = null;
    for (const w of this.workers.values()) {
      w.uploadRequest = null;
      w.socket?.emit('wait', { reason: `run ${a.run.id} ${state}` });
    }
  }

  /** What the dashboard shows about the run's workers: the stored ones, overlaid with the live state of those connected since the start. */
  liveWorkers(runId: number) {
    const a = this.active?.run.id === runId ? this.active : null;
    const stored = this.store.workers(runId).filter((r) => !this.workers.has(r.workerId)).map((r) => ({
      workerId: r.workerId, machineId: r.machineId, connected: false, step: null, loss: null, lastSeen: r.lastSeen, quarantined: r.quarantined,
      bytesUp: r.bytesUp, bytesDown: r.bytesDown, malformed: r.malformed, isLocalLeader: false, isGlobalLeader: false,
    }));
    return [...stored, ...[...this.workers.values()].map((w) => ({
      workerId: w.workerId, machineId: w.machineId, connected: w.socket !== null, step: w.step, loss: w.loss,
      lastSeen: w.lastSeen, quarantined: w.quarantined, bytesUp: w.bytesUp, bytesDown: w.bytesDown, malformed: w.malformed,
      isLocalLeader: a?.leaders.local.get(w.machineId) === w.workerId, isGlobalLeader: a?.verifiedGlobal === w.workerId,
    }))];
  }

  close(): void {
    clearInterval(this.timer);
    if (this.active) {
      this.accountRunningTime(this.active);
      this.persist(this.active, true);
    }
  }

  // ---- sockets

  private attach(socket: WorkerSocket): void {
    socket.data.workerId = null;
    const bucket = new TokenBucket(this.config.rateLimitPerSec, this.config.rateLimitBurst, this.now());
    let warnedAt = 0;
    const reject = (event: string, error: string) => {
      const w = socket.data.workerId ? this.workers.get(socket.data.workerId) : undefined;
      if (w) {
        w.malformed++;
        w.dirty = true;
      }
      // An error reply per bad message would let a flood amplify itself: at most one per second.
      if (this.now() - warnedAt >= 1000) {
        warnedAt = this.now();
        socket.emit('protocolError', { event, error });
        if (this.active) this.store.addEvent(this.active.run.id, this.now(), 'malformed', w?.workerId ?? null, `${event}: ${error}`);
      }
    };
    const guard = (event: string, args: unknown[], handle: (args: unknown[]) => void) => {
      if (!bucket.take(this.now())) return reject(event, `rate limit: at most ${this.config.rateLimitPerSec} messages/s`);
      try {
        handle(args);
      } catch (err) {
        reject(event, (err as Error).message);
      }
    };
    socket.onAny((event: string) => {
      if (!KNOWN_EVENTS.has(event)) guard(event, [], () => reject(String(event).slice(0, 64), 'unknown event'));
    });
    socket.on('hello', (...args) => guard('hello', args, (a) => this.onHello(socket, a, reject)));
    socket.on('report', (...args) => guard('report', args, (a) => this.onReport(socket, a, reject)));
    socket.on('upload', (...args) => guard('upload', args, (a) => this.onUpload(socket, a, reject)));
    socket.on('heartbeat', (...args) => guard('heartbeat', args, (a) => this.onHeartbeat(socket, a, reject)));
    socket.on('push', (...args) => guard('push', args, (a) => this.onPush(socket, a, reject)));
    socket.on('gradient', (...args) => guard('gradient', args, (a) => this.onGradient(socket, a, reject)));
    socket.on('disconnect', () => this.onDisconnect(socket));
  }

  private onHello(socket: WorkerSocket, args: unknown[], reject: (e: string, m: string) => void): void {
    const ack = ackOf<HelloReply>(args[1]);
    const parsed = helloSchema.safeParse(args[0]);
    if (!parsed.success) {
      ack?.({ ok: false, error: issueText(parsed.error) });
      return reject('hello', issueText(parsed.error));
    }
    const { tabId, machineId, adapter } = parsed.data;
    if (socket.data.workerId && socket.data.workerId !== tabId) {
      ack?.({ ok: false, error: `this connection is already worker ${socket.data.workerId}` });
      return reject('hello', 'a connection cannot change its tabId');
    }
    const now = this.now();
    let w = this.workers.get(tabId);
    const resumed = w !== undefined;
    if (w?.socket && w.socket.id !== socket.id) w.socket.disconnect(true);
    if (!w) {
      const known = this.active ? this.store.workers(this.active.run.id).find((r) => r.workerId === tabId) : undefined;
      w = {
        workerId: tabId, machineId, adapter, firstSeen: known?.firstSeen ?? now, lastSeen: now,
        bytesUp: known?.bytesUp ?? 0, bytesDown: known?.bytesDown ?? 0, malformed: known?.malformed ?? 0,
        quarantined: known?.quarantined ?? false, socket: null, step: 0, loss: null, heldLocal: 0, heldGlobal: 0,
        uploadRequest: null, dirty: true, paused: false,
      };
      this.workers.set(tabId, w);
    }
    Object.assign(w, { socket, machineId, adapter, lastSeen: now, heldLocal: 0, heldGlobal: 0, uploadRequest: null, dirty: true, paused: false });
    socket.data.workerId = tabId;
    if (this.active) this.store.addEvent(this.active.run.id, now, resumed ? 'rejoin' : 'join', tabId, `${resumed ? 'rejoined' : 'joined'} from machine ${machineId}`);
    const assignment = this.assignmentFor(w);
    ack?.({ ok: true, workerId: tabId, resumed, assignment, wait: assignment ? null : { reason: 'no run is active' } });
    if (!ack) this.assign(w);
    else if (assignment) this.afterAssign(w, assignment);
    this.reelect();
  }

  private onReport(socket: WorkerSocket, args: unknown[], reject: (e: string, m: string) => void): void {
    const ack = ackOf<ReportReply>(args[1]);
    const parsed = reportSchema.safeParse(args[0]);
    const w = this.boundWorker(socket);
    if (!parsed.success || !w) {
      const error = !w ? 'say hello first' : issueText(parsed.error!);
      ack?.({ ok: false, error });
      return reject('report', error);
    }
    const a = this.active;
    const r = parsed.data;
    if (!a || a.run.id !== r.runId || a.run.state !== 'running') {
      ack?.({ ok: false, error: `run ${r.runId} is not running` });
      return;
    }
    const now = this.now();
    w.lastSeen = now;
    if (!w.quarantined) {
      w.step = r.step;
      w.loss = r.lossEstimate;
      this.store.addWorkerMetric(a.run.id, { t: now, workerId: w.workerId, machineId: w.machineId, step: r.step, loss: r.lossEstimate, samplesPerSec: r.samplesPerSec, samples: r.samples });
      this.reelect();
    }
    ack?.({ ok: true, roles: this.rolesOf(a, w) });
  }

  private onHeartbeat(socket: WorkerSocket, args: unknown[], reject: (e: string, m: string) => void): void {
    const parsed = heartbeatSchema.safeParse(args[0]);
    const w = this.boundWorker(socket);
    if (!parsed.success || !w) return reject('heartbeat', !w ? 'say hello first' : issueText(parsed.error!));
    w.lastSeen = this.now();
    const paused = parsed.data.paused ?? false;
    if (paused !== w.paused) {
      w.paused = paused;
      w.dirty = true;
      this.reelect();
    }
  }

  private onUpload(socket: WorkerSocket, args: unknown[], reject: (e: string, m: string) => void): void {
    const ack = ackOf<UploadReply>(args[2]);
    const fail = (error: string) => {
      ack?.({ ok: false, error });
      reject('upload', error);
    };
    const w = this.boundWorker(socket);
    if (!w) return fail('say hello first');
    const parsed = uploadMetaSchema.safeParse(args[0]);
    if (!parsed.success) return fail(issueText(parsed.error));
    const a = this.active;
    const meta = parsed.data;
    if (!a || a.run.id !== meta.runId) return fail(`run ${meta.runId} is not active`);
    if (!w.uploadRequest || w.uploadRequest.id !== meta.requestId) return fail('upload without a request: only leaders upload, and only when asked');
    w.uploadRequest = null;
    const bytes = args[1];
    if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) return fail('weights must be binary (ArrayBuffer of f32)');
    this.countUp(a, w, bytes.byteLength);
    if (w.quarantined) {
      this.persist(a, false);
      return fail('quarantined');
    }
    let weights: Float32Array;
    try {
      // a view over the received message (copied only when unaligned): the socket does not reuse it
      weights = checkedLeaderCopy(bytesToWeights(bytes), a.run.paramLength);
      const violation = normBoundViolation(weights, this.normReference(a), { factor: this.config.normBoundFactor, floor: this.config.normBoundFloor });
      if (violation) throw new Error(`out of the norm bound: ${violation}`);
    } catch (err) {
      // a correct tab never sends these: the sender cannot lead
      const reason = (err as Error).message;
      this.store.addEvent(a.run.id, this.now(), 'upload-rejected', w.workerId, reason);
      this.quarantine(a, w, `upload rejected: ${reason}`);
      fail(`weights rejected: ${reason}`);
      return this.reelect();
    }
    if (a.baseline) {
      a.baseline.onUpload(w.workerId, weights, meta.step);
      this.persist(a, false);
      return ack?.({ ok: true, version: a.version });
    }
    if (a.leaders.global === w.workerId && this.claimNeedsCheck(a, w)) {
      void this.verifyThenAccept(a, w, weights, meta.step, ack);
      return;
    }
    const version = this.accept(a, w, weights, meta.step);
    if (version === 0) ack?.({ ok: false, error: 'no longer a leader' });
    else ack?.({ ok: true, version });
  }

  private normReference(a: ActiveRun): Float32Array {
    if (a.globalCopy) return a.globalCopy.weights;
    a.initial ??= initialParameters(a.spec, a.run.config.seed);
    return a.initial;
  }

  /** A new global leader is always checked; a verified one every k-th upload, or when its claimed loss falls sharply. */
  private claimNeedsCheck(a: ActiveRun, w: LiveWorker): boolean {
    if (a.verifiedGlobal !== w.workerId || !a.lastCheck) return true;
    return a.lastCheck.uploadsSince + 1 >= this.config.claimRecheckEveryUploads || (w.loss ?? 0) < a.lastCheck.loss * (1 - this.config.claimRecheckDrop);
  }

  private onDisconnect(socket: WorkerSocket): void {
    const w = this.boundWorker(socket);
    if (!w) return;
    w.socket = null;
    w.uploadRequest = null;
    w.dirty = true;
    if (this.active) this.store.addEvent(this.active.run.id, this.now(), 'leave', w.workerId, `left machine ${w.machineId}`);
    this.reelect();
  }

  private boundWorker(socket: WorkerSocket): LiveWorker | undefined {
    const w = socket.data.workerId ? this.workers.get(socket.data.workerId) : undefined;
    return w && w.socket === socket ? w : undefined;
  }

  // ---- assignment

  private assignmentFor(w: LiveWorker): Assignment | null {
    const a = this.active;
    if (!a) return null;
    const manifest = this.datasets.cachedManifest(a.run.config.dataset);
    if (!manifest) return null;
    return {
      runId: a.run.id, runName: a.run.config.name, algorithm: a.run.config.algorithm, spec: a.spec, paramLength: a.run.paramLength,
      hyper: a.run.config.hyper, seed: a.run.config.seed, start: a.globalCopy ? 'global' : 'seed', startStep: a.globalCopy?.step ?? 0,
      state: a.run.state, datasetUrl: this.datasets.manifestUrl(a.run.config.dataset), dataset: manifest, heartbeatMs: this.config.heartbeatMs,
    };
  }

  private assign(w: LiveWorker): void {
    const assignment = this.assignmentFor(w);
    if (!assignment) return void w.socket?.emit('wait', { reason: 'no run is active' });
    w.socket?.emit('assignment', assignment);
    this.afterAssign(w, assignment);
  }

  /** A tab that starts from the global copy gets it at once, whatever the pulls. */
  private afterAssign(w: LiveWorker, assignment: Assignment): void {
    const a = this.active;
    if (!a || assignment.start !== 'global' || !a.globalCopy || w.quarantined) return;
    this.deliver(a, [{ kind: 'global', copy: a.globalCopy, workerIds: [w.workerId] }]);
  }

  // ---- election, uploads, relay

  private eligible(w: LiveWorker, now: number): boolean {
    return w.socket !== null && !w.quarantined && !w.paused && now - w.lastSeen <= this.config.heartbeatTimeoutMs;
  }

  private reelect(): void {
    const a = this.active;
    if (!a || a.run.state !== 'running') return;
    if (a.baseline) return a.baseline.membershipChanged();
    const now = this.now();
    const candidates = [...this.workers.values()].map((w) => ({ workerId: w.workerId, groupId: w.machineId, loss: w.loss, eligible: this.eligible(w, now) }));
    const before = a.leaders;
    a.leaders = elect(candidates, before, this.config.electionHysteresis);
    const changes = leaderChanges(before, a.leaders);
    for (const g of changes.groups) {
      const id = a.leaders.local.get(g);
      this.store.addEvent(a.run.id, now, 'local-leader', id ?? null, id ? `${id} leads machine ${g}` : `machine ${g} has no leader`);
    }
    if (changes.global && a.leaders.global) this.store.addEvent(a.run.id, now, 'global-candidate', a.leaders.global, `${a.leaders.global} has the lowest loss; checking its claim`);
    this.askUploads(a);
    this.pushRoles(a, changes.groups.length > 0 || changes.global);
  }

  private copyStepOf(a: ActiveRun, w: LiveWorker): number | null {
    const copy = a.leaders.global === w.workerId ? a.globalCopy : a.groupCopies.get(w.machineId);
    return copy?.leaderId === w.workerId ? copy.step : null;
  }

  private askUploads(a: ActiveRun): void {
    // with no pull toward local leaders their copies would go unused: only the global leader uploads
    const leaderIds = a.run.config.hyper.lambdaL > 0 ? new Set(a.leaders.local.values()) : new Set(a.leaders.global ? [a.leaders.global] : []);
    const progress = [...leaderIds].map((id) => this.workers.get(id)!).map((w) => ({
      workerId: w.workerId, reportedStep: w.step, copyStep: this.copyStepOf(a, w), uploadPending: w.uploadRequest !== null || a.verifying === w.workerId,
    }));
    for (const id of leadersToAsk(progress, a.run.config.hyper.tau)) {
      const w = this.workers.get(id)!;
      w.uploadRequest = { id: ++this.requestSeq, at: this.now() };
      w.socket?.emit('uploadRequest', { runId: a.run.id, requestId: w.uploadRequest.id });
    }
  }

  private async verifyThenAccept(a: ActiveRun, w: LiveWorker, weights: Float32Array, step: number, ack: ((r: UploadReply) => void) | null): Promise<void> {
    a.verifying = w.workerId;
    const recheck = a.verifiedGlobal === w.workerId;
    const claimed = w.loss ?? 0;
    const test = (await this.datasets.dataset(a.run.config.dataset)).test;
    let measured: Measured;
    try {
      measured = await this.evaluator.evaluate(a.spec, weights, test, Math.floor(Math.random() * test.count), this.config.claimCheckSamples);
    } catch (err) {
      // the server's failure, not the worker's: no quarantine, the claim is checked again on its next upload
      this.store.addEvent(a.run.id, this.now(), 'error', w.workerId, `claim check failed: ${(err as Error).message}`);
      this.persist(a, false);
      return ack?.({ ok: false, error: 'the server could not check the claim' });
    } finally {
      a.verifying = null;
    }
    if (this.active !== a) return ack?.({ ok: false, error: 'the run ended' });
    const margin = { rel: this.config.claimMarginRel, abs: this.config.claimMarginAbs };
    if (!claimHolds(claimed, measured.loss, margin)) {
      this.quarantine(a, w, `${recheck ? 'on a re-check, ' : ''}claimed loss ${claimed.toFixed(4)} but measured ${measured.loss.toFixed(4)} on ${measured.samples} held-out samples`);
      ack?.({ ok: false, error: 'claim failed: quarantined' });
      return this.reelect();
    }
    a.verifiedGlobal = w.workerId;
    a.lastCheck = { loss: claimed, uploadsSince: -1 };
    this.store.addEvent(a.run.id, this.now(), recheck ? 'claim-recheck' : 'global-leader', w.workerId, `claimed ${claimed.toFixed(4)}, measured ${measured.loss.toFixed(4)} on ${measured.samples} held-out samples`);
    const version = this.accept(a, w, weights, step);
    if (version > 0) this.store.addEval(a.run.id, { t: this.now(), step, version, workerId: w.workerId, samples: measured.samples, testLoss: measured.loss, testAccuracy: measured.accuracy });
    if (version === 0) ack?.({ ok: false, error: 'no longer a leader' });
    else ack?.({ ok: true, version });
    this.pushRoles(a, true);
  }

  /** Stores a leader's copy as its group's and, for the verified global leader, the global copy; returns the version (0: not a leader any more). */
  private accept(a: ActiveRun, w: LiveWorker, weights: Float32Array, step: number): number {
    const isLocal = a.leaders.local.get(w.machineId) === w.workerId;
    const isGlobal = a.verifiedGlobal === w.workerId && a.leaders.global === w.workerId;
    if (!isLocal && !isGlobal) {
      this.persist(a, false);
      return 0;
    }
    const copy: StoredCopy = { leaderId: w.workerId, version: ++a.version, step, weights };
    const now = this.now();
    if (isLocal) {
      a.groupCopies.set(w.machineId, copy);
      this.store.addLeaderMetric(a.run.id, { t: now, kind: 'local', groupId: w.machineId, workerId: w.workerId, version: copy.version, step, loss: w.loss ?? 0 });
    }
    if (isGlobal) {
      a.globalCopy = copy;
      if (a.lastCheck) a.lastCheck.uploadsSince++;
      this.store.addLeaderMetric(a.run.id, { t: now, kind: 'global', groupId: w.machineId, workerId: w.workerId, version: copy.version, step, loss: w.loss ?? 0 });
      this.newRound(a, copy);
    }
    this.relay(a);
    if (isGlobal) this.afterRound(a);
    return copy.version;
  }

  private relay(a: ActiveRun): void {
    const followers = [...this.workers.values()].filter((w) => w.socket && !w.quarantined).map((w) => ({ workerId: w.workerId, groupId: w.machineId, heldLocal: w.heldLocal, heldGlobal: w.heldGlobal }));
    const { lambdaL, lambdaG } = a.run.config.hyper;
    const current = { local: a.groupCopies, global: a.globalCopy, localLeaders: a.leaders.local, globalLeader: a.verifiedGlobal };
    this.deliver(a, planDeliveries(followers, current, { local: lambdaL > 0, global: lambdaG > 0 }));
  }

  /**
   * Counts and stores the deliveries first (so a kill never leaves a copy sent but not counted), then sends each
   * copy as ONE broadcast: Socket.IO encodes the packet once and writes the same bytes, a view of the stored copy,
   * to every target socket.
   */
  private deliver(a: ActiveRun, deliveries: readonly Delivery[]): void {
    const sends: { socketIds: string[]; meta: LeaderCopyMeta; bytes: Buffer }[] = [];
    for (const d of deliveries) {
      const stored = d.copy as StoredCopy;
      const targets = d.workerIds.map((id) => this.workers.get(id)!).filter((w) => w.socket);
      if (targets.length === 0) continue;
      for (const w of targets) {
        Object.assign(w, afterDelivery({ workerId: w.workerId, groupId: w.machineId, heldLocal: w.heldLocal, heldGlobal: w.heldGlobal }, d));
        w.bytesDown += stored.weights.byteLength;
        w.dirty = true;
        a.round.downloads++;
        a.round.bytesDown += stored.weights.byteLength;
      }
      sends.push({
        socketIds: targets.map((w) => w.socket!.id),
        meta: { runId: a.run.id, kind: d.kind, leaderId: d.copy.leaderId, version: d.copy.version, step: d.copy.step },
        bytes: Buffer.from(stored.weights.buffer, stored.weights.byteOffset, stored.weights.byteLength),
      });
    }
    this.persist(a, false);
    for (const s of sends) this.nsp.to(s.socketIds).emit('leaderCopy', s.meta, s.bytes);
  }

  private countUp(a: ActiveRun, w: LiveWorker, bytes: number): void {
    w.bytesUp += bytes;
    w.dirty = true;
    a.round.uploads++;
    a.round.bytesUp += bytes;
  }

  private countDown(a: ActiveRun, w: LiveWorker, bytes: number): void {
    w.bytesDown += bytes;
    w.dirty = true;
    a.round.downloads++;
    a.round.bytesDown += bytes;
  }

  private quarantine(a: ActiveRun, w: LiveWorker, reason: string): void {
    w.quarantined = true;
    w.loss = null;
    w.dirty = true;
    w.uploadRequest = null;
    if (a.verifiedGlobal === w.workerId) {
      a.verifiedGlobal = null;
      a.lastCheck = null;
    }
    for (const [g, copy] of a.groupCopies) if (copy.leaderId === w.workerId) a.groupCopies.delete(g);
    this.store.transaction(() => {
      this.store.addEvent(a.run.id, this.now(), 'quarantine', w.workerId, reason);
      this.persist(a, false);
    });
  }

  // ---- baselines (easgd, sync-sgd, local): their rules live in server/algorithms, the coordinator hosts them

  private baselineFor(a: ActiveRun, checkpoint: Float32Array | null, step: number): ActiveRun['baseline'] {
    const start = () => checkpoint ?? initialParameters(a.spec, a.run.config.seed);
    switch (a.run.config.algorithm) {
      case 'lsgd': return null;
      case 'easgd': return new Easgd(this.hostFor(a), start());
      case 'sync-sgd': return new SyncSgd(this.hostFor(a), start(), step);
      case 'local': return new Local(this.hostFor(a));
    }
  }

  private hostFor(a: ActiveRun): AlgorithmHost {
    const live = (id: string) => this.workers.get(id);
    return {
      runId: a.run.id,
      paramLength: a.run.paramLength,
      hyper: a.run.config.hyper,
      members: () => {
        const now = this.now();
        return [...this.workers.values()].filter((w) => this.eligible(w, now)).map((w) => ({ workerId: w.workerId, loss: w.loss }));
      },
      countUp: (id, bytes) => this.countUp(a, live(id)!, bytes),
      countDown: (id, bytes) => this.countDown(a, live(id)!, bytes),
      closeRound: (step) => {
        this.writeRound(a);
        a.round = { n: a.round.n + 1, uploads: 0, downloads: 0, bytesUp: 0, bytesDown: 0 };
        a.run = { ...a.run, rounds: a.round.n, step: Math.max(a.run.step, step) };
        this.persist(a, false);
        const stop = a.run.config.stop;
        if (stop.steps !== undefined && a.run.step >= stop.steps && this.active === a) this.finish('finished', `reached ${stop.steps} steps`);
      },
      setModel: (weights, step, source) => {
        a.globalCopy = { leaderId: source, version: ++a.version, step, weights };
      },
      evaluateModel: () => {
        if (a.globalCopy) void this.evaluateGlobal(a, this.checkpoint(a, false));
      },
      broadcastGradient: (ids, meta, grad) => this.broadcastGradient(a, ids, meta, grad),
      requestUpload: (id) => {
        const w = live(id);
        if (!w?.socket || w.uploadRequest) return;
        w.uploadRequest = { id: ++this.requestSeq, at: this.now() };
        w.socket.emit('uploadRequest', { runId: a.run.id, requestId: w.uploadRequest.id });
      },
    };
  }

  /** Counted first, then sent as ONE broadcast (encoded once), like leader copies. */
  private broadcastGradient(a: ActiveRun, ids: readonly string[], meta: AveragedGradientMeta, grad: Float32Array): void {
    const targets = ids.map((id) => this.workers.get(id)!).filter((w) => w.socket);
    for (const w of targets) this.countDown(a, w, grad.byteLength);
    this.persist(a, false);
    this.nsp.to(targets.map((w) => w.socket!.id)).emit('averagedGradient', meta, Buffer.from(grad.buffer, grad.byteOffset, grad.byteLength));
  }

  /** The binary payload of a baseline message from a bound worker of the running run, counted as received. */
  private baselinePayload(socket: WorkerSocket, event: string, meta: unknown, bytes: unknown, algorithm: string): { a: ActiveRun; w: LiveWorker; weights: Float32Array } | string {
    const w = this.boundWorker(socket);
    if (!w) return 'say hello first';
    const a = this.active;
    const runId = (meta as { runId?: unknown } | null)?.runId;
    if (!a || a.run.id !== runId || a.run.state !== 'running') return `run ${String(runId)} is not running`;
    if (a.run.config.algorithm !== algorithm) return `run ${a.run.id} trains with ${a.run.config.algorithm}, not ${algorithm}: no ${event} messages`;
    if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) return `${event}: the payload must be binary (ArrayBuffer of f32)`;
    this.countUp(a, w, bytes.byteLength);
    w.lastSeen = this.now();
    if (w.quarantined) return 'quarantined';
    try {
      return { a, w, weights: checkedLeaderCopy(bytesToWeights(bytes), a.run.paramLength) };
    } catch (err) {
      return (err as Error).message;
    }
  }

  private onPush(socket: WorkerSocket, args: unknown[], reject: (e: string, m: string) => void): void {
    const ack = ackOf<PushReply>(args[2]) as ((reply: PushReply, center: Buffer | null) => void) | null;
    const fail = (error: string) => {
      ack?.({ ok: false, error }, null);
      reject('push', error);
    };
    const parsed = pushMetaSchema.safeParse(args[0]);
    if (!parsed.success) return fail(issueText(parsed.error));
    const got = this.baselinePayload(socket, 'push', parsed.data, args[1], 'easgd');
    if (typeof got === 'string') return fail(got);
    const { a, w, weights } = got;
    const violation = normBoundViolation(weights, this.normReference(a), { factor: this.config.normBoundFactor, floor: this.config.normBoundFloor });
    if (violation) {
      this.quarantine(a, w, `push rejected: out of the norm bound: ${violation}`);
      return fail(`weights rejected: out of the norm bound: ${violation}`);
    }
    w.step = parsed.data.step;
    const { center, version } = (a.baseline as Easgd).onPush(w.workerId, weights, parsed.data.step);
    ack?.({ ok: true, version }, Buffer.from(center.buffer, center.byteOffset, center.byteLength));
  }

  private onGradient(socket: WorkerSocket, args: unknown[], reject: (e: string, m: string) => void): void {
    const ack = ackOf<GradientReply>(args[2]);
    const parsed = gradientMetaSchema.safeParse(args[0]);
    if (!parsed.success) {
      ack?.({ ok: false, error: issueText(parsed.error) });
      return reject('gradient', issueText(parsed.error));
    }
    const got = this.baselinePayload(socket, 'gradient', parsed.data, args[1], 'sync-sgd');
    if (typeof got === 'string') {
      ack?.({ ok: false, error: got });
      return reject('gradient', got);
    }
    const sync = got.a.baseline as SyncSgd;
    got.w.step = parsed.data.step;
    // a refused step is the worker's cue to retry or resynchronise, not a protocol violation
    const error = sync.onGradient(got.w.workerId, parsed.data.step, got.weights);
    // A worker behind the run (it was paused or reconnected mid-step) gets the shared model to catch up from.
    if (error && parsed.data.step < sync.step) this.resync(got.a, got.w);
    ack?.(error ? { ok: false, error, step: sync.step } : { ok: true });
  }

  /** The run's current model, sent to one worker as a global copy (its step tells the worker where the run is). */
  private resync(a: ActiveRun, w: LiveWorker): void {
    const c = a.globalCopy;
    if (!c || !w.socket) return;
    this.countDown(a, w, c.weights.byteLength);
    w.socket.emit('leaderCopy', { runId: a.run.id, kind: 'global', leaderId: c.leaderId, version: c.version, step: c.step }, Buffer.from(c.weights.buffer, c.weights.byteOffset, c.weights.byteLength));
  }

  // ---- roles

  private rolesOf(a: ActiveRun, w: LiveWorker): Roles {
    const localId = a.leaders.local.get(w.machineId) ?? null;
    const localCopy = a.groupCopies.get(w.machineId);
    return {
      runId: a.run.id,
      isLocalLeader: localId === w.workerId,
      isGlobalLeader: a.verifiedGlobal === w.workerId,
      localLeader: localId ? { workerId: localId, version: localCopy?.leaderId === localId ? localCopy.version : 0 } : null,
      globalLeader: a.verifiedGlobal ? { workerId: a.verifiedGlobal, version: a.globalCopy?.version ?? 0 } : null,
      quarantined: w.quarantined,
    };
  }

  private pushRoles(a: ActiveRun, changed: boolean): void {
    if (!changed) return;
    for (const w of this.workers.values()) w.socket?.emit('roles', this.rolesOf(a, w));
  }

  private broadcastState(a: ActiveRun): void {
    for (const w of this.workers.values()) w.socket?.emit('runState', { runId: a.run.id, state: a.run.state });
  }

  // ---- rounds, checkpoints, evaluation, stop conditions

  private newRound(a: ActiveRun, copy: StoredCopy): void {
    // the upload that made this copy opens the new round
    const carried = copy.weights.byteLength;
    a.round.uploads--;
    a.round.bytesUp -= carried;
    this.writeRound(a);
    a.round = { n: a.round.n + 1, uploads: 1, downloads: 0, bytesUp: carried, bytesDown: 0 };
    a.run = { ...a.run, rounds: a.round.n, step: Math.max(a.run.step, copy.step) };
  }

  /** The open round's row as it stands; rewritten until the next round opens. */
  private writeRound(a: ActiveRun): void {
    const r = a.round;
    if (r.n === 0 && r.uploads + r.downloads === 0) return;
    this.store.addRound(a.run.id, { round: r.n, t: this.now(), step: a.run.step, uploads: r.uploads, downloads: r.downloads, bytesUp: r.bytesUp, bytesDown: r.bytesDown });
  }

  private afterRound(a: ActiveRun): void {
    const n = a.round.n;
    const checkpointId = n % this.config.checkpointEveryRounds === 0 ? this.checkpoint(a, false) : null;
    if (checkpointId !== null || n % this.config.evalEveryRounds === 0) void this.evaluateGlobal(a, checkpointId);
    const stop = a.run.config.stop;
    if (stop.steps !== undefined && a.run.step >= stop.steps) this.finish('finished', `reached ${stop.steps} steps`);
  }

  private checkpoint(a: ActiveRun, final: boolean): number {
    const c = a.globalCopy!;
    return this.store.addCheckpoint(a.run.id, { t: this.now(), step: c.step, round: a.round.n, version: c.version, workerId: c.leaderId, final, weights: c.weights });
  }

  private async evaluateGlobal(a: ActiveRun, checkpointId: number | null): Promise<void> {
    const c = a.globalCopy;
    if (!c || (a.evaluating && checkpointId === null)) return;
    a.evaluating = true;
    a.lastEvalAt = this.now();
    try {
      const test = (await this.datasets.dataset(a.run.config.dataset)).test;
      const m = await this.evaluator.evaluate(a.spec, c.weights, test, 0, this.config.evalSamples);
      this.store.addEval(a.run.id, { t: this.now(), step: c.step, version: c.version, workerId: c.leaderId, samples: m.samples, testLoss: m.loss, testAccuracy: m.accuracy });
      if (checkpointId !== null) this.store.setCheckpointEval(checkpointId, m.loss, m.accuracy);
      const target = a.run.config.stop.targetAccuracy;
      if (target !== undefined && m.accuracy >= target && this.active === a) this.finish('finished', `test accuracy ${m.accuracy.toFixed(4)} reached the target ${target}`);
    } catch (err) {
      this.store.addEvent(a.run.id, this.now(), 'error', c.leaderId, `evaluation failed: ${(err as Error).message}`);
    } finally {
      a.evaluating = false;
    }
  }

  private accountRunningTime(a: ActiveRun): void {
    if (a.runningSince === null) return;
    const now = this.now();
    a.run = { ...a.run, runningMs: a.run.runningMs + (now - a.runningSince) };
    a.runningSince = now;
  }

  private saveProgress(a: ActiveRun): void {
    this.store.setProgress(a.run.id, { step: a.run.step, rounds: a.round.n, runningMs: a.run.runningMs });
  }

  /**
   * The open round's row, the run's progress and the changed workers' counters in ONE transaction, so the per-worker
   * byte counters always add up to the stored rounds, also after a kill -9.
   */
  private persist(a: ActiveRun, allWorkers: boolean): void {
    const dirty = [...this.workers.values()].filter((w) => allWorkers || w.dirty);
    this.store.transaction(() => {
      this.writeRound(a);
      this.saveProgress(a);
      this.store.saveWorkers(a.run.id, dirty.map(({ workerId, machineId, adapter, firstSeen, lastSeen, bytesUp, bytesDown, malformed, quarantined }) => ({ workerId, machineId, adapter, firstSeen, lastSeen, bytesUp, bytesDown, malformed, quarantined })));
    });
    for (const w of dirty) w.dirty = false;
  }

  /** Heartbeat timeouts, lost upload requests, running time and the minutes stop condition. */
  private tick(): void {
    const a = this.active;
    if (!a || a.run.state !== 'running') return;
    const now = this.now();
    for (const w of this.workers.values()) {
      if (w.uploadRequest && now - w.uploadRequest.at > this.config.heartbeatTimeoutMs) w.uploadRequest = null;
    }
    this.reelect();
    if (now - a.lastEvalAt >= this.config.evalEveryMs) {
      a.lastEvalAt = now;
      if (a.baseline) a.baseline.evaluationDue();
      else void this.evaluateGlobal(a, null);
    }
    this.accountRunningTime(a);
    if (now - this.lastProgressSave >= 2000) {
      this.lastProgressSave = now;
      this.persist(a, false);
    }
    const minutes = a.run.config.stop.minutes;
    if (minutes !== undefined && a.run.runningMs >= minutes * 60_000) this.finish('finished', `ran for ${minutes} minutes`);
  }
}

function ackOf<T>(x: unknown): ((reply: T) => void) | null {
  return typeof x === 'function' ? (x as (reply: T) => void) : null;
}

function issueText(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || '(message)'}: ${i.message}`).join('; ');
}

export function paramLengthOf(spec: ModelSpec): number {
  return parameterLayout(spec).length;
}
