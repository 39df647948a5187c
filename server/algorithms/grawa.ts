// GRAWA through the coordinator: every tau steps a tab pushes its weights and the norm of its gradient there, and
// is answered with the center, the average of every member's latest push weighted by the inverse of its gradient
// norm, which it is pulled toward (shared/reference/grawa.ts). Asynchronous: the center is over each member's
// latest push, not over one synchronous round. The center is the run's model.
import { grawaCenter } from '../../shared/reference/grawa.ts';
import type { AlgorithmHost, BaselineAlgorithm } from './host.ts';
import type { PushAnswer, PushClaims, PushExchange } from './push_exchange.ts';

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
  const sorted = [...claims].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return claims.map((c) => Math.max(c, GRAWA_NORM_FLOOR * median));
}

export class Grawa implements BaselineAlgorithm, PushExchange {
  private readonly latest = new Map<string, { x: Float32Array; gradNorm: number }>();
  private version = 0;
  private step = 0;

  constructor(
    private readonly host: AlgorithmHost,
    private center: Float32Array,
  ) {}

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
    this.step = Math.max(this.step, step);
    this.version++;
    this.host.setModel(this.center, this.step, 'center');
    this.host.countDown(workerId, this.center.byteLength);
    this.host.closeRound(this.step);
    return { weights: this.center, version: this.version };
  }

  /** A push counts while its worker is a member. */
  membershipChanged(): void {
    const ids = new Set(this.host.members().map((m) => m.workerId));
    for (const id of this.latest.keys()) if (!ids.has(id)) this.latest.delete(id);
  }

  evaluationDue(): void {
    this.host.evaluateModel();
  }

  onUpload(): void {
    throw new Error('grawa asks for no uploads: workers push every tau steps');
  }
}
