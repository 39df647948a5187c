// Synchronous data-parallel SGD: every step each member sends its gradient; when all members of the step have,
// the aggregate is broadcast and every worker, and the server's own copy of the model, apply it with the run's
// optimizer (momentum SGD or AdamW). The barrier is the point: a step lasts as long as its slowest member takes.
import { sliceSplit } from '../../shared/dataset.ts';
import { shapeSize } from '../../shared/model.ts';
import { adamwUpdate } from '../../shared/reference/adamw_update.ts';
import { lsgdUpdate } from '../../shared/reference/lsgd_update.ts';
import { cgeGradient, heldOutLoss, trimmedMeanGradient, zenoGradient, type ZenoScoring } from '../../shared/reference/robust_aggregation.ts';
import { meanGradient, medianGradient } from '../../shared/reference/sync_sgd.ts';
import { adamwRates, type Aggregate } from '../../shared/run_config.ts';
import type { AlgorithmHost, BaselineAlgorithm } from './host.ts';

/** Held-out samples zeno scores a step's gradients on: each step the next window of the validation split. */
export const ZENO_BATCH = 32;
/** Zeno's price of a gradient's size, rho: small beside the loss decrease of about lr ||g||^2 an honest gradient buys. */
export const ZENO_RHO = 5e-4;

/** The step is complete when every current member has contributed (contributions of members that left still count). */
export function barrierComplete(memberIds: readonly string[], contributed: ReadonlySet<string>): boolean {
  return contributed.size > 0 && memberIds.every((id) => contributed.has(id));
}

/**
 * The f a step with n gradients can drop under `kind`. A step with fewer gradients than the run's f needs (a run set
 * for f = 2 with 3 tabs present) still completes, dropping as many as leaves something to average: the trimmed mean
 * (n - 1) / 2 from each end of every coordinate (with 3 tabs, their median), cge and zeno all but the best one.
 * Holding the step until enough tabs join would stop the run for everyone, and what protection the present tabs can
 * give they still get: the median of 3 still outvotes one liar.
 */
export function affordableF(kind: Aggregate, f: number, n: number): number {
  switch (kind) {
    case 'mean':
    case 'median':
      return 0;
    case 'trimmed-mean':
      return Math.min(f, Math.floor((n - 1) / 2));
    case 'cge':
    case 'zeno':
      return Math.min(f, n - 1);
  }
}

/** The step's aggregate under `kind`, told f (clamped by affordableF); zeno also needs its scoring. */
export function aggregateGradients(grads: readonly Float32Array[], kind: Aggregate, f = 0, zeno?: ZenoScoring): Float32Array {
  const drop = affordableF(kind, f, grads.length);
  switch (kind) {
    case 'mean':
      return Float32Array.from(meanGradient(grads));
    case 'median':
      return Float32Array.from(medianGradient(grads));
    case 'trimmed-mean':
      return Float32Array.from(trimmedMeanGradient(grads, drop));
    case 'cge':
      return Float32Array.from(cgeGradient(grads, drop));
    case 'zeno':
      if (!zeno) throw new Error('zeno scores gradients on held-out data: pass the model and a held-out batch');
      return Float32Array.from(zenoGradient(grads, drop, zeno));
  }
}

export class SyncSgd implements BaselineAlgorithm {
  /** The synchronous step whose gradients are being collected (= steps applied so far). */
  step: number;
  private readonly contributions = new Map<string, Float32Array>();
  /** Momentum SGD's velocity, or AdamW's first moment. */
  private velocity: Float32Array;
  /** AdamW's second moment (null for momentum SGD). */
  private secondMoment: Float32Array | null;
  /** Where the optimizer state started from zero: AdamW's step t of run step s is s - momentsFrom + 1, as on the
   *  workers that started with this copy (a tab's trainer counts from its startStep). */
  private readonly momentsFrom: number;

  constructor(
    private readonly host: AlgorithmHost,
    /** The server's copy of the shared weights, stepped exactly as the workers step theirs. */
    private model: Float32Array,
    startStep: number,
  ) {
    this.step = startStep;
    this.momentsFrom = startStep;
    this.velocity = new Float32Array(model.length);
    this.secondMoment = host.hyper.optimizer === 'adamw' ? new Float32Array(model.length) : null;
  }

  get weights(): Float32Array {
    return this.model;
  }

  /** A member's gradient for `step`; returns an error for a step other than the open one. */
  onGradient(workerId: string, step: number, grad: Float32Array): string | null {
    if (step !== this.step) return `gradient for step ${step}, but the run is at step ${this.step}`;
    if (this.contributions.has(workerId)) return `a second gradient for step ${step}`;
    this.contributions.set(workerId, grad);
    this.membershipChanged();
    return null;
  }

  membershipChanged(): void {
    const members = this.host.members().map((m) => m.workerId);
    if (!barrierComplete(members, new Set(this.contributions.keys()))) return;
    const { aggregate: kind = 'mean', byzantine = 0 } = this.host.hyper;
    const aggregate = aggregateGradients([...this.contributions.values()], kind, byzantine, kind === 'zeno' ? this.zenoScoring() : undefined);
    this.applyAggregate(aggregate);
    const contributors = this.contributions.size;
    this.contributions.clear();
    const applied = this.step++;
    this.host.broadcastGradient(members, { runId: this.host.runId, step: applied, contributors }, aggregate);
    this.host.setModel(this.model, this.step, 'sync');
    this.host.closeRound(this.step);
  }

  /** The optimizer's step with the aggregate, pulls off, in float32 like the workers' buffers, so the server's copy
   *  stays the one they all hold. */
  private applyAggregate(aggregate: Float32Array): void {
    const { hyper } = this.host;
    const rates = { lr: hyper.lr, momentum: hyper.momentum, lambdaL: 0, lambdaG: 0, useLocal: false, useGlobal: false };
    if (this.secondMoment) {
      const next = adamwUpdate(this.model, aggregate, this.velocity, this.secondMoment, null, null, { ...rates, ...adamwRates(hyper) }, this.step - this.momentsFrom + 1);
      this.secondMoment = Float32Array.from(next.v);
      this.velocity = Float32Array.from(next.m);
      this.model = Float32Array.from(next.params);
      return;
    }
    const next = lsgdUpdate(this.model, aggregate, this.velocity, null, null, rates);
    this.velocity = Float32Array.from(next.velocity);
    this.model = Float32Array.from(next.params);
  }

  /** Zeno's scoring of the open step: the server's model, and the step's window of held-out samples. */
  private zenoScoring(): ZenoScoring {
    const heldOut = this.host.heldOut();
    if (heldOut.count === 0) throw new Error('zeno needs held-out samples to score gradients on, and the validation split is empty');
    const count = Math.min(ZENO_BATCH, heldOut.count);
    const start = (this.step % Math.floor(heldOut.count / count)) * count;
    const batch = sliceSplit(heldOut, shapeSize(this.host.spec.input), start, count);
    return { weights: this.model, loss: heldOutLoss(this.host.spec, batch), gamma: this.host.hyper.lr, rho: ZENO_RHO };
  }

  evaluationDue(): void {
    this.host.evaluateModel();
  }

  onUpload(): void {
    throw new Error('sync-sgd asks for no uploads');
  }
}
