// Parle through the coordinator: every tau inner steps a tab pushes its replica x_a and is answered with the
// reference, the mean of the latest replica of every member, which its replica step pulls toward
// (shared/reference/parle.ts). Asynchronous: the mean is over each member's latest push, not over one round of all.
// The reference is the run's model, as Parle evaluates it.
import { parleReference } from '../../shared/reference/parle.ts';
import type { AlgorithmHost, BaselineAlgorithm } from './host.ts';
import { keepMembers, PushRounds, type PushAnswer, type PushExchange } from './push_exchange.ts';

export class Parle implements BaselineAlgorithm, PushExchange {
  private readonly replicas = new Map<string, Float32Array>();
  private readonly rounds: PushRounds;

  constructor(
    private readonly host: AlgorithmHost,
    private reference: Float32Array,
  ) {
    this.rounds = new PushRounds(host);
  }

  get weights(): Float32Array {
    return this.reference;
  }

  onPush(workerId: string, x: Float32Array, step: number): PushAnswer | string {
    if (!this.host.members().some((m) => m.workerId === workerId)) return `worker ${workerId} is not a member now (paused, silent or quarantined): its replica does not count`;
    this.replicas.set(workerId, x);
    this.membershipChanged();
    this.reference = Float32Array.from(parleReference([...this.replicas.values()]));
    return { weights: this.reference, version: this.rounds.answered(workerId, this.reference, step, 'reference', this.reference.byteLength) };
  }

  /** A replica counts while its worker is a member. */
  membershipChanged(): void {
    keepMembers(this.host, this.replicas);
  }

  evaluationDue(): void {
    this.host.evaluateModel();
  }

  onUpload(): void {
    throw new Error('parle asks for no uploads: workers push every tau steps');
  }
}
