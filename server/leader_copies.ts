// LSGD's leader copies, as the coordinator runs them on the live state: elects leaders, asks them (only) for
// uploads, checks a new global leader's claimed loss, keeps the accepted copies and relays them to the followers that
// need them. The rules are plain functions in election.ts, relay.ts and claim.ts; this applies them.
import type { LeaderCopyMeta, Roles, UploadReply } from '../shared/protocol.ts';
import { claimHolds } from './claim.ts';
import { elect, leaderChanges } from './election.ts';
import type { Measured } from './evaluator.ts';
import { isEligible, type ActiveRun, type CoordinatorContext, type LiveWorker, type StoredCopy } from './live_state.ts';
import { afterDelivery, leadersToAsk, planDeliveries, type Delivery } from './relay.ts';
import type { RunRecorder } from './run_recorder.ts';

type UploadAck = ((reply: UploadReply) => void) | null;

export class LeaderCopies {
  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly recorder: RunRecorder,
  ) {}

  /** Elects the leaders of a running lsgd run from the workers' latest losses, then asks the leaders for uploads. */
  reelect(a: ActiveRun): void {
    const now = this.ctx.now();
    const candidates = [...this.ctx.workers.values()].map((w) => ({ workerId: w.workerId, groupId: w.machineId, loss: w.loss, eligible: isEligible(w, now, this.ctx.config.heartbeatTimeoutMs) }));
    const before = a.leaders;
    a.leaders = elect(candidates, before, this.ctx.config.electionHysteresis);
    const changes = leaderChanges(before, a.leaders);
    for (const g of changes.groups) {
      const id = a.leaders.local.get(g);
      this.ctx.store.addEvent(a.run.id, now, 'local-leader', id ?? null, id ? `${id} leads machine ${g}` : `machine ${g} has no leader`);
    }
    if (changes.global && a.leaders.global) this.ctx.store.addEvent(a.run.id, now, 'global-candidate', a.leaders.global, `${a.leaders.global} has the lowest loss; checking its claim`);
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
    const progress = [...leaderIds].map((id) => this.ctx.workers.get(id)!).map((w) => ({
      workerId: w.workerId, reportedStep: w.step, copyStep: this.copyStepOf(a, w), uploadPending: w.uploadRequest !== null || a.verifying === w.workerId,
    }));
    for (const id of leadersToAsk(progress, a.run.config.hyper.tau)) this.ctx.requestUpload(a, this.ctx.workers.get(id)!);
  }

  /** A leader's upload, already validated: the global leader's claim is checked first when it is due. */
  onUpload(a: ActiveRun, w: LiveWorker, weights: Float32Array, step: number, ack: UploadAck): void {
    if (a.leaders.global === w.workerId && this.claimNeedsCheck(a, w)) {
      void this.verifyThenAccept(a, w, weights, step, ack);
      return;
    }
    const version = this.accept(a, w, weights, step);
    if (version === 0) ack?.({ ok: false, error: 'no longer a leader' });
    else ack?.({ ok: true, version });
  }

  /** A new global leader is always checked; a verified one every k-th upload, or when its claimed loss falls sharply. */
  private claimNeedsCheck(a: ActiveRun, w: LiveWorker): boolean {
    if (a.verifiedGlobal !== w.workerId || !a.lastCheck) return true;
    return a.lastCheck.uploadsSince + 1 >= this.ctx.config.claimRecheckEveryUploads || (w.loss ?? 0) < a.lastCheck.loss * (1 - this.ctx.config.claimRecheckDrop);
  }

  private async verifyThenAccept(a: ActiveRun, w: LiveWorker, weights: Float32Array, step: number, ack: UploadAck): Promise<void> {
    const { store, config } = this.ctx;
    a.verifying = w.workerId;
    const recheck = a.verifiedGlobal === w.workerId;
    const claimed = w.loss ?? 0;
    const test = (await this.ctx.datasets.dataset(a.run.config.dataset)).test;
    let measured: Measured;
    try {
      measured = await this.ctx.evaluator.evaluate(a.spec, weights, test, Math.floor(Math.random() * test.count), config.claimCheckSamples);
    } catch (err) {
      // the server's failure, not the worker's: no quarantine, the claim is checked again on its next upload
      store.addEvent(a.run.id, this.ctx.now(), 'error', w.workerId, `claim check failed: ${(err as Error).message}`);
      this.recorder.persist(a, false);
      return ack?.({ ok: false, error: 'the server could not check the claim' });
    } finally {
      a.verifying = null;
    }
    if (this.ctx.active() !== a) return ack?.({ ok: false, error: 'the run ended' });
    const margin = { rel: config.claimMarginRel, abs: config.claimMarginAbs };
    if (!claimHolds(claimed, measured.loss, margin)) {
      this.quarantine(a, w, `${recheck ? 'on a re-check, ' : ''}claimed loss ${claimed.toFixed(4)} but measured ${measured.loss.toFixed(4)} on ${measured.samples} held-out samples`);
      ack?.({ ok: false, error: 'claim failed: quarantined' });
      return this.ctx.reelect();
    }
    a.verifiedGlobal = w.workerId;
    a.lastCheck = { loss: claimed, uploadsSince: -1 };
    store.addEvent(a.run.id, this.ctx.now(), recheck ? 'claim-recheck' : 'global-leader', w.workerId, `claimed ${claimed.toFixed(4)}, measured ${measured.loss.toFixed(4)} on ${measured.samples} held-out samples`);
    const version = this.accept(a, w, weights, step);
    if (version > 0) store.addEval(a.run.id, { t: this.ctx.now(), step, version, workerId: w.workerId, samples: measured.samples, testLoss: measured.loss, testAccuracy: measured.accuracy });
    if (version === 0) ack?.({ ok: false, error: 'no longer a leader' });
    else ack?.({ ok: true, version });
    this.pushRoles(a, true);
  }

  /** Stores a leader's copy as its group's and, for the verified global leader, the global copy; returns the version (0: not a leader any more). */
  private accept(a: ActiveRun, w: LiveWorker, weights: Float32Array, step: number): number {
    const isLocal = a.leaders.local.get(w.machineId) === w.workerId;
    const isGlobal = a.verifiedGlobal === w.workerId && a.leaders.global === w.workerId;
    if (!isLocal && !isGlobal) {
      this.recorder.persist(a, false);
      return 0;
    }
    const copy: StoredCopy = { leaderId: w.workerId, version: ++a.version, step, weights };
    const now = this.ctx.now();
    if (isLocal) {
      a.groupCopies.set(w.machineId, copy);
      this.ctx.store.addLeaderMetric(a.run.id, { t: now, kind: 'local', groupId: w.machineId, workerId: w.workerId, version: copy.version, step, loss: w.loss ?? 0 });
    }
    if (isGlobal) {
      a.globalCopy = copy;
      if (a.lastCheck) a.lastCheck.uploadsSince++;
      this.ctx.store.addLeaderMetric(a.run.id, { t: now, kind: 'global', groupId: w.machineId, workerId: w.workerId, version: copy.version, step, loss: w.loss ?? 0 });
      this.recorder.newRound(a, copy);
    }
    this.relay(a);
    if (isGlobal) this.recorder.afterRound(a);
    return copy.version;
  }

  private relay(a: ActiveRun): void {
    const followers = [...this.ctx.workers.values()].filter((w) => w.socket && !w.quarantined).map((w) => ({ workerId: w.workerId, groupId: w.machineId, heldLocal: w.heldLocal, heldGlobal: w.heldGlobal }));
    const { lambdaL, lambdaG } = a.run.config.hyper;
    const current = { local: a.groupCopies, global: a.globalCopy, localLeaders: a.leaders.local, globalLeader: a.verifiedGlobal };
    this.deliver(a, planDeliveries(followers, current, { local: lambdaL > 0, global: lambdaG > 0 }));
  }

  /**
   * Counts and stores the deliveries first (so a kill never leaves a copy sent but not counted), then sends each
   * copy as ONE broadcast: Socket.IO encodes the packet once and writes the same bytes, a view of the stored copy,
   * to every target socket.
   */
  deliver(a: ActiveRun, deliveries: readonly Delivery[]): void {
    const sends: { socketIds: string[]; meta: LeaderCopyMeta; bytes: Buffer }[] = [];
    for (const d of deliveries) {
      const stored = d.copy as StoredCopy;
      const targets = d.workerIds.map((id) => this.ctx.workers.get(id)!).filter((w) => w.socket);
      if (targets.length === 0) continue;
      for (const w of targets) {
        Object.assign(w, afterDelivery({ workerId: w.workerId, groupId: w.machineId, heldLocal: w.heldLocal, heldGlobal: w.heldGlobal }, d));
        this.recorder.countDown(a, w, stored.weights.byteLength);
      }
      sends.push({
        socketIds: targets.map((w) => w.socket!.id),
        meta: { runId: a.run.id, kind: d.kind, leaderId: d.copy.leaderId, version: d.copy.version, step: d.copy.step },
        bytes: Buffer.from(stored.weights.buffer, stored.weights.byteOffset, stored.weights.byteLength),
      });
    }
    this.recorder.persist(a, false);
    for (const s of sends) this.ctx.nsp.to(s.socketIds).emit('leaderCopy', s.meta, s.bytes);
  }

  /** A worker that failed a check: it loses its loss (so it is not elected again), its lead and its copies. */
  quarantine(a: ActiveRun, w: LiveWorker, reason: string): void {
    w.quarantined = true;
    w.loss = null;
    w.dirty = true;
    w.uploadRequest = null;
    if (a.verifiedGlobal === w.workerId) {
      a.verifiedGlobal = null;
      a.lastCheck = null;
    }
    for (const [g, copy] of a.groupCopies) if (copy.leaderId === w.workerId) a.groupCopies.delete(g);
    this.ctx.store.transaction(() => {
      this.ctx.store.addEvent(a.run.id, this.ctx.now(), 'quarantine', w.workerId, reason);
      this.recorder.persist(a, false);
    });
  }

  rolesOf(a: ActiveRun, w: LiveWorker): Roles {
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
    for (const w of this.ctx.workers.values()) w.socket?.emit('roles', this.rolesOf(a, w));
  }
}
