// The LSGD coordinator of server/leader_copies.ts, on the simulator's clock: the same plain functions decide who
// leads (election.ts), who uploads and who downloads (relay.ts), whether a global copy may replace the current one
// (global_gate.ts) and whether an upload is out of bounds (norm_bound.ts). What is restated here is only the glue
// that server/leader_copies.ts writes against sockets and the run store: one global check at a time, challengers
// and the leader taking turns, benching, quarantine.
import { electLocal, type Leaders } from '../../server/election.ts';
import type { Measured } from '../../server/evaluator.ts';
import { compare, driftCeiling, relativeDistance, verdict, type Anchor } from '../../server/global_gate.ts';
import { normBoundViolation } from '../../server/norm_bound.ts';
import { afterDelivery, leadersToAsk, planDeliveries, type CopyKind, type CopyRef, type Follower } from '../../server/relay.ts';
import { evaluateSamples } from '../../shared/reference/model.ts';
import type { AlgorithmOptions, SimContext } from './algorithm.ts';
import { coordinatorNormBound } from './coordinator_defaults.ts';
import type { SimWorker } from './worker.ts';

export interface Copy extends CopyRef {
  weights: Float32Array;
}

/** What the coordinator does to a worker: ask it for its weights, send it a copy. */
export interface WorkerChannel {
  requestUpload(w: SimWorker): void;
  deliver(w: SimWorker, kind: CopyKind, copy: Copy): void;
}

const RECENT_GLOBALS = 8;
const ANCHORS = 64;

export class LsgdCoordinator {
  private readonly claims = new Map<SimWorker, { loss: number; step: number }>();
  private leaders: Leaders = { local: new Map(), global: null };
  private readonly groupCopies = new Map<string, Copy>();
  globalCopy: Copy | null = null;
  private verifiedGlobal: SimWorker | null = null;
  private version = 0;
  private readonly held = new Map<SimWorker, Follower>();
  private readonly pending = new Set<SimWorker>();
  private checking: { w: SimWorker; role: 'leader' | 'challenger' } | null = null;
  private lastCheckAt = -Infinity;
  private lastChallengeAt = 0;
  private lastTurn: 'leader' | 'challenger' = 'leader';
  private readonly benched = new Map<SimWorker, { until: number; failures: number }>();
  private globalMeasure: Measured | null = null;
  private anchors: Anchor[] = [];
  private recentGlobals: Float32Array[] = [];
  private readonly byId: Map<string, SimWorker>;
  private readonly initial: Float32Array;
  readonly stats = { global_copies: 0, checks_refused: 0, attack_refused: 0, honest_quarantined: 0, byzantine_quarantined: 0 };

  constructor(
    private readonly ctx: SimContext,
    private readonly o: AlgorithmOptions,
    private readonly channel: WorkerChannel,
  ) {
    this.byId = new Map(ctx.workers.map((w) => [w.id, w]));
    this.initial = Float32Array.from(ctx.initial);
  }

  private nowMs(): number {
    return this.ctx.queue.now * 1000;
  }

  isLocalLeader(w: SimWorker): boolean {
    return this.leaders.local.get(w.machine) === w.id;
  }

  isGlobalLeader(w: SimWorker): boolean {
    return this.verifiedGlobal === w;
  }

  report(w: SimWorker, loss: number, step: number): void {
    this.claims.set(w, { loss, step });
    this.reelect();
  }

  /** The copy a returning tab starts from (the global one, sent to it now), or null: it starts where it is. */
  welcome(w: SimWorker): Copy | null {
    const copy = this.globalCopy;
    if (copy) this.held.set(w, { workerId: w.id, groupId: w.machine, heldLocal: 0, heldGlobal: copy.version });
    return copy;
  }

  left(w: SimWorker): void {
    this.pending.delete(w);
    this.held.delete(w);
    this.reelect();
  }

  private eligible(w: SimWorker | null): w is SimWorker {
    return w !== null && w.online && !w.quarantined;
  }

  reelect(): void {
    if (this.verifiedGlobal && !this.eligible(this.verifiedGlobal)) this.verifiedGlobal = null;
    const candidates = this.ctx.workers.map((w) => ({ workerId: w.id, groupId: w.machine, loss: this.claims.get(w)?.loss ?? null, eligible: this.eligible(w) }));
    const local = electLocal(candidates, this.leaders.local, this.ctx.coordinator.electionHysteresis);
    const g = this.verifiedGlobal;
    // the global leader leads its own group too, so its group needs no second upload
    if (g) local.set(g.machine, g.id);
    this.leaders = { local, global: g?.id ?? null };
    this.askUploads();
  }

  private progress(w: SimWorker) {
    const copy = this.verifiedGlobal === w ? this.globalCopy : this.groupCopies.get(w.machine);
    return { workerId: w.id, reportedStep: this.claims.get(w)?.step ?? 0, copyStep: copy?.leaderId === w.id ? copy.step : null, uploadPending: this.pending.has(w) || this.checking?.w === w };
  }

  private request(w: SimWorker): void {
    this.pending.add(w);
    this.channel.requestUpload(w);
  }

  private askUploads(): void {
    const g = this.verifiedGlobal;
    // with no pull toward local leaders their copies would go unused: only global checks ask then
    if (this.o.lambdaL > 0) {
      const locals = [...new Set(this.leaders.local.values())].filter((id) => id !== g?.id).map((id) => this.progress(this.byId.get(id)!));
      for (const id of leadersToAsk(locals, this.o.tau)) this.request(this.byId.get(id)!);
    }
    // a check whose request lapsed (the tab left) frees the slot; a challenger that stays silent is benched
    if (this.checking && !this.pending.has(this.checking.w)) {
      if (this.checking.role === 'challenger') this.bench(this.checking.w);
      this.checking = null;
    }
    if (this.checking || this.nowMs() - this.lastCheckAt < this.ctx.coordinator.globalCheckMinMs) return;
    const leaderDue = g !== null && !this.pending.has(g) && leadersToAsk([this.progress(g)], this.o.tau).length > 0;
    const challenger = this.challengerDue();
    if (challenger && (!leaderDue || this.lastTurn === 'leader')) {
      this.checking = { w: challenger, role: 'challenger' };
      this.lastTurn = 'challenger';
      if (!this.pending.has(challenger)) this.request(challenger);
    } else if (leaderDue) {
      this.checking = { w: g, role: 'leader' };
      this.lastTurn = 'leader';
      this.request(g);
    }
  }

  private challengerDue(): SimWorker | null {
    let best: SimWorker | null = null;
    for (const w of this.ctx.workers) {
      const claim = this.claims.get(w);
      if (w === this.verifiedGlobal || !claim || !this.eligible(w) || (this.benched.get(w)?.until ?? 0) > this.nowMs()) continue;
      if (!best || claim.loss < this.claims.get(best)!.loss) best = w;
    }
    if (!best) return null;
    const leaderClaim = this.verifiedGlobal ? this.claims.get(this.verifiedGlobal) : undefined;
    if (!leaderClaim) return best;
    if (this.claims.get(best)!.loss < leaderClaim.loss * (1 - this.ctx.coordinator.electionHysteresis)) return best;
    return this.nowMs() - this.lastChallengeAt >= this.ctx.coordinator.challengeEveryMs ? best : null;
  }

  /** An upload arrives: refused out of the norm bound (its sender quarantined), measured if it is a global check's,
   *  else kept as its group's copy. */
  onUpload(w: SimWorker, weights: Float32Array, step: number): void {
    this.pending.delete(w);
    this.claims.set(w, { loss: this.claims.get(w)?.loss ?? Infinity, step });
    const reference = this.globalCopy?.weights ?? this.initial;
    if (normBoundViolation(weights, reference, coordinatorNormBound(this.ctx.coordinator, this.initial)) !== null) {
      this.quarantine(w);
      return this.reelect();
    }
    if (this.checking?.w === w) return this.check(w, this.checking.role, weights, step);
    this.accept(w, weights, step, false);
  }

  private measure(weights: Float32Array): Measured {
    const v = this.ctx.validation;
    const { losses, correct } = evaluateSamples(this.ctx.trainer.spec, weights, v.pixels, v.labels, v.count);
    return { loss: losses.reduce((a, b) => a + b, 0) / losses.length, accuracy: correct.reduce((a, b) => a + b, 0) / losses.length, samples: losses.length, losses, correct };
  }

  private check(w: SimWorker, role: 'leader' | 'challenger', weights: Float32Array, step: number): void {
    const now = this.nowMs();
    const done = () => {
      this.checking = null;
      this.lastCheckAt = now;
      if (role === 'challenger') this.lastChallengeAt = now;
      this.reelect();
    };
    const refuse = () => {
      this.stats.checks_refused++;
      if (w.byzantine) this.stats.attack_refused++;
    };
    if (this.recentGlobals.some((g) => relativeDistance(weights, g) <= this.ctx.coordinator.reuploadDistance)) {
      refuse();
      if (role === 'challenger') this.bench(w);
      return done();
    }
    const reference = (this.globalMeasure ??= this.measure(this.globalCopy?.weights ?? this.initial));
    const measured = this.measure(weights);
    if (this.anchors.length === 0) this.anchors.push({ t: now, loss: reference.loss });
    const rule = { z: this.ctx.coordinator.gateZ, lossFloor: this.ctx.coordinator.gateFloor, accuracyFloor: this.ctx.coordinator.gateAccuracyFloor, driftPerMinute: this.ctx.coordinator.gateDriftPerMinute };
    // a challenger must beat a live leader; with none (or as the leader) no worse is enough
    const live = this.verifiedGlobal !== null && this.verifiedGlobal !== w;
    const v = verdict(live ? 'challenger' : 'leader', compare(measured, reference, rule), measured.loss, driftCeiling(this.anchors, now, rule.driftPerMinute));
    if (!v.accept) {
      refuse();
      if (role === 'leader' && this.verifiedGlobal === w) this.verifiedGlobal = null;
      this.bench(w);
      return done();
    }
    this.verifiedGlobal = w;
    this.leaders = { ...this.leaders, global: w.id };
    this.benched.delete(w);
    this.globalMeasure = measured;
    this.anchors = [...this.anchors, { t: now, loss: measured.loss }].slice(-ANCHORS);
    this.accept(w, weights, step, true);
    done();
  }

  private bench(w: SimWorker): void {
    const failures = (this.benched.get(w)?.failures ?? 0) + 1;
    const until = this.nowMs() + Math.min(this.ctx.coordinator.challengeBackoffMs * 2 ** (failures - 1), this.ctx.coordinator.challengeBackoffMaxMs);
    this.benched.set(w, { until, failures });
  }

  private accept(w: SimWorker, weights: Float32Array, step: number, isGlobal: boolean): void {
    const isLocal = this.isLocalLeader(w);
    if (!isLocal && !isGlobal) return;
    const copy: Copy = { leaderId: w.id, version: ++this.version, step, weights };
    if (isLocal) this.groupCopies.set(w.machine, copy);
    if (isGlobal) {
      this.globalCopy = copy;
      this.stats.global_copies++;
      this.recentGlobals = [...this.recentGlobals, weights].slice(-RECENT_GLOBALS);
    }
    this.relay();
  }

  private relay(): void {
    const followers = this.ctx.live().map((w) => this.held.get(w) ?? { workerId: w.id, groupId: w.machine, heldLocal: 0, heldGlobal: 0 });
    const current = { local: this.groupCopies, global: this.globalCopy, localLeaders: this.leaders.local, globalLeader: this.verifiedGlobal?.id ?? null };
    for (const d of planDeliveries(followers, current, { local: this.o.lambdaL > 0, global: this.o.lambdaG > 0 })) {
      for (const id of d.workerIds) {
        const w = this.byId.get(id)!;
        this.held.set(w, afterDelivery(this.held.get(w) ?? { workerId: id, groupId: w.machine, heldLocal: 0, heldGlobal: 0 }, d));
        this.channel.deliver(w, d.kind, d.copy as Copy);
      }
    }
  }

  /** An upload out of bounds: the worker loses its claim, its lead and its copies, and trains no more. */
  private quarantine(w: SimWorker): void {
    w.quarantined = true;
    if (w.byzantine) this.stats.byzantine_quarantined++;
    else this.stats.honest_quarantined++;
    this.claims.delete(w);
    if (this.verifiedGlobal === w) this.verifiedGlobal = null;
    if (this.checking?.w === w) this.checking = null;
    for (const [g, copy] of this.groupCopies) if (copy.leaderId === w.id) this.groupCopies.delete(g);
  }
}
