// parle on the tab: the trainer runs the inner steps on y, pulled toward the replica x_a inside every step (the
// trainer's penalty pull with the replica as its local leader and lambdaL = gamma); each y is read back on the GPU
// queue, without stalling it, into the exponential average mu. Every tau steps the tab pushes its replica, is
// answered with the reference, takes the replica step, and starts y and mu again from the new replica
// (shared/reference/parle.ts).
import type { Trainer } from '../../engine/trainer.ts';
import { parleAverage, parleReplicaStep } from '../../../shared/reference/parle.ts';
import { pushWeights, type WorkerSocket } from './push.ts';

export class ParleReplica {
  private mu: Float64Array;
  /** The reads of y folded into mu, in step order. */
  private folding: Promise<void> = Promise.resolve();
  private lastPushStep: number;

  private constructor(
    private readonly socket: WorkerSocket,
    private readonly trainer: Trainer,
    private readonly run: { runId: number; tau: number; rho: number },
    private replica: Float32Array,
    private readonly lossEstimate: () => number,
    private readonly notice: (message: string) => void,
  ) {
    this.mu = Float64Array.from(replica);
    this.lastPushStep = trainer.runStep;
  }

  /** The trainer must have been created with the penalty pull: the replica pulls y inside every step. */
  static async start(socket: WorkerSocket, trainer: Trainer, run: { runId: number; tau: number; gamma: number; rho: number }, lossEstimate: () => number, notice: (message: string) => void): Promise<ParleReplica> {
    const replica = await trainer.getParams();
    trainer.setHyper({ lambdaL: run.gamma });
    trainer.setLeader('local', replica);
    return new ParleReplica(socket, trainer, run, replica, lossEstimate, notice);
  }

  /** One inner step; at the end of a round, the exchange and the replica step. */
  async step(): Promise<void> {
    this.trainer.step();
    const y = this.trainer.getParams();
    this.folding = this.folding.then(async () => {
      this.mu = parleAverage(this.mu, await y);
    });
    const step = this.trainer.runStep;
    if (step - this.lastPushStep < this.run.tau || !this.socket.connected) return;
    this.lastPushStep = step;
    await this.folding;
    const answer = await pushWeights(this.socket, { runId: this.run.runId, step, lossEstimate: this.lossEstimate() }, this.replica);
    // refused, the replica still takes its own entropy step, with no pull toward a reference
    const reference = typeof answer === 'string' ? this.replica : answer.weights;
    if (typeof answer === 'string') this.notice(`parle exchange refused: ${answer}`);
    this.replica = Float32Array.from(parleReplicaStep(this.replica, this.mu, reference, this.run.rho));
    this.mu = Float64Array.from(this.replica);
    this.trainer.setParams(this.replica);
    this.trainer.setLeader('local', this.replica);
  }
}
