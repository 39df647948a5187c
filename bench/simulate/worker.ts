// A simulated tab: its parameters and momentum, its own minibatch order, and the training step it runs, the same
// computation a tab's kernels run (shared/reference: the model's loss and gradient, then the momentum update).
import type { DataSplit } from '../../shared/dataset.ts';
import { MinibatchOrder } from '../../shared/minibatch.ts';
import { shapeSize, type ModelSpec } from '../../shared/model.ts';
import { gatherBatch } from '../../shared/reference/gather_batch.ts';
import { lossAndGradient, type LossAndGradient } from '../../shared/reference/model.ts';
import { lsgdUpdate } from '../../shared/reference/lsgd_update.ts';
import type { Volunteer } from './volunteers.ts';

/** The running loss a tab reports: the mean of its last minibatches, as the client computes it. */
const LOSS_WINDOW = 10;

export interface SimWorker extends Volunteer {
  params: Float64Array;
  velocity: Float64Array;
  /** Training steps done (across visits: the minibatch order goes on where it left off). */
  step: number;
  online: boolean;
  quarantined: boolean;
  /** Bumped when the tab leaves, so that events of an earlier visit find it changed and do nothing. */
  visit: number;
  order: MinibatchOrder;
  recentLosses: number[];
}

export interface Hyper {
  lr: number;
  momentum: number;
  batch: number;
}

/** Leader copies and pull strengths for the penalty variant's update; null pulls nothing. */
export interface Penalty {
  local: ArrayLike<number> | null;
  global: ArrayLike<number> | null;
  lambdaL: number;
  lambdaG: number;
}

export function newWorker(v: Volunteer, initial: Float64Array, train: DataSplit, batch: number, seed: number): SimWorker {
  return {
    ...v,
    params: Float64Array.from(initial),
    velocity: new Float64Array(initial.length),
    step: 0,
    online: false,
    quarantined: false,
    visit: 0,
    // each tab its own order, as the coordinator issues each its own shuffle seed
    order: new MinibatchOrder(train.count, batch, (Math.imul(seed, 1000003) + v.index * 7919 + 1) >>> 0),
    recentLosses: [],
  };
}

export function lossEstimate(w: SimWorker): number | null {
  if (w.recentLosses.length === 0) return null;
  return w.recentLosses.reduce((a, b) => a + b, 0) / w.recentLosses.length;
}

export class Trainer {
  private readonly sampleSize: number;

  constructor(
    readonly spec: ModelSpec,
    private readonly train: DataSplit,
    readonly hyper: Hyper,
  ) {
    this.sampleSize = shapeSize(spec.input);
  }

  /** The loss and gradient at `params` (the worker's own by default) on the worker's minibatch of its current step;
   *  the loss joins the worker's running estimate. */
  gradient(w: SimWorker, params: ArrayLike<number> = w.params): LossAndGradient {
    const { x, y } = gatherBatch(this.train.pixels, this.train.labels, w.order.indices(w.step), this.sampleSize);
    const result = lossAndGradient(this.spec, params, x, y, this.hyper.batch);
    w.recentLosses.push(result.loss);
    if (w.recentLosses.length > LOSS_WINDOW) w.recentLosses.shift();
    return result;
  }

  /** One momentum SGD step of the worker on `grad` (plus the penalty variant's pulls), in place. */
  applyStep(w: SimWorker, grad: ArrayLike<number>, penalty: Penalty | null = null, lr = this.hyper.lr): void {
    const useLocal = penalty?.local != null;
    const useGlobal = penalty?.global != null;
    const next = lsgdUpdate(w.params, grad, w.velocity, penalty?.local ?? null, penalty?.global ?? null, {
      lr,
      momentum: this.hyper.momentum,
      lambdaL: penalty?.lambdaL ?? 0,
      lambdaG: penalty?.lambdaG ?? 0,
      useLocal,
      useGlobal,
    });
    w.params = next.params;
    w.velocity = next.velocity;
    w.step++;
  }

  /** A whole local step: gradient on its own minibatch, then the update. */
  trainStep(w: SimWorker, penalty: Penalty | null = null, lr = this.hyper.lr): void {
    this.applyStep(w, this.gradient(w).grad, penalty, lr);
  }
}
