// Replaying a stretch of a tab's training on the CPU (proofs of work): from the state the tab committed at one
// step, the same minibatches (named by the step and the tab's issued shuffle seed), the same rates and the same
// leader copies, up to the state it committed later. The state is rounded to float32 after every step, as the
// tab's GPU buffers hold it, so the replay follows the tab's trajectory rather than a float64 cousin of it.
// The copies a stretch names act as the run's pull says: 'periodic', one interpolation at its first step (the
// communication step its starting state was committed at, just before that pull); 'penalty', in every step.
// The optimizer is the run's: momentum SGD, or AdamW when the segment names its rates (its step counter comes from
// the start state's momentsFrom, the run step the tab's moments started at).
import type { DataSplit } from '../dataset.ts';
import type { MinibatchOrder } from '../minibatch.ts';
import { isSequenceModel, shapeSize, type ModelSpec } from '../model.ts';
import type { Pull } from '../run_config.ts';
import type { CommittedState } from '../state_digest.ts';
import { gatherBatch } from './gather_batch.ts';
import { gatherTokens } from './gather_tokens.ts';
import { leaderPull } from './leader_pull.ts';
import { adamwUpdate, type AdamwHyper } from './adamw_update.ts';
import { lsgdUpdate, type UpdateHyper } from './lsgd_update.ts';
import { lossAndGradient } from './model.ts';

export interface TrainingSegment {
  spec: ModelSpec;
  rates: Pick<UpdateHyper, 'lr' | 'momentum' | 'lambdaL' | 'lambdaG'>;
  /** AdamW's rates (momentum is then unused); momentum SGD when absent. */
  adamw?: AdamwRates;
  train: DataSplit;
  order: MinibatchOrder;
  /** The state after step `from`; the replay runs steps from..to-1 (0-based run steps) and ends after step `to`. */
  from: number;
  to: number;
  start: CommittedState;
  /** The leader copies pulled toward (null: no pull). */
  pulls: { local: Float32Array | null; global: Float32Array | null };
  pull: Pull;
}

export type AdamwRates = Pick<AdamwHyper, 'beta1' | 'beta2' | 'eps' | 'weightDecay'>;

/** The inputs and labels of run step `step`'s minibatch: images scaled to 0..1, or for a sequence model windows of
 *  byte tokens starting where the order says, labelled with the bytes that follow. */
export function segmentBatch(spec: ModelSpec, train: DataSplit, order: MinibatchOrder, step: number): { x: Float64Array; labels: ArrayLike<number> } {
  const idx = order.indices(step);
  if (isSequenceModel(spec)) {
    const { x, y } = gatherTokens(train.pixels, train.labels, idx, spec.input.width);
    return { x, labels: y };
  }
  const { x, y } = gatherBatch(train.pixels, train.labels, idx, shapeSize(spec.input));
  return { x, labels: y };
}

/** The gradient of run step `step`'s minibatch at `params` (what a sync-sgd tab sends for that step). Dropout masks are named
 *  by the tab's shuffle seed and the step, as the tab's are. */
export function segmentGradient(spec: ModelSpec, train: DataSplit, order: MinibatchOrder, step: number, params: ArrayLike<number>): Float64Array {
  const { x, labels } = segmentBatch(spec, train, order, step);
  return lossAndGradient(spec, params, x, labels, order.batch, { seed: order.seed, step }).grad;
}

export function replaySegment(s: TrainingSegment): CommittedState {
  if ((s.adamw !== undefined) !== (s.start.momentsFrom !== undefined)) throw new Error(`replay: ${s.adamw ? 'an AdamW segment needs a start state with AdamW moments' : 'a momentum segment cannot start from an AdamW state'}`);
  const periodic = s.pull === 'periodic';
  let state = periodic ? { ...s.start, params: Float32Array.from(leaderPull(s.start.params, s.pulls.local, s.pulls.global, s.rates, true)) } : s.start;
  const pulls = { useLocal: !periodic && s.pulls.local !== null, useGlobal: !periodic && s.pulls.global !== null };
  for (let step = s.from; step < s.to; step++) {
    const grad = segmentGradient(s.spec, s.train, s.order, step, state.params);
    state = optimizerStep(s, state, grad, pulls, step);
  }
  return state;
}

/** One step of the segment's optimizer at run step `step`, rounded to float32 as the tab's buffers hold it. */
function optimizerStep(s: TrainingSegment, state: CommittedState, grad: ArrayLike<number>, pulls: Pick<UpdateHyper, 'useLocal' | 'useGlobal'>, step: number): CommittedState {
  const { local, global } = s.pulls;
  if (!s.adamw) {
    const next = lsgdUpdate(state.params, grad, state.velocity, local, global, { ...s.rates, ...pulls });
    return { params: Float32Array.from(next.params), velocity: Float32Array.from(next.velocity) };
  }
  const next = adamwUpdate(state.params, grad, state.velocity, state.secondMoment!, local, global, { ...s.rates, ...s.adamw, ...pulls }, step - state.momentsFrom! + 1);
  return { params: Float32Array.from(next.params), velocity: Float32Array.from(next.m), secondMoment: Float32Array.from(next.v), momentsFrom: state.momentsFrom };
}

/** How far a claimed vector is from the recomputed one. */
export interface Discrepancy {
  /** ||claimed - reference|| relative to ||reference - origin||: for parameters, how far the steps moved them; for
   *  momentum or a gradient (origin zero), its size. */
  distance: number;
  /** The share of the values that moved whose error exceeds `tolerance` x (their own movement + 1% of the typical
   *  one). Honest float32 arithmetic now and then flips a ReLU or a max-pool choice that sat within rounding of
   *  its threshold, which moves the few values behind it far (a 4e-3 distance was seen in a 10-minute run); a
   *  skipped step or other minibatches move nearly all of them. */
  outliers: number;
}

export function discrepancy(claimed: ArrayLike<number>, reference: ArrayLike<number>, origin: ArrayLike<number> | null, tolerance: number): Discrepancy {
  const n = reference.length;
  const moved = (i: number) => reference[i] - (origin ? origin[i] : 0);
  let movedSq = 0;
  let errorSq = 0;
  for (let i = 0; i < n; i++) {
    movedSq += moved(i) ** 2;
    errorSq += (claimed[i] - reference[i]) ** 2;
  }
  const typical = Math.sqrt(movedSq / n);
  let movers = 0;
  let outliers = 0;
  for (let i = 0; i < n; i++) {
    const m = Math.abs(moved(i));
    if (m === 0 && claimed[i] === reference[i]) continue;
    movers++;
    // NaN compares false: a non-finite claim is an outlier
    if (!(Math.abs(claimed[i] - reference[i]) <= tolerance * (m + 0.01 * typical))) outliers++;
  }
  return { distance: Math.sqrt(errorSq) / Math.max(Math.sqrt(movedSq), 1e-30), outliers: movers === 0 ? 0 : outliers / movers };
}

/** A claimed end state against the replay: the worst of parameters (against their movement) and the optimizer's
 *  moments (against their size). */
export function segmentDiscrepancy(claimed: CommittedState, replayed: CommittedState, start: CommittedState, tolerance: number): Discrepancy {
  if ((claimed.secondMoment === undefined) !== (replayed.secondMoment === undefined)) throw new Error('segmentDiscrepancy: the claimed state and the replay are of different optimizers');
  const all = [
    discrepancy(claimed.params, replayed.params, start.params, tolerance),
    discrepancy(claimed.velocity, replayed.velocity, null, tolerance),
    ...(replayed.secondMoment ? [discrepancy(claimed.secondMoment!, replayed.secondMoment, null, tolerance)] : []),
  ];
  return { distance: Math.max(...all.map((d) => d.distance)), outliers: Math.max(...all.map((d) => d.outliers)) };
}
