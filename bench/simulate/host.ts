// The coordinator's side of an algorithm module (server/algorithms/) hosted by the simulation instead of the
// coordinator: members are the live simulated tabs, the model is what the module last set. Bytes are not counted
// here: the simulated network counts every transfer as it carries it.
import type { AlgorithmHost, Member } from '../../server/algorithms/host.ts';
import type { DataSplit } from '../../shared/dataset.ts';
import type { ModelSpec } from '../../shared/model.ts';
import type { Hyper } from '../../shared/run_config.ts';
import type { AlgorithmOptions, SimContext } from './algorithm.ts';
import { lossEstimate } from './worker.ts';

export class SimHost implements AlgorithmHost {
  readonly runId = 1;
  readonly paramLength: number;
  readonly hyper: Hyper;
  readonly spec: ModelSpec;
  /** The run's model: what is evaluated and what a returning tab starts from. */
  model: Float32Array;

  constructor(
    private readonly ctx: SimContext,
    o: AlgorithmOptions,
  ) {
    const { lr, momentum, batch } = ctx.trainer.hyper;
    this.spec = ctx.trainer.spec;
    this.paramLength = ctx.initial.length;
    this.hyper = { lr, momentum, batch, tau: o.tau, tauG: o.tauG, lambdaL: o.lambdaL, lambdaG: o.lambdaG, pull: 'periodic', alpha: o.alpha, gamma: o.gamma, rho: o.rho, lambda: o.grawaLambda };
    this.model = Float32Array.from(ctx.initial);
  }

  heldOut(): DataSplit {
    return this.ctx.validation;
  }

  members(): Member[] {
    return this.ctx.live().map((w) => ({ workerId: w.id, loss: lossEstimate(w) }));
  }

  countUp(): void {}

  countDown(): void {}

  closeRound(): void {}

  setModel(weights: Float32Array): void {
    this.model = weights;
  }

  evaluateModel(): void {}

  broadcastGradient(): void {
    throw new Error('the simulation hosts push algorithms only: sync-sgd runs in sync_sgd.ts');
  }

  requestUpload(): void {
    throw new Error('the simulation hosts push algorithms only: they ask for no uploads');
  }
}
