// What the baselines that couple workers through `push` messages (sgp, parle, grawa) answer a push with. easgd
// answers the same message with its center (easgd.ts), as it did before these; all four keep the books alike.
import type { AlgorithmHost } from './host.ts';

/** What a tab claims alongside its pushed weights; only grawa reads it. */
export interface PushClaims {
  /** ||g||, the norm of the tab's gradient at the pushed weights (grawa). */
  gradNorm?: number;
}

export interface PushAnswer {
  /** The weights the tab takes or pulls toward: sgp's mixed parameters, parle's reference, grawa's center. */
  weights: Float32Array;
  /** Counts the exchanges the coordinator answered in this run. */
  version: number;
  /** sgp: the tab's push-sum weight after the exchange, which scales its learning rate. */
  weight?: number;
}

export interface PushExchange {
  /** One exchange with a member's pushed weights (already validated and bounded, their upload counted); the
   *  answer, counted as sent, or the reason it was refused, with nothing changed. */
  onPush(workerId: string, x: Float32Array, step: number, claims: PushClaims): PushAnswer | string;
}

/** The books every answered push keeps: the run's model moves to `model` at the furthest step pushed so far, the
 *  answer (`sentBytes`) is counted as sent to the pusher, and the exchange closes a round. */
export class PushRounds {
  private version = 0;
  private step = 0;

  constructor(private readonly host: AlgorithmHost) {}

  /** Records one exchange; returns its version (the count of exchanges answered in this run). */
  answered(workerId: string, model: Float32Array, step: number, source: string, sentBytes: number): number {
    this.step = Math.max(this.step, step);
    this.version++;
    this.host.setModel(model, this.step, source);
    this.host.countDown(workerId, sentBytes);
    this.host.closeRound(this.step);
    return this.version;
  }
}

/** Drops the entries of workers that are no longer members: what they pushed counts only while they take part. */
export function keepMembers(host: AlgorithmHost, byWorker: Map<string, unknown>): void {
  const ids = new Set(host.members().map((m) => m.workerId));
  for (const id of byWorker.keys()) if (!ids.has(id)) byWorker.delete(id);
}
