// Which samples a tab trains on at each step. The order is a function of the step number and a seed the
// coordinator issues, so the coordinator can name the minibatch of any step a tab claims to have done and
// recompute that step (proofs of work), and a tab cannot pick its own easy samples.
import { isSequenceModel, type ModelSpec } from './model.ts';
import { seededRandom, shuffledIndices } from './random.ts';

export class MinibatchOrder {
  readonly stepsPerEpoch: number;
  private epoch = -1;
  private order: Uint32Array = new Uint32Array(0);

  /** `count` training samples, `batch` per step; an epoch is the whole batches of one shuffle (the rest is dropped). */
  constructor(readonly count: number, readonly batch: number, readonly seed: number) {
    if (!Number.isInteger(batch) || batch < 1 || count < batch) throw new Error(`minibatches of ${batch} need at least that many samples, the split has ${count}`);
    this.stepsPerEpoch = Math.floor(count / batch);
  }

  /** The sample indices of step `step` (0 = the run's first step): a view, valid until the next call. */
  indices(step: number): Uint32Array {
    if (!Number.isInteger(step) || step < 0) throw new Error(`minibatch of step ${step}: steps are whole numbers from 0`);
    const epoch = Math.floor(step / this.stepsPerEpoch);
    if (epoch !== this.epoch) {
      this.order = shuffledIndices(this.count, seededRandom((Math.imul(this.seed, 7919) + epoch) >>> 0));
      this.epoch = epoch;
    }
    const at = (step % this.stepsPerEpoch) * this.batch;
    return this.order.subarray(at, at + this.batch);
  }
}

/** What a minibatch order draws from in a split of `count` samples: every sample of an image split; for a sequence
 *  model every start of a whole window of its context in the split's byte stream. */
export function trainingSamples(spec: ModelSpec, count: number): number {
  return isSequenceModel(spec) ? count - spec.input.width + 1 : count;
}
