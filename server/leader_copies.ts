// LSGD's leaders and their copies. Local leaders (one per machine group, whose members hold its credential) are
// elected by their claimed losses; their copies never reach the coordinator: the leader shares the state it
// committed at each report with its machine's other tabs in the browser (client/worker/machine_copies.ts), and the
// leader's commitment is what a proof naming that copy is checked against. The global copy is different: every
// candidate global copy is measured on validation data by the server and replaces the current one only if it is no
// worse (the leader's own next copy) or better (a challenger's) by more than the noise of that measurement. Claims
// only choose whom to measure; once measured, standing is what the server measured. The rules are plain functions
// in election.ts, global_gate.ts and relay.ts; this applies them.
import { outputPositions, trainingFlopsPerSample, type ModelSpec } from '../shared/model.ts';
import { evaluationSamples } from '../shared/reference/model.ts';
import type { Roles, UploadReply } from '../shared/protocol.ts';
import { BestClaims } from './best_claims.ts';
import { globalCopyObject, noticeOf } from './copy_objects.ts';
import { electLocal } from './election.ts';
import type { Measured } from './evaluator.ts';
import { compare, driftCeiling, relativeDistance, verdict } from './global_gate.ts';
import { isEligible, normReference, type ActiveRun, type CoordinatorContext, type LiveWorker, type StoredCopy } from './live_state.ts';
import { leadersToAsk, planDeliveries } from './relay.ts';
import type { RunRecorder } from './run_recorder.ts';

type UploadAck = ((reply: UploadReply) => void) | null;
/** An upload's decoded weights, at `step`, and the bytes it took on the wire (in the run's encoding). */
interface Upload { weights: Float32Array; step: number; bytes: number }

/** Global copies remembered for the re-upload check, and anchors for the drift ceiling. */
const RECENT_GLOBALS = 8;
const ANCHORS = 64;

export class LeaderCopies {
  /** Workers by machine group (see index). */
  private readonly groups = new Map<string, Map<string, LiveWorker>>();
  /** Claims for challengerDue, resynced for each worker an election looks at. */
  private readonly claims = new BestClaims();
  /** The global leader at the last election: its group is elected again with the next changed worker's. */
  private electedGlobal: LiveWorker | null = null;
  /**
   * The roles each connection was last pushed (by socket id), so that only changed roles are pushed. Report acks are
   * not counted: a tab may apply an ack after a push that overtook it in the same read, and then only a later push
   * (compared with the last one) puts it right.
   */
  private readonly rolesSent = new Map<string, Roles>();

  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly recorder: RunRecorder,
  ) {}

  /**
   * Elects the local leaders, keeps or drops the global leader, picks a challenger when one is due, and asks for
   * uploads. With `changed` (a worker whose claim or standing changed) only its group is elected again, with those of
   * the global leader now and at the last election: an election is idempotent, so every other group stays as a full
   * election would leave it, and a report costs O(group size + log N), not a sort of every worker. What changes with
   * time alone (a heartbeat that lapses, a bench that ends) waits for the next full election, once per tick.
   */
  reelect(a: ActiveRun, changed: LiveWorker | null = null): void {
    const now = this.ctx.now();
    const { config, workers, store } = this.ctx;
    const eligible = (w: LiveWorker | undefined): w is LiveWorker => w !== undefined && isEligible(w, now, config.heartbeatTimeoutMs);
    if (changed) this.index(changed);
    else this.reindex();
    if (a.verifiedGlobal && !eligible(workers.get(a.verifiedGlobal))) {
      store.addEvent(a.run.id, now, 'global-leader', a.verifiedGlobal, `${a.verifiedGlobal} left or stopped training; the next copy measured no worse takes over`);
      a.verifiedGlobal = null;
    }
    const groups = changed ? this.groupsToElect(changed, a.verifiedGlobal) : new Set([...a.leaders.local.keys(), ...this.groups.keys()]);
    const members = changed ? [...groups].flatMap((g) => this.membersOf(g)) : [...workers.values()];
    // a tab that left, paused or was quarantined drops its claim now; one whose heartbeat lapsed is passed over
    for (const w of members) this.claims.set(w.workerId, w.socket && !w.quarantined && !w.paused ? w.loss : null);
    const elected = electLocal(members.map((w) => ({ workerId: w.workerId, groupId: w.machineId, loss: w.loss, eligible: eligible(w) })), a.leaders.local, config.electionHysteresis);
    const incumbent = a.verifiedGlobal ? workers.get(a.verifiedGlobal)! : null;
    // the global leader leads its own group too, so its group needs no second upload
    if (incumbent) elected.set(incumbent.machineId, incumbent.workerId);
    const local = a.leaders.local;
    const changedGroups: string[] = [];
    for (const g of groups) {
      const id = elected.get(g);
      if (local.get(g) === id) continue;
      changedGroups.push(g);
      if (id) local.set(g, id);
      else local.delete(g);
      store.addEvent(a.run.id, now, 'local-leader', id ?? null, id ? `${id} leads machine ${g}` : `machine ${g} has no leader`);
    }
    const globalChanged = a.leaders.global !== a.verifiedGlobal;
    a.leaders = { local, global: a.verifiedGlobal };
    this.electedGlobal = incumbent;
    this.askUploads(a, now);
    if (globalChanged) this.pushRoles(a, null);
    else if (changedGroups.length > 0) this.pushRoles(a, changedGroups);
  }

  /** The changed worker's group and those of the global leader now and at the last election (it leads its group). */
  private groupsToElect(changed: LiveWorker, globalNow: string | null): Set<string> {
    const groups = new Set([changed.machineId]);
    if (this.electedGlobal) groups.add(this.electedGlobal.machineId);
    const leader = globalNow ? this.ctx.workers.get(globalNow) : undefined;
    if (leader) groups.add(leader.machineId);
    return groups;
  }

  /** Workers by machine group, so a group is elected without a scan of every worker; rebuilt at each full election. */
  private index(w: LiveWorker): void {
    let group = this.groups.get(w.machineId);
    if (!group) this.groups.set(w.machineId, (group = new Map()));
    group.set(w.workerId, w);
  }

  private reindex(): void {
    this.groups.clear();
    for (const w of this.ctx.workers.values()) this.index(w);
    this.claims.retain((id) => this.ctx.workers.has(id));
    const sockets = new Set([...this.ctx.workers.values()].map((w) => w.socket?.id));
    for (const id of this.rolesSent.keys()) if (!sockets.has(id)) this.rolesSent.delete(id);
  }

  /** A group's members still known to the coordinator (one forgotten since the last full election is left out). */
  private membersOf(groupId: string): LiveWorker[] {
    return [...(this.groups.get(groupId)?.values() ?? [])].filter((w) => this.ctx.workers.get(w.workerId) === w);
  }

  /** Only a global check asks for an upload now: local leaders share their copies inside their machine. */
  private askUploads(a: ActiveRun, now: number): void {
    const { workers, config } = this.ctx;
    const copyStep = (w: LiveWorker) => (a.globalCopy?.leaderId === w.workerId ? a.globalCopy.step : null);
    const progress = (w: LiveWorker) => ({ workerId: w.workerId, reportedStep: w.step, copyStep: copyStep(w), uploadPending: w.uploadRequest !== null || a.checking?.workerId === w.workerId });
    // a reserved check whose upload request lapsed (the tab left or never answered) frees the slot; a challenger
    // that stays silent is benched like one measured no better, so claiming and not answering buys nothing
    if (a.checking && !a.checking.measuring) {
      const w = workers.get(a.checking.workerId);
      if (!w || w.uploadRequest === null) {
        if (w && a.checking.role === 'challenger') this.bench(a, w, 'did not answer its upload request');
        a.checking = null;
      }
    }
    // one global check at a time, at most one per globalCheckMinMs: each costs the server a validation pass
    if (a.checking || now - a.lastCheckAt < config.globalCheckMinMs) return;
    const leader = a.verifiedGlobal ? workers.get(a.verifiedGlobal)! : null;
    const leaderDue = leader !== null && leader.uploadRequest === null && leadersToAsk([progress(leader)], a.run.config.hyper.tau).length > 0;
    const challenger = this.challengerDue(a, now);
    // leader and challengers take turns when both are due, so challengers (silent ones included) cannot starve the leader
    if (challenger && (!leaderDue || a.lastTurn === 'leader')) {
      // one already asked for is checked on that upload
      a.checking = { workerId: challenger.workerId, role: 'challenger', measuring: false };
      a.lastTurn = 'challenger';
      if (challenger.uploadRequest === null) this.ctx.requestUpload(a, challenger);
    } else if (leaderDue) {
      a.checking = { workerId: leader.workerId, role: 'leader', measuring: false };
      a.lastTurn = 'leader';
      this.ctx.requestUpload(a, leader);
    }
  }

  /**
   * The best claim that is not the leader's and not benched, when a challenge is due: there is no leader, it claims
   * better than the leader by the hysteresis, or no challenge ran for challengeEveryMs (so a leader claiming an
   * impossibly low loss cannot lock the others out).
   */
  private challengerDue(a: ActiveRun, now: number): LiveWorker | null {
    const { workers, config } = this.ctx;
    const claim = this.claims.best((id, loss) => {
      const w = workers.get(id);
      if (!w || w.loss !== loss || id === a.verifiedGlobal || !isEligible(w, now, config.heartbeatTimeoutMs)) return false;
      return (a.benched.get(id)?.until ?? 0) <= now;
    });
    if (!claim) return null;
    const best = workers.get(claim.workerId)!;
    const leader = a.verifiedGlobal ? workers.get(a.verifiedGlobal) : undefined;
    if (!leader || leader.loss === null) return best;
    if (best.loss! < leader.loss * (1 - config.electionHysteresis)) return best;
    return now - a.lastChallengeAt >= config.challengeEveryMs ? best : null;
  }

  /** An upload, already validated: only a global check asks for one, and it is measured before anything else. */
  onUpload(a: ActiveRun, w: LiveWorker, upload: Upload, ack: UploadAck): void {
    if (a.checking?.workerId === w.workerId) void this.check(a, w, a.checking.role, upload, ack);
    else ack?.({ ok: false, error: 'no global check is waiting for this copy' });
  }

  private async measure(a: ActiveRun, weights: Float32Array): Promise<Measured> {
    const validation = (await this.ctx.datasets.dataset(a.run.config.dataset)).validation;
    return this.ctx.evaluator.evaluate(a.spec, weights, validation, 0, measuredSamples(a.spec, validation.count, this.ctx.config.validationFlops));
  }

  private async check(a: ActiveRun, w: LiveWorker, role: 'leader' | 'challenger', upload: Upload, ack: UploadAck): Promise<void> {
    const { weights } = upload;
    const { store, config } = this.ctx;
    const done = (reply: UploadReply) => {
      if (a.checking?.workerId === w.workerId) a.checking = null;
      a.lastCheckAt = this.ctx.now();
      if (role === 'challenger') a.lastChallengeAt = a.lastCheckAt;
      ack?.(reply);
      if (this.ctx.active() === a) this.ctx.reelect();
    };
    a.checking = { workerId: w.workerId, role, measuring: true };
    const reupload = a.recentGlobals.find((g) => relativeDistance(weights, g) <= config.reuploadDistance);
    if (reupload) {
      if (role === 'challenger') this.bench(a, w, 're-upload of a copy the server sent: it earns no lead');
      return done({ ok: false, error: 'a copy the server sent recently, uploaded again: it earns no lead' });
    }
    let reference: Measured;
    let measured: Measured;
    try {
      reference = a.globalMeasure ?? (a.globalMeasure = await this.measure(a, normReference(a)));
      measured = await this.measure(a, weights);
    } catch (err) {
      // the server's failure, not the worker's: nothing changes, and the next upload is checked again
      store.addEvent(a.run.id, this.ctx.now(), 'error', w.workerId, `global check failed: ${(err as Error).message}`);
      return done({ ok: false, error: 'the server could not measure the copy' });
    }
    if (this.ctx.active() !== a) return done({ ok: false, error: 'the run ended' });
    const now = this.ctx.now();
    if (a.anchors.length === 0) a.anchors.push({ t: now, loss: reference.loss });
    const rule = { z: config.gateZ, lossFloor: config.gateFloor, accuracyFloor: config.gateAccuracyFloor, driftPerMinute: config.gateDriftPerMinute };
 // a challenger must beat a live leader; with none (or as the leader) no worse is enough
    const live = a.verifiedGlobal !== null && a.verifiedGlobal !== w.workerId;
    const v = verdict(live ? 'challenger' : 'leader', compare(measured, reference, rule), measured.loss, driftCeiling(a.anchors, now, rule.driftPerMinute));
    if (!v.accept) {
      if (role === 'leader' && a.verifiedGlobal === w.workerId) {
        a.verifiedGlobal = null;
        store.addEvent(a.run.id, now, 'global-copy-rejected', w.workerId, `the leader's copy was not relayed: ${v.why}`);
      }
      this.bench(a, w, v.why);
      return done({ ok: false, error: `copy not accepted: ${v.why}` });
    }
    if (a.verifiedGlobal !== w.workerId) store.addEvent(a.run.id, now, 'global-leader', w.workerId, `${w.workerId} leads: ${v.why}`);
    a.verifiedGlobal = w.workerId;
    a.leaders = { ...a.leaders, global: w.workerId };
    a.benched.delete(w.workerId);
    a.globalMeasure = measured;
    a.anchors = [...a.anchors, { t: now, loss: measured.loss }].slice(-ANCHORS);
    const version = this.accept(a, w, upload);
    done({ ok: true, version });
    this.pushRoles(a, null);
  }

  /** A copy measured no better: the worker's claims are ignored for a while, longer after each failure. */
  private bench(a: ActiveRun, w: LiveWorker, why: string): void {
    const { config } = this.ctx;
    const failures = (a.benched.get(w.workerId)?.failures ?? 0) + 1;
    const until = this.ctx.now() + Math.min(config.challengeBackoffMs * 2 ** (failures - 1), config.challengeBackoffMaxMs);
    a.benched.set(w.workerId, { until, failures });
    this.ctx.store.addEvent(a.run.id, this.ctx.now(), 'challenge-rejected', w.workerId, why);
  }

  /** Stores a measured copy as the global copy and tells the followers; returns its version. */
  private accept(a: ActiveRun, w: LiveWorker, { weights, step, bytes }: Upload): number {
    const copy: StoredCopy = { leaderId: w.workerId, version: ++a.version, step, weights };
    a.globalCopy = copy;
    a.recentGlobals = [...a.recentGlobals, weights].slice(-RECENT_GLOBALS);
    this.ctx.store.addLeaderMetric(a.run.id, { t: this.ctx.now(), kind: 'global', groupId: w.machineId, workerId: w.workerId, version: copy.version, step, loss: w.loss ?? 0 });
    this.recorder.newRound(a, copy, bytes);
    this.recorder.persist(a, false);
    this.relay(a);
    this.recorder.afterRound(a);
    return copy.version;
  }

  /** Tells every follower that lacks it of the global copy (a notice: the bytes go over HTTP, once per machine). */
  private relay(a: ActiveRun): void {
    if (a.run.config.hyper.lambdaG <= 0 || !a.globalCopy) return;
    const followers = [...this.ctx.workers.values()].filter((w) => w.socket && !w.quarantined).map((w) => ({ workerId: w.workerId, groupId: w.machineId, heldLocal: 0, heldGlobal: w.heldGlobal }));
    const current = { local: new Map(), global: a.globalCopy, localLeaders: a.leaders.local, globalLeader: a.verifiedGlobal };
    for (const d of planDeliveries(followers, current, { local: false, global: true })) this.notify(a, d.workerIds);
  }

  /** Sends the global copy's notice to these workers as one broadcast. */
  notify(a: ActiveRun, workerIds: readonly string[]): void {
    const o = globalCopyObject(a);
    const targets = workerIds.map((id) => this.ctx.workers.get(id)!).filter((w) => w.socket);
    if (!o || targets.length === 0) return;
    for (const w of targets) w.heldGlobal = o.version;
    this.ctx.nsp.to(targets.map((w) => w.socket!.id)).emit('copyNotice', noticeOf(o));
  }

  /** A worker that failed a check: it loses its loss (so it is not elected again), its lead and its copies. */
  quarantine(a: ActiveRun, w: LiveWorker, reason: string): void {
    w.quarantined = true;
    w.loss = null;
    w.dirty = true;
    w.uploadRequest = null;
    if (a.verifiedGlobal === w.workerId) a.verifiedGlobal = null;
    if (a.checking?.workerId === w.workerId) a.checking = null;
    this.ctx.store.transaction(() => {
      this.ctx.store.addEvent(a.run.id, this.ctx.now(), 'quarantine', w.workerId, reason);
      this.recorder.persist(a, false);
    });
  }

  rolesOf(a: ActiveRun, w: LiveWorker): Roles {
    const localId = a.leaders.local.get(w.machineId) ?? null;
    return {
      runId: a.run.id,
      isLocalLeader: localId === w.workerId,
      isGlobalLeader: a.verifiedGlobal === w.workerId,
      localLeader: localId ? { handle: this.ctx.workers.get(localId)!.handle } : null,
      globalLeader: a.verifiedGlobal ? { version: a.globalCopy?.version ?? 0 } : null,
      quarantined: w.quarantined,
    };
  }

  /**
   * Sends their roles to the tabs of `groups` (null: every tab) whose standing differs from what their connection
   * was last sent: a change of one group's leader reaches its few tabs, not every tab.
   */
  private pushRoles(a: ActiveRun, groups: readonly string[] | null): void {
    const tabs = groups ? groups.flatMap((g) => this.membersOf(g)) : this.ctx.workers.values();
    for (const w of tabs) {
      if (!w.socket) continue;
      const roles = this.rolesOf(a, w);
      const sent = this.rolesSent.get(w.socket.id);
      if (sent && sameStanding(sent, roles)) continue;
      this.rolesSent.set(w.socket.id, roles);
      w.socket.emit('roles', roles);
    }
  }
}

/**
 * Roles that differ only in the global copy's version are the same standing: every report's ack carries it, and
 * pushing each new global copy's version to every tab would add a message per tab per global check. A new local
 * leader is news (its group's tabs take local copies only from the handle they were told).
 */
function sameStanding(x: Roles, y: Roles): boolean {
  return x.runId === y.runId && x.isLocalLeader === y.isLocalLeader && x.isGlobalLeader === y.isGlobalLeader && x.quarantined === y.quarantined
    && x.localLeader?.handle === y.localLeader?.handle && (x.globalLeader === null) === (y.globalLeader === null);
}

/** How much of a validation split of `count` samples a copy is measured on: all of it, unless the CPU reference's
 *  forward passes would cost more than `budget` FLOPs (a char-transformer window costs ~100 MFLOP), then the first
 *  samples within it, at least 8 (windows of the context, for a sequence model). */
export function measuredSamples(spec: ModelSpec, count: number, budget: number): number {
  const positions = outputPositions(spec);
  const available = evaluationSamples(spec, count);
  // a forward pass is about a third of a training step's products
  const affordable = Math.max(8, Math.floor(budget / (trainingFlopsPerSample(spec) / 3)));
  return Math.min(available, affordable) * positions;
}
