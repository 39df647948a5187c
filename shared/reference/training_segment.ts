// Replaying a stretch of a tab's training on the CPU (proofs of work): from the state the tab committed at one
// step, the same minibatches (named by the step and the tab's issued shuffle seed), the same rates and the same
// leader copies, up to the state it committed later. The state is rounded to float32 after every step, as the
// tab's GPU buffers hold it, so the replay follows the tab's trajectory rather than a float64 cousin of it.
import type { DataSplit } from '../dataset.ts';
import type { MinibatchOrder } from '../minibatch.ts';
import { shapeSize, type ModelSpec } from '../model.ts';
import type { CommittedState } from '../state_digest.ts';
import { lsgdUpdate, type UpdateHyper } from './lsgd_update.ts';
import { lossAndGradient } from './model.ts';

export interface TrainingSegment {
  spec: ModelSpec;
  rates: Pick<UpdateHyper, 'lr' | 'momentum' | 'lambdaL' | 'lambdaG'>;
  train: DataSplit;
  order: MinibatchOrder;
  /** The state after step `from`; the replay runs steps from..to-1 (0-based run steps) and ends after step `to`. */
  from: number;
  to: number;
  start: CommittedState;
  /** The leader copies pulled toward through the segment (null: no pull). */
  pulls: { local: Float32Array | null; global: Float32Array | null };
}

/** The gradient of run step `step`'s minibatch at `params` (what a sync-sgd tab sends for that step). */
export function segmentGradient(spec: ModelSpec, train: DataSplit, order: MinibatchOrder, step: number, params: ArrayLike<number>): Float64Array {
  const size = shapeSize(spec.input);
  const batch = order.batch;
  const x = new Float64Array(batch * size);
  const labels = new Uint8Array(batch);
  const idx = order.indices(step);
  for (let b = 0; b < batch; b++) {
    const j = idx[b];
    for (let k = 0; k < size; k++) x[b * size + k] = train.pixels[j * size + k] / 255;
    labels[b] = train.labels[j];
  }
  return lossAndGradient(spec, params, x, labels, batch).grad;
}

export function replaySegment(s: TrainingSegment): CommittedState {
  let params = s.start.params;
  let velocity = s.start.velocity;
  const hyper: UpdateHyper = { ...s.rates, useLocal: s.pulls.local !== null, useGlobal: s.pulls.global !== null };
  for (let step = s.from; step < s.to; step++) {
    const grad = segmentGradient(s.spec, s.train, s.order, step, params);
    const next = lsgdUpdate(params, grad, velocity, s.pulls.local, s.pulls.global, hyper);
    params = Float32Array.from(next.params);
    velocity = Float32Array.from(next.velocity);
  }
  return { params, velocity };
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum);
}

/** How far a claimed end state is from the replayed one: the parameters relative to how far the segment moved
 *  them (an absolute comparison would hide a skipped step inside the weights' own size), the momentum buffer
 *  relative to its own size. */
export function segmentDiscrepancy(claimed: CommittedState, replayed: CommittedState, start: CommittedState): { params: number; velocity: number } {
  const moved = distance(replayed.params, start.params);
  const speed = distance(replayed.velocity, new Float32Array(replayed.velocity.length));
  const tiny = 1e-12;
  return {
    params: distance(claimed.params, replayed.params) / Math.max(moved, tiny),
    velocity: distance(claimed.velocity, replayed.velocity) / Math.max(speed, tiny),
  };
}
