// Independent workers with no communication (the floor of the comparison). The run's model, for evaluation, is
// the worker with the lowest reported loss: it alone is asked to upload when an evaluation is due, and those
// bytes are counted as the run's traffic (evaluation traffic; training itself moves none).
import type { AlgorithmHost, BaselineAlgorithm, Member } from './host.ts';

/** The member with the lowest reported loss (ties by id), or null when none has reported. */
export function bestByLoss(members: readonly Member[]): string | null {
  const ranked = members.filter((m): m is Member & { loss: number } => m.loss !== null).sort((a, b) => a.loss - b.loss || (a.workerId < b.workerId ? -1 : 1));
  return ranked[0]?.workerId ?? null;
}

export class Local implements BaselineAlgorithm {
  constructor(private readonly host: AlgorithmHost) {}

  membershipChanged(): void {}

  evaluationDue(): void {
    const best = bestByLoss(this.host.members());
    if (best) this.host.requestUpload(best);
  }

  onUpload(workerId: string, weights: Float32Array, step: number): void {
    this.host.setModel(weights, step, workerId);
    this.host.closeRound(step);
    this.host.evaluateModel();
  }
}
