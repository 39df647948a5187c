// sgp on the tab: the trainer holds the de-biased parameters x = z / w and steps them with lr / w, which is the step
// z <- z - lr g of shared/reference/sgp.ts (momentum, when set, applies to g as in every algorithm here). Every tau
// steps the tab pushes x and takes the coordinator's answer: its x after the gossip and its new push-sum weight w,
// which the coordinator keeps (server/algorithms/sgp.ts).
import type { Trainer } from '../../engine/trainer.ts';
import { pushWeights, type WorkerSocket } from './push.ts';

export class SgpGossip {
  private lastPushStep: number;

  constructor(
    private readonly socket: WorkerSocket,
    private readonly trainer: Trainer,
    private readonly run: { runId: number; tau: number; lr: number },
    private readonly lossEstimate: () => number,
    private readonly notice: (message: string) => void,
  ) {
    this.lastPushStep = trainer.runStep;
  }

  /** One local step, then the gossip when tau steps have passed since the last. */
  async step(): Promise<void> {
    this.trainer.step();
    const step = this.trainer.runStep;
    if (step - this.lastPushStep < this.run.tau || !this.socket.connected) return;
    this.lastPushStep = step;
    const x = await this.trainer.getParams();
    const answer = await pushWeights(this.socket, { runId: this.run.runId, step, lossEstimate: this.lossEstimate() }, x);
    if (typeof answer === 'string') return this.notice(`gossip refused: ${answer}`);
    if (answer.weight === undefined) return this.notice('gossip refused: the answer carried no push-sum weight');
    this.trainer.setParams(answer.weights);
    this.trainer.setHyper({ lr: this.run.lr / answer.weight });
  }
}
