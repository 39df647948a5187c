// Proofs of work (Volunteers are untrusted: work earns credit only where the server has evidence for it).
// At each report a tab commits to a digest of its state (parameters and the optimizer's: momentum SGD's velocity, or
// AdamW's moments and the step they started at) and to the leader copies it
// pulls toward next (easgd: to the exchange it just took). Only afterwards, at random, the coordinator asks it to
// prove the steps between its previous commitment and this one: the tab sends both states, the digests must match
// what it committed before it could know it would be asked, and a CPU replay of those steps (same minibatches,
// named by the steps and the issued shuffle seed; same rates and copies) must land near the claimed end (distance
// and outliers, server/config.ts). A local copy never passes through the server: the proof carries it, and it must
// be the state its leader (a tab of the same machine) committed at the step the commitment names. Passed: the steps' samples are credited. Failed: the tab is quarantined.
// Unanswered: no credit. A tab that skips steps, replays an old proof or presents a copy it was sent as its state
// fails; one that never commits earns nothing. sync-sgd tabs prove the gradients they send instead.
import { createHash, randomInt } from 'node:crypto';
import { easgdWorkerPull } from '../shared/reference/easgd.ts';
import { proofMetaSchema, type Commitment, type LocalCopyRef, type ProofReply, type ProofRequest } from '../shared/protocol.ts';
import { adamwRates } from '../shared/run_config.ts';
import { decodeProof, stateDigest, type CommittedState } from '../shared/state_digest.ts';
import { boundWorker, type ActiveRun, type CoordinatorContext, type LiveWorker, type WorkerSocket } from './live_state.ts';
import type { Discrepancy } from '../shared/reference/training_segment.ts';
import type { SegmentVerifier } from './proof_verifier.ts';
import { ackOf, issueText, type Reject } from './replies.ts';

/** The minibatch order of a tab in a run: fixed by the server, stable across restarts, different per tab. */
export function issuedShuffleSeed(runId: number, seed: number, tabId: string): number {
  return createHash('sha256').update(`flock-shuffle/1 ${runId} ${seed} ${tabId}`).digest().readUInt32LE(0);
}

/** The algorithms whose tabs train by local steps the replay can follow. Not sgp (its step is lr / w, w changing at
 *  each gossip), parle (inner steps pull toward a replica the server never sees, and its average mu lives on the tab)
 *  or grawa (its exchange step is taken from a gradient read back mid-step): their tabs are never asked for proofs
 *  and earn no verified credit. */
const PROVABLE = new Set(['lsgd', 'local', 'easgd']);
/** easgd exchanges remembered per tab: a commitment names the one it just took. */
const EXCHANGES_KEPT = 2;
/** Copies kept for replays besides those a commitment names. */
const RECENT_COPIES = 8;
/** A tab's recent commitments kept by step, for checking the local copies its machine's tabs name. */
const DIGESTS_KEPT = 16;

interface Committed extends Commitment {
  step: number;
  /** easgd: the center of the exchange it names, whose elastic pull the committed state took after the step. */
  center: Float32Array | null;
}

interface Challenge {
  id: number;
  from: Committed;
  to: Committed;
  at: number;
  /** Resolved when asked, so a copy the run drops meanwhile is still at hand. */
  global: Float32Array | null;
  /** The local copy named at `from`, which the proof must carry: its leader and the digest that leader committed. */
  local: { ref: LocalCopyRef; leaderId: string; digest: string } | null;
}

interface TabProofs {
  runId: number;
  workerId: string;
  machineId: string;
  latest: Committed | null;
  /** Its recent commitments' digests by step. */
  digests: Map<number, string>;
  challenge: Challenge | null;
  /** The newest challenge id it was sent: an answer to an older one is late, not malformed. */
  lastChallengeId: number;
}

interface Exchange { version: number; center: Float32Array }

export class ProofsOfWork {
  private readonly tabs = new Map<string, TabProofs>();
  private readonly exchanges = new Map<string, Exchange[]>();
  /** Ledgers by local-leader handle (LiveWorker.handle). */
  private readonly byHandle = new Map<string, TabProofs>();
  /** Tabs with a proof request open: with the replays running, what the verifier may soon have to do. */
  private readonly open = new Set<TabProofs>();
  private challengeSeq = 0;
  /** Set when the coordinator closes: replays still running then settle nothing (the store is closing). */
  private closed = false;

  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly verifier: SegmentVerifier,
    /** Uniform in [0, 1): from the OS's CSPRNG, so a tab cannot predict which stretch will be asked for. */
    private readonly random: () => number = () => randomInt(2 ** 32) / 2 ** 32,
  ) {}

  /** Records a report's commitment; returns the proof to ask for, if this stretch was drawn. A report without one
   *  ends the chain: the tab's next commitment starts a new one. */
  onReport(a: ActiveRun, w: LiveWorker, step: number, c: Commitment | undefined): ProofRequest | null {
    if (!PROVABLE.has(a.run.config.algorithm) || w.quarantined) return null;
    const t = this.ledger(a, w);
    const previous = t.latest;
    if (!c) {
      t.latest = null;
      return null;
    }
    const exchange = c.exchange ? this.exchanges.get(w.workerId)?.find((e) => e.version === c.exchange) : null;
    // an exchange the server did not answer this tab: the state it commits to cannot be checked
    if (exchange === undefined) {
      t.latest = null;
      return null;
    }
    t.latest = { ...c, step, center: exchange?.center ?? null };
    t.digests.set(step, c.digest);
    for (const s of t.digests.keys()) if (t.digests.size > DIGESTS_KEPT) t.digests.delete(s);
    this.prune(a);
    const { proofMaxSteps, proofQueue, proofProbability } = this.ctx.config;
    // honest stretches are tau steps, more after a lost report or from a tab fast enough to hit the minimum report
    // interval; proofMaxSteps bounds what replaying one costs the server
    if (!previous || t.challenge || previous.step >= step || step - previous.step > proofMaxSteps) return null;
    if (this.verifier.pending + this.open.size >= proofQueue || this.random() >= proofProbability) return null;
    const global = previous.global === null ? null : a.copies.get(previous.global)?.decoded;
    const local = previous.local === null ? null : this.localCopy(t, previous.local);
    // a copy the server no longer holds (or never issued), or a local copy no leader of this machine committed to
    // (or whose commitment is forgotten): this stretch cannot be replayed, so it earns nothing
    if (global === undefined || local === undefined) return null;
    t.challenge = { id: ++this.challengeSeq, from: previous, to: t.latest, at: this.ctx.now(), global, local };
    t.lastChallengeId = t.challenge.id;
    this.open.add(t);
    return { challengeId: t.challenge.id, from: previous.step, to: step, local: previous.local };
  }

  /** The commitment a local copy named by a tab of `t`'s machine must match; undefined when there is none. */
  private localCopy(t: TabProofs, ref: LocalCopyRef): Challenge['local'] | undefined {
    const leader = this.byHandle.get(ref.leader);
    const digest = leader?.runId === t.runId && leader.machineId === t.machineId ? leader.digests.get(ref.step) : undefined;
    return digest === undefined ? undefined : { ref, leaderId: leader!.workerId, digest };
  }

  /**
   * sync-sgd: a tab's work is the gradient it sends each step, so its proof is that gradient. Drawn at random
   * after it arrived, it is recomputed at the model the server held for that step on the tab's minibatch;
   * passed, the step's samples are credited.
   */
  auditGradient(a: ActiveRun, w: LiveWorker, step: number, model: Float32Array, grad: Float32Array): void {
    const { proofQueue, proofProbability, proofTolerance } = this.ctx.config;
    if (w.quarantined || this.verifier.pending + this.open.size >= proofQueue || this.random() >= proofProbability) return;
    const { batch } = a.run.config.hyper;
    void this.ctx.datasets.dataset(a.run.config.dataset)
      .then((d) => this.verifier.gradient({
        spec: a.spec, tolerance: proofTolerance, dataset: a.run.config.dataset, batch, shuffleSeed: issuedShuffleSeed(a.run.id, a.run.config.seed, w.workerId), step, params: model, claimed: grad.slice(),
      }, d.train))
      .then((d) => this.withinTolerance(d)
        ? this.settle(a, w, 'passed', batch, null)
        : this.settle(a, w, 'failed', batch, `the gradient of step ${step} is not that of its minibatch at the run's model: ${this.describe(d)}`))
      .catch((err) => {
        if (!this.closed) this.ctx.store.addEvent(a.run.id, this.ctx.now(), 'proof-error', w.workerId, `gradient of step ${step} could not be checked: ${(err as Error).message}`);
      });
  }

  onProof(socket: WorkerSocket, args: unknown[], reject: Reject): void {
    const ack = ackOf<ProofReply>(args[2]);
    const fail = (error: string) => {
      ack?.({ ok: false, error });
      reject('proof', error);
    };
    const w = boundWorker(this.ctx.workers, socket);
    if (!w) return fail('say hello first');
    const parsed = proofMetaSchema.safeParse(args[0]);
    if (!parsed.success) return fail(issueText(parsed.error));
    const a = this.ctx.active();
    const meta = parsed.data;
    if (!a || a.run.id !== meta.runId) return ack?.({ ok: false, error: `run ${meta.runId} is not active` });
    const t = this.tabs.get(w.workerId);
    const challenge = t?.runId === a.run.id ? t.challenge : null;
    if (!t || !challenge || challenge.id !== meta.challengeId) {
      if (t && meta.challengeId <= t.lastChallengeId) return ack?.({ ok: false, error: 'this proof request is no longer open' });
      return fail('a proof nobody asked for');
    }
    const bytes = args[1];
    if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) return fail('proof: the states must be binary (f32)');
    const states = decodeProof(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), a.run.paramLength, a.run.config.hyper.optimizer === 'adamw', challenge.local !== null);
    if (typeof states === 'string') return fail(states);
    // AdamW: where the tab's moments started sets its bias corrections. The proof says (a reload starts them afresh
    // and a reconnect does not, which the server cannot tell apart); the digests committed before bind it.
    if ((states.from.momentsFrom ?? 0) > challenge.from.step) return fail(`proof: moments that started at step ${states.from.momentsFrom} cannot be in the state of step ${challenge.from.step}`);
    this.closeChallenge(t);
    void this.judge(a, w, challenge, states.from, states.to, states.local).then(
      (reply) => ack?.(reply),
      (err) => ack?.({ ok: false, error: `the proof could not be checked: ${(err as Error).message}` }),
    );
  }

  recordExchange(w: LiveWorker, version: number, center: Float32Array): void {
    this.exchanges.set(w.workerId, [...(this.exchanges.get(w.workerId) ?? []), { version, center }].slice(-EXCHANGES_KEPT));
  }

  close(): void {
    this.closed = true;
  }

  /** Open requests past proofTimeoutMs are missed. */
  tick(a: ActiveRun, now: number): void {
    for (const [workerId, t] of this.tabs) {
      if (t.runId !== a.run.id || !t.challenge || now - t.challenge.at <= this.ctx.config.proofTimeoutMs) continue;
      this.closeChallenge(t);
      const w = this.ctx.workers.get(workerId);
      if (w) this.settle(a, w, 'missed', 0, `no answer to proof request for steps within ${this.ctx.config.proofTimeoutMs} ms`);
    }
  }

  /** A tab that left: its open request is dropped (neither credit nor penalty) and its chain ends, since what it did
   *  while away (an exchange, a copy taken) was never committed. */
  left(workerId: string): void {
    const t = this.tabs.get(workerId);
    if (!t) return;
    this.closeChallenge(t);
    t.latest = null;
  }

  forget(workerId: string, handle: string): void {
    this.left(workerId);
    this.tabs.delete(workerId);
    this.byHandle.delete(handle);
    this.exchanges.delete(workerId);
  }

  private closeChallenge(t: TabProofs): void {
    t.challenge = null;
    this.open.delete(t);
  }

  private ledger(a: ActiveRun, w: LiveWorker): TabProofs {
    let t = this.tabs.get(w.workerId);
    if (!t || t.runId !== a.run.id) {
      if (t) this.closeChallenge(t);
      t = { runId: a.run.id, workerId: w.workerId, machineId: w.machineId, latest: null, digests: new Map(), challenge: null, lastChallengeId: t?.lastChallengeId ?? 0 };
      this.tabs.set(w.workerId, t);
    }
    this.byHandle.set(w.handle, t);
    return t;
  }

  private async judge(a: ActiveRun, w: LiveWorker, c: Challenge, start: CommittedState, end: CommittedState, local: CommittedState | null): Promise<ProofReply> {
    // easgd: the state committed at `to` is the end of the stretch after the exchange's elastic pull, which the
    // server recomputes exactly (the tab computes it with the same function)
    const committedEnd = c.to.center
      ? { ...end, params: Float32Array.from(easgdWorkerPull(end.params, c.to.center, a.run.config.hyper.alpha ?? 0)) }
      : end;
    const [fromDigest, toDigest] = await Promise.all([stateDigest(a.run.id, w.workerId, c.from.step, start), stateDigest(a.run.id, w.workerId, c.to.step, committedEnd)]);
    const samples = (c.to.step - c.from.step) * a.run.config.hyper.batch;
    const wrong = [fromDigest !== c.from.digest ? c.from.step : null, toDigest !== c.to.digest ? c.to.step : null].filter((s) => s !== null);
    if (wrong.length > 0) return this.settle(a, w, 'failed', samples, `the states sent are not the ones committed at step ${wrong.join(' and ')}`);
    if (c.local && (await stateDigest(a.run.id, c.local.leaderId, c.local.ref.step, local!)) !== c.local.digest) {
      return this.settle(a, w, 'failed', samples, `the local copy sent is not the state its leader committed at step ${c.local.ref.step}`);
    }
    const { hyper } = a.run.config;
    const { lr, momentum, lambdaL, lambdaG, batch, pull } = hyper;
    const lsgd = a.run.config.algorithm === 'lsgd';
    const dataset = await this.ctx.datasets.dataset(a.run.config.dataset);
    const discrepancy = await this.verifier.replay({
      spec: a.spec, tolerance: this.ctx.config.proofTolerance, rates: { lr, momentum, lambdaL: lsgd ? lambdaL : 0, lambdaG: lsgd ? lambdaG : 0 },
      adamw: hyper.optimizer === 'adamw' ? adamwRates(hyper) : undefined, dataset: a.run.config.dataset, batch,
      shuffleSeed: issuedShuffleSeed(a.run.id, a.run.config.seed, w.workerId), from: c.from.step, to: c.to.step, start, claimed: end, pulls: { local: local?.params ?? null, global: c.global }, pull,
    }, dataset.train);
    if (this.withinTolerance(discrepancy)) return this.settle(a, w, 'passed', samples, null);
    return this.settle(a, w, 'failed', samples, `steps ${c.from.step}..${c.to.step} replayed elsewhere than claimed: ${this.describe(discrepancy)}`);
  }

  private withinTolerance(d: Discrepancy): boolean {
    const { proofCloseDistance, proofMaxDistance, proofMaxOutliers } = this.ctx.config;
    return d.distance <= proofCloseDistance || (d.distance <= proofMaxDistance && d.outliers <= proofMaxOutliers);
  }

  private describe(d: Discrepancy): string {
    const { proofCloseDistance, proofMaxDistance, proofMaxOutliers, proofTolerance } = this.ctx.config;
    return `distance ${d.distance.toExponential(2)} (passes at most ${proofCloseDistance}, or at most ${proofMaxDistance} with at most ${proofMaxOutliers * 100}% of values off), `
      + `${(d.outliers * 100).toFixed(1)}% of values off by more than ${proofTolerance} of their movement`;
  }

  private settle(a: ActiveRun, w: LiveWorker, verdict: 'passed' | 'failed' | 'missed', samples: number, reason: string | null): ProofReply {
    if (this.closed) return { ok: false, error: 'the coordinator is shutting down: this proof was not judged' };
    // the run may have ended while the replay ran: its credit still counts, but only the active run quarantines
    this.ctx.store.credits.record(a.run.id, w.workerId, w.machineId, verdict, samples);
    const stillActive = this.ctx.active() === a;
    if (verdict === 'failed') {
      this.ctx.store.addEvent(a.run.id, this.ctx.now(), 'proof-failed', w.workerId, reason ?? 'failed');
      if (stillActive && !w.quarantined) {
        this.ctx.quarantine(a, w, `failed a proof of work: ${reason}`);
        this.ctx.reelect();
      }
    } else if (verdict === 'missed') {
      this.ctx.store.addEvent(a.run.id, this.ctx.now(), 'proof-missed', w.workerId, reason ?? 'missed');
    }
    w.socket?.emit('credit', this.ctx.store.credits.creditOf(w.machineId, w.workerId));
    return { ok: true, passed: verdict === 'passed', samples: verdict === 'passed' ? samples : 0, reason };
  }

  /** Keeps the global copies named by a tab's latest commitment and the newest few; the rest cannot be asked for. */
  private prune(a: ActiveRun): void {
    if (a.copies.size <= 4 * RECENT_COPIES) return;
    const keep = new Set([...a.copies.keys()].sort((x, y) => y - x).slice(0, RECENT_COPIES));
    for (const t of this.tabs.values()) if (t.runId === a.run.id && t.latest?.global) keep.add(t.latest.global);
    for (const v of a.copies.keys()) if (!keep.has(v)) a.copies.delete(v);
  }
}
