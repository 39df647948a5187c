// grawa on the tab: every tau steps the step is taken in halves: the gradient of its minibatch at x, whose norm is
// pushed with x; the answer is the center, the pull x - lambda (x - center) is taken, and then the step with that
// gradient, as if the pull and the step were one (shared/reference/grawa.ts). Other steps are plain local steps.
import type { Trainer } from '../../engine/trainer.ts';
import { grawaPull } from '../../../shared/reference/grawa.ts';
import { l2Norm } from '../../../shared/reference/robust_aggregation.ts';
import { pushWeights, type WorkerSocket } from './push.ts';

/** The largest norm the protocol takes; a larger one (a diverging tab's) is sent as this: its weight is next to none either way. */
const MAX_CLAIMED_NORM = 1e6;

export class GrawaPull {
  private lastPushStep: number;

  constructor(
    private readonly socket: WorkerSocket,
    private readonly trainer: Trainer,
    private readonly run: { runId: number; tau: number; lambda: number },
    private readonly lossEstimate: () => number,
    private readonly notice: (message: string) => void,
  ) {
    this.lastPushStep = trainer.runStep;
  }

  async step(): Promise<void> {
    const due = this.trainer.runStep + 1 - this.lastPushStep >= this.run.tau && this.socket.connected;
    if (!due) return this.trainer.step();
    const grad = await this.trainer.computeGradient(this.trainer.runStep);
    const step = this.trainer.runStep;
    this.lastPushStep = step;
    const norm = l2Norm(grad);
    if (norm > 0 && Number.isFinite(norm)) {
      const x = await this.trainer.getParams();
      const answer = await pushWeights(this.socket, { runId: this.run.runId, step, lossEstimate: this.lossEstimate(), gradNorm: Math.min(norm, MAX_CLAIMED_NORM) }, x);
      if (typeof answer === 'string') this.notice(`grawa exchange refused: ${answer}`);
      else this.trainer.setParams(Float32Array.from(grawaPull(x, answer.weights, this.run.lambda)));
    } else {
      this.notice(`grawa: no exchange at step ${step}: the gradient norm is ${norm}`);
    }
    this.trainer.applyGradient(grad);
  }
}
