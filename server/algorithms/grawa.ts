// GRAWA through the coordinator: every tau steps a tab pushes its weights and the norm of its gradient there, and
// is answered with the center, the average of every member's latest push weighted by the inverse of its gradient
// norm, which it is pulled toward (shared/reference/grawa.ts). Asynchronous: the center is over each member's
// latest push, not over one synchronous round. The center is the run's model.
import { grawaCenter } from '../../shared/reference/grawa.ts';
import { median } from '../../shared/median.ts';
import type { AlgorithmHost, BaselineAlgorithm } from './host.ts';
import { keepMembers, PushRounds, type PushAnswer, type PushClaims, type PushExchange } from './push_exchange.ts';

/** The smallest gradient norm a tab's claim counts as, as a fraction of the members' median claim. */
export const GRAWA_NORM_FLOOR = 0.1;

/**
 * The norms the center weights by: each claim, but at least GRAWA_NORM_FLOOR x the median claim. The coordinator
 * cannot check a claimed norm without the tab's minibatch, and the weight is its inverse: a tab claiming a tiny norm
 * would own the center and drag every worker to its weights. With the floor one tab weighs at most 10 times the
 * median tab; an attacker still gets that share (for weights inside the run's norm bound), and attackers who are
 * half the members or more move the median itself. A claimed large norm only lowers the claimant's own weight.
 */
export function boundedGradNorms(claims: readonly number[]): number[] {
  if (claims.length === 0) return [];
  const floor = GRAWA_NORM_FLOOR * median(claims);
  return claims.map((c) => Math.max(c, floor));
}

export class Grawa implements BaselineAlgorithm, PushExchange {
  private readonly latest = new Map<string, { x: Float32Array; gradNorm: number }>();
  private readonly rounds: PushRounds;

  constructor(
    private readonly host: AlgorithmHost,
    private center: Float32Array,
  ) {
    this.rounds = new PushRounds(host);
  }

  get weights(): Float32Array {
    return this.center;
  }

  onPush(workerId: string, x: Float32Array, step: number, claims: PushClaims): PushAnswer | string {
    const gradNorm = claims.gradNorm;
    if (gradNorm === undefined || !(gradNorm > 0) || !Number.isFinite(gradNorm)) return `grawa needs the gradient norm at the pushed weights (gradNorm > 0), got ${gradNorm}`;
    if (!this.host.members().some((m) => m.workerId === workerId)) return `worker ${workerId} is not a member now (paused, silent or quarantined): its weights do not count`;
    this.latest.set(workerId, { x, gradNorm });
    this.membershipChanged();
    const pushes = [...this.latest.values()];
    const norms = boundedGradNorms(pushes.map((p) => p.gradNorm));
    this.center = Float32Array.from(grawaCenter(pushes.map((p, k) => ({ x: p.x, gradNorm: norms[k] }))));
    return { weights: this.center, version: this.rounds.answered(workerId, this.center, step, 'center', this.center.byteLength) };
  }

  /** A push counts while its worker is a member. */
  membershipChanged(): void {
    keepMembers(this.host, this.latest);
  }

  evaluationDue(): void {
    this.host.evaluateModel();
  }

  onUpload(): void {
    throw new Error('grawa asks for no uploads: workers push every tau steps');
  }
}
