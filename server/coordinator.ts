// The Socket.IO coordinator: binds tabs to workers, keeps the live state of the active run, runs it as the REST
// API says, and validates the workers' messages. Its parts do the rest: leader_copies.ts (lsgd's leaders and their
// copies), baseline_host.ts (easgd, sync-sgd, local) and run_recorder.ts (the run's rounds and store writes).
import { randomBytes } from 'node:crypto';
import { parameterLayout } from '../shared/layout.ts';
import { decodeCopy } from '../shared/copy_encoding.ts';
import type { ModelSpec } from '../shared/model.ts';
import {
  heartbeatSchema, helloSchema, nicknameSchema, reportSchema, uploadMetaSchema,
  type Assignment, type HelloReply, type NicknameReply, type ReportReply, type UploadReply,
} from '../shared/protocol.ts';
import { resolveModel, type RunView } from '../shared/run_config.ts';
import { BaselineHost } from './baseline_host.ts';
import { globalCopyObject, type CopyObject } from './copy_objects.ts';
import type { Config } from './config.ts';
import type { DatasetService } from './dataset_service.ts';
import type { LeaderEvaluator } from './evaluator.ts';
import { LeaderCopies } from './leader_copies.ts';
import { boundWorker, normBound, normReference, type ActiveRun, type CoordinatorContext, type LiveWorker, type WorkerNamespace, type WorkerSocket } from './live_state.ts';
import { normBoundViolation } from './norm_bound.ts';
import type { SegmentVerifier } from './proof_verifier.ts';
import { issuedShuffleSeed, ProofsOfWork } from './proofs.ts';
import { TokenBucket } from './rate_limit.ts';
import { Identities } from './identities.ts';
import { ackOf, issueText, type Reject } from './replies.ts';
import { stepImplausible } from './step_bound.ts';
import { RunRecorder } from './run_recorder.ts';
import type { Store } from './store.ts';
import { TextSamples } from './text_samples.ts';

const KNOWN_EVENTS = new Set(['hello', 'report', 'upload', 'heartbeat', 'push', 'gradient', 'proof', 'nickname']);

export class Coordinator {
  private readonly workers = new Map<string, LiveWorker>();
  private active: ActiveRun | null = null;
  private requestSeq = 0;
  private readonly timer: NodeJS.Timeout;
  private lastProgressSave = 0;
  private readonly recorder: RunRecorder;
  private readonly leaderCopies: LeaderCopies;
  private readonly baselines: BaselineHost;
  private readonly identities: Identities;
  private readonly proofs: ProofsOfWork;
  private readonly samples: TextSamples;

  constructor(
    nsp: WorkerNamespace,
    private readonly store: Store,
    private readonly config: Config,
    private readonly datasets: DatasetService,
    evaluator: LeaderEvaluator,
    verifier: SegmentVerifier,
    private readonly now: () => number = Date.now,
  ) {
    this.identities = new Identities({ perAddressPerMinute: config.identitiesPerMinute });
    const ctx: CoordinatorContext = {
      nsp, store, config, datasets, evaluator, now, workers: this.workers,
      active: () => this.active,
      finish: (state, reason) => this.finish(state, reason),
      requestUpload: (a, w) => this.requestUpload(a, w),
      quarantine: (a, w, reason) => this.leaderCopies.quarantine(a, w, reason),
      reelect: () => this.reelect(),
      auditGradient: (a, w, step, model, grad) => this.proofs.auditGradient(a, w, step, model, grad),
      recordExchange: (w, version, center) => this.proofs.recordExchange(w, version, center),
    };
    this.recorder = new RunRecorder(ctx);
    this.leaderCopies = new LeaderCopies(ctx, this.recorder);
    this.baselines = new BaselineHost(ctx, this.recorder);
    this.proofs = new ProofsOfWork(ctx, verifier);
    this.samples = new TextSamples(store, datasets, now);
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
      run, spec, leaders: { local: new Map(), global: null }, verifiedGlobal: null, initial: null,
      globalMeasure: null, anchors: [], recentGlobals: [], checking: null, lastCheckAt: 0, lastChallengeAt: this.now(), lastTurn: 'leader', benched: new Map(),
      copies: new Map(), globalCopy, version: checkpoint?.version ?? 0,
      // the open round goes on counting from what was stored of it (a restart must not zero its bytes)
      round: { n: run.rounds, uploads: 0, downloads: 0, bytesUp: 0, bytesDown: 0, ...this.store.round(run.id, run.rounds) },
      runningSince: run.state === 'running' ? this.now() : null, evaluating: false, lastEvalAt: this.now(), baseline: null,
    };
    this.active.baseline = this.baselines.baselineFor(this.active, checkpoint?.weights ?? null, checkpoint?.step ?? 0);
    // A tab that stayed connected from an earlier run starts this one with this run's counters and no loss:
    // bytes are per run, and a loss from another run must not elect a leader here.
    const stored = new Map(this.store.workers(run.id).map((r) => [r.workerId, r]));
    for (const w of this.workers.values()) {
      const r = stored.get(w.workerId);
      Object.assign(w, {
        bytesUp: r?.bytesUp ?? 0, bytesDown: r?.bytesDown ?? 0, malformed: r?.malformed ?? 0, quarantined: r?.quarantined ?? false,
        step: globalCopy?.step ?? 0, stepAt: this.now(), trained: r !== undefined, loss: null, heldGlobal: 0, uploadRequest: null, dirty: true,
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
    this.recorder.accountRunningTime(a);
    a.run = { ...a.run, state: running ? 'running' : 'paused' };
    a.runningSince = running ? this.now() : null;
    this.recorder.saveProgress(a);
    this.broadcastState(a);
    if (running) this.reelect();
  }

  /** Ends the active run: flushes its round and counters, keeps a final checkpoint, and sends the tabs to wait. */
  finish(state: 'stopped' | 'finished', reason: string): void {
    const a = this.active;
    if (!a) return;
    this.recorder.accountRunningTime(a);
    this.store.transaction(() => {
      this.recorder.persist(a, true);
      if (a.globalCopy) this.recorder.checkpoint(a, true);
      this.store.setState(a.run.id, state, this.now());
      this.store.addEvent(a.run.id, this.now(), state, null, reason);
    });
    a.run = { ...a.run, state };
    this.broadcastState(a);
    this.samples.ended(a);
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

  /** What a text run's global copies wrote, oldest first (server/text_samples.ts). */
  textSamples(runId: number) {
    return this.samples.list(runId);
  }

  close(): void {
    clearInterval(this.timer);
    this.proofs.close();
    void this.samples.close();
    if (this.active) {
      this.recorder.accountRunningTime(this.active);
      this.recorder.persist(this.active, true);
    }
    this.store.flush();
  }

  private broadcastState(a: ActiveRun): void {
    for (const w of this.workers.values()) w.socket?.emit('runState', { runId: a.run.id, state: a.run.state });
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
    socket.on('push', (...args) => guard('push', args, (a) => this.baselines.onPush(socket, a, reject)));
    socket.on('gradient', (...args) => guard('gradient', args, (a) => this.baselines.onGradient(socket, a, reject)));
    socket.on('proof', (...args) => guard('proof', args, (a) => this.proofs.onProof(socket, a, reject)));
    socket.on('nickname', (...args) => guard('nickname', args, (a) => this.onNickname(socket, a, reject)));
    socket.on('disconnect', () => this.onDisconnect(socket));
  }

  private onHello(socket: WorkerSocket, args: unknown[], reject: Reject): void {
    const ack = ackOf<HelloReply>(args[1]);
    const parsed = helloSchema.safeParse(args[0]);
    if (!parsed.success) {
      ack?.({ ok: false, error: issueText(parsed.error) });
      return reject('hello', issueText(parsed.error));
    }
    if (socket.data.workerId) {
      ack?.({ ok: false, error: 'this connection has said hello already' });
      return reject('hello', 'a connection says hello once');
    }
    const now = this.now();
    const address = socket.handshake.address;
    const admitted = this.identities.admit(parsed.data, address, now);
    if (!admitted.ok) {
      // refused and logged; whoever holds the identity stays connected
      ack?.({ ok: false, error: admitted.error });
      if (this.active && admitted.refused === 'credential') this.store.addEvent(this.active.run.id, now, 'identity-refused', null, `${address}: ${admitted.error}`);
      return reject('hello', admitted.error);
    }
    const { tabId, machineId } = admitted;
    const assignment = this.currentAssignment(tabId);
    let w = this.workers.get(tabId);
    // the same tab reconnecting (a reload, a network change): its newer connection replaces the old one
    if (w?.socket && w.socket.id !== socket.id) w.socket.disconnect(true);
    if (!w) {
      w = {
        workerId: tabId, machineId, adapter: parsed.data.adapter, firstSeen: now, lastSeen: now, address, trained: false,
        bytesUp: 0, bytesDown: 0, malformed: 0, quarantined: false, socket: null, step: assignment?.startStep ?? 0, stepAt: now, loss: null,
        handle: randomBytes(8).toString('hex'), heldGlobal: 0, uploadRequest: null, lastRequestId: 0, dirty: false, paused: false,
      };
      this.workers.set(tabId, w);
    }
    Object.assign(w, { socket, adapter: parsed.data.adapter, address, lastSeen: now, heldGlobal: 0, uploadRequest: null, paused: false });
    // a new connection is a new page: its training, and so its chain of commitments, starts afresh
    this.proofs.left(tabId);
    socket.data.workerId = tabId;
    if (this.active && w.trained) this.store.addEvent(this.active.run.id, now, 'rejoin', tabId, `rejoined machine ${machineId}`);
    const credentials = admitted.credentials ?? { machine: parsed.data.machine!, tab: parsed.data.tab! };
    ack?.({ ok: true, credentials, resumed: admitted.resumed, assignment, wait: assignment ? null : { reason: 'no run is active' } });
    if (!ack) this.assign(w);
    else if (assignment) this.afterAssign(w, assignment);
    socket.emit('credit', this.store.credits.creditOf(machineId, tabId));
    this.reelect(w);
  }

  private onReport(socket: WorkerSocket, args: unknown[], reject: Reject): void {
    const ack = ackOf<ReportReply>(args[1]);
    const parsed = reportSchema.safeParse(args[0]);
    const w = boundWorker(this.workers, socket);
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
    this.identities.touch(w.workerId, now);
    const implausible = stepImplausible(w, r.step, now, this.config.maxStepsPerSec, a.run.config.hyper.tau);
    if (implausible) {
      ack?.({ ok: false, error: implausible });
      return reject('report', implausible);
    }
    if (!w.quarantined) {
      // samples and speed follow from the steps the server accepted, never from what the tab says it did
      const samples = Math.max(0, r.step - w.step) * a.run.config.hyper.batch;
      const samplesPerSec = now > w.stepAt ? (samples * 1000) / (now - w.stepAt) : 0;
      if (!w.trained) this.store.addEvent(a.run.id, now, 'join', w.workerId, `trains on machine ${w.machineId}`);
      Object.assign(w, { step: r.step, stepAt: now, loss: r.lossEstimate, trained: true, dirty: true });
      this.store.addWorkerMetric(a.run.id, { t: now, workerId: w.workerId, machineId: w.machineId, step: r.step, loss: r.lossEstimate, samplesPerSec, samples });
      this.reelect(w);
    }
    const proof = this.proofs.onReport(a, w, r.step, r.commitment);
    ack?.({ ok: true, roles: this.leaderCopies.rolesOf(a, w), proof });
  }

  /** A volunteer names its machine (every tab of its browser) on the leaderboard. */
  private onNickname(socket: WorkerSocket, args: unknown[], reject: Reject): void {
    const ack = ackOf<NicknameReply>(args[1]);
    const w = boundWorker(this.workers, socket);
    const parsed = nicknameSchema.safeParse(args[0]);
    if (!w || !parsed.success) {
      const error = !w ? 'say hello first' : issueText(parsed.error!);
      ack?.({ ok: false, error });
      return reject('nickname', error);
    }
    const taken = this.store.credits.setNickname(w.machineId, parsed.data.name);
    if (taken) return ack?.({ ok: false, error: taken });
    for (const tab of this.workers.values()) {
      if (tab.machineId === w.machineId && tab !== w) tab.socket?.emit('credit', this.store.credits.creditOf(tab.machineId, tab.workerId));
    }
    ack?.({ ok: true, credit: this.store.credits.creditOf(w.machineId, w.workerId) });
  }

  private onHeartbeat(socket: WorkerSocket, args: unknown[], reject: Reject): void {
    const parsed = heartbeatSchema.safeParse(args[0]);
    const w = boundWorker(this.workers, socket);
    if (!parsed.success || !w) return reject('heartbeat', !w ? 'say hello first' : issueText(parsed.error!));
    w.lastSeen = this.now();
    const paused = parsed.data.paused ?? false;
    if (paused !== w.paused) {
      w.paused = paused;
      w.dirty = true;
      this.reelect(w);
    }
  }

  private onUpload(socket: WorkerSocket, args: unknown[], reject: Reject): void {
    const ack = ackOf<UploadReply>(args[2]);
    const fail = (error: string) => {
      ack?.({ ok: false, error });
      reject('upload', error);
    };
    const w = boundWorker(this.workers, socket);
    if (!w) return fail('say hello first');
    const parsed = uploadMetaSchema.safeParse(args[0]);
    if (!parsed.success) return fail(issueText(parsed.error));
    const a = this.active;
    const meta = parsed.data;
    // a late answer from a run that ended is not malformed either
    if (!a || a.run.id !== meta.runId) return ack?.({ ok: false, error: `run ${meta.runId} is not active` });
    if (!w.uploadRequest || w.uploadRequest.id !== meta.requestId) {
      // an answer to a request that lapsed or was replaced (a slow tab, a change of leader) is late, not malformed
      if (meta.requestId > 0 && meta.requestId <= w.lastRequestId) return ack?.({ ok: false, error: 'this upload request is no longer open' });
      return fail('upload without a request: only leaders upload, and only when asked');
    }
    w.uploadRequest = null;
    const implausible = stepImplausible(w, meta.step, this.now(), this.config.maxStepsPerSec, a.run.config.hyper.tau);
    if (implausible) return fail(implausible);
    Object.assign(w, { step: meta.step, stepAt: this.now() });
    const bytes = args[1];
    if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) return fail(`weights must be binary (${meta.encoding}, as the upload says)`);
    this.recorder.countUp(a, w, bytes.byteLength);
    if (w.quarantined) {
      this.recorder.persist(a, false);
      return fail('quarantined');
    }
    let weights: Float32Array;
    try {
      // a view over the received message (copied only when unaligned): the socket does not reuse it
      // decoding checks the length and that every value is finite
      weights = decodeCopy(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), meta.encoding, a.run.paramLength);
      const violation = normBoundViolation(weights, normReference(a), normBound(a, this.config));
      if (violation) throw new Error(`out of the norm bound: ${violation}`);
    } catch (err) {
      // a correct tab never sends these: the sender cannot lead
      const reason = (err as Error).message;
      this.store.addEvent(a.run.id, this.now(), 'upload-rejected', w.workerId, reason);
      this.leaderCopies.quarantine(a, w, `upload rejected: ${reason}`);
      fail(`weights rejected: ${reason}`);
      return this.reelect(w);
    }
    if (a.baseline) {
      a.baseline.onUpload(w.workerId, weights, meta.step);
      this.recorder.persist(a, false);
      return ack?.({ ok: true, version: a.version });
    }
    this.leaderCopies.onUpload(a, w, { weights, step: meta.step, bytes: bytes.byteLength }, ack);
  }

  private onDisconnect(socket: WorkerSocket): void {
    const w = boundWorker(this.workers, socket);
    if (!w) return;
    w.socket = null;
    w.uploadRequest = null;
    w.lastSeen = this.now();
    this.proofs.left(w.workerId);
    if (this.active && w.trained) {
      w.dirty = true;
      this.store.addEvent(this.active.run.id, this.now(), 'leave', w.workerId, `left machine ${w.machineId}`);
    }
    this.reelect(w);
  }

  // ---- assignment

  /** What a tab joining now is given: the same for every tab of the active run but its minibatch order. */
  private currentAssignment(tabId: string): Assignment | null {
    const a = this.active;
    if (!a) return null;
    const manifest = this.datasets.cachedManifest(a.run.config.dataset);
    if (!manifest) return null;
    return {
      runId: a.run.id, runName: a.run.config.name, algorithm: a.run.config.algorithm, spec: a.spec, paramLength: a.run.paramLength,
      hyper: a.run.config.hyper, seed: a.run.config.seed, start: a.globalCopy ? 'global' : 'seed', startStep: a.globalCopy?.step ?? 0,
      state: a.run.state, datasetUrl: this.datasets.manifestUrl(a.run.config.dataset), dataset: manifest, heartbeatMs: this.config.heartbeatMs,
      copyEncoding: a.run.config.copyEncoding, shuffleSeed: issuedShuffleSeed(a.run.id, a.run.config.seed, tabId),
    };
  }

  private assign(w: LiveWorker): void {
    const assignment = this.currentAssignment(w.workerId);
    if (!assignment) return void w.socket?.emit('wait', { reason: 'no run is active' });
    w.socket?.emit('assignment', assignment);
    this.afterAssign(w, assignment);
  }

  /** A tab that joins (or reloads) hears of the current global copy at once: it starts from it, or pulls toward it. */
  private afterAssign(w: LiveWorker, assignment: Assignment): void {
    const a = this.active;
    if (!a || !a.globalCopy || w.quarantined) return;
    if (assignment.start === 'global' || (a.run.config.algorithm === 'lsgd' && a.run.config.hyper.lambdaG > 0 && a.verifiedGlobal !== w.workerId)) this.leaderCopies.notify(a, [w.workerId]);
  }

  /** A copy a tab may fetch (GET /api/runs/:id/copies/:version): only the active run's, and only those it keeps. */
  copyObject(runId: number, version: number): CopyObject | null {
    const a = this.active;
    if (!a || a.run.id !== runId) return null;
    return a.copies.get(version) ?? (a.globalCopy?.version === version ? globalCopyObject(a) : null);
  }

  /** Counts and stores a copy's bytes before the server sends them (a cache in front answers the rest without it),
   *  so a kill never leaves bytes sent but not counted; to the tab that says it asked, if any. */
  copyServed(runId: number, bytes: number, tabId: string | undefined): void {
    const a = this.active;
    if (!a || a.run.id !== runId) return;
    this.recorder.countDown(a, tabId === undefined ? undefined : this.workers.get(tabId), bytes);
    this.recorder.persist(a, false);
  }

  // ---- elections and upload requests, for lsgd's leaders and the baselines alike

  /** `changed`: the one worker whose claim or standing changed (lsgd then elects only its group); none: elect all. */
  private reelect(changed: LiveWorker | null = null): void {
    const a = this.active;
    if (!a || a.run.state !== 'running') return;
    if (a.baseline) return a.baseline.membershipChanged();
    this.leaderCopies.reelect(a, changed);
  }

  private requestUpload(a: ActiveRun, w: LiveWorker): void {
    w.uploadRequest = { id: ++this.requestSeq, at: this.now() };
    w.lastRequestId = w.uploadRequest.id;
    w.socket?.emit('uploadRequest', { runId: a.run.id, requestId: w.uploadRequest.id });
  }

  // ---- timer

  /**
   * Forgets disconnected tabs: those that never trained after identityIdleMs, the rest after identityExpireMs (a
   * trained tab's record stays in the store). Keeps memory per fresh identity bounded however many a script makes.
   */
  private expireIdentities(now: number): void {
    const { identityIdleMs, identityExpireMs } = this.config;
    for (const [id, w] of this.workers) {
      if (w.socket || now - w.lastSeen <= (w.trained ? identityExpireMs : identityIdleMs)) continue;
      if (w.dirty && this.active) this.recorder.persist(this.active, false);
      this.workers.delete(id);
      this.identities.forget(id);
      this.proofs.forget(id, w.handle);
    }
    this.identities.sweep(now, now - identityIdleMs);
  }

  /** The reports' metric rows, identities that expired, heartbeat timeouts, lost upload requests, running time and the minutes stop condition. */
  private tick(): void {
    const now = this.now();
    this.store.flush();
    this.expireIdentities(now);
    const a = this.active;
    if (!a || a.run.state !== 'running') return;
    for (const w of this.workers.values()) {
      if (w.uploadRequest && now - w.uploadRequest.at > this.config.heartbeatTimeoutMs) w.uploadRequest = null;
    }
    this.proofs.tick(a, now);
    this.samples.tick(a);
    this.reelect();
    if (now - a.lastEvalAt >= this.config.evalEveryMs) {
      a.lastEvalAt = now;
      if (a.baseline) a.baseline.evaluationDue();
      else void this.recorder.evaluateGlobal(a, null);
    }
    this.recorder.accountRunningTime(a);
    if (now - this.lastProgressSave >= 2000) {
      this.lastProgressSave = now;
      this.recorder.persist(a, false);
    }
    const minutes = a.run.config.stop.minutes;
    if (minutes !== undefined && a.run.runningMs >= minutes * 60_000) this.finish('finished', `ran for ${minutes} minutes`);
  }
}

export function paramLengthOf(spec: ModelSpec): number {
  return parameterLayout(spec).length;
}
