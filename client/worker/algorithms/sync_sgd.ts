// sync-sgd on the tab: each step computes the gradient, sends it, waits for the coordinator's aggregate of that
// step (the barrier), and applies the aggregate, so every worker's weights stay identical.
import type { Socket } from 'socket.io-client';
import type { Trainer } from '../../engine/trainer.ts';
import { checkedLeaderCopy } from '../../../shared/leader_copy.ts';
import {
  bytesToWeights, weightsToBytes,
  type AveragedGradientMeta, type ClientToServerEvents, type ServerToClientEvents, type WeightBytes,
} from '../../../shared/protocol.ts';

const ACK_TIMEOUT_MS = 30_000;
const RETRY_MS = 250;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class GradientExchange {
  /** The synchronous step this worker computes next (= aggregates applied so far, counting from the run's start). */
  step: number;
  private readonly waiting = new Map<number, (g: Float32Array | null) => void>();
  private cancelled = false;

  constructor(
    private readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>,
    private readonly runId: number,
    private readonly paramLength: number,
    startStep: number,
    private readonly notice: (message: string) => void,
  ) {
    this.step = startStep;
  }

  /** An aggregate from the coordinator; one for a step nobody here waits for (a refused one) is dropped. */
  receive(meta: AveragedGradientMeta, bytes: WeightBytes): void {
    if (meta.runId !== this.runId) return;
    const resolve = this.waiting.get(meta.step);
    if (!resolve) return;
    this.waiting.delete(meta.step);
    try {
      resolve(checkedLeaderCopy(bytesToWeights(bytes), this.paramLength));
    } catch (e) {
      this.notice(`refused the aggregate of step ${meta.step}: ${(e as Error).message}`);
      resolve(null);
    }
  }

  /** One synchronous step; a refused or cancelled step leaves the weights as they were, to be tried again. */
  async stepOnce(trainer: Trainer): Promise<void> {
    const step = this.step;
    const grad = await trainer.computeGradient(step);
    if (this.cancelled) return;
    // registered before sending: the aggregate can arrive before the ack when this gradient completes the step
    const aggregate = new Promise<Float32Array | null>((r) => this.waiting.set(step, r));
    const refusal = await this.send(step, grad);
    if (refusal) {
      this.waiting.get(step)?.(null);
      this.waiting.delete(step);
      this.notice(`step ${step} refused: ${refusal}`);
      await sleep(RETRY_MS);
      return;
    }
    const g = await aggregate;
    if (!g) return;
    trainer.applyGradient(g);
    this.step = step + 1;
  }

  /** Ends every wait (the run ended or was left): the training loop can stop. */
  cancel(): void {
    this.cancelled = true;
    for (const resolve of this.waiting.values()) resolve(null);
    this.waiting.clear();
  }

  private async send(step: number, grad: Float32Array): Promise<string | null> {
    try {
      const reply = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck('gradient', { runId: this.runId, step }, weightsToBytes(grad));
      if (reply.ok) return null;
      return reply.step !== undefined && reply.step !== step ? `${reply.error} (this tab is out of step)` : reply.error;
    } catch (e) {
      return `no answer: ${(e as Error).message}`;
    }
  }
}
