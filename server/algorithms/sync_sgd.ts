// Synchronous data-parallel SGD: every step each member sends its gradient; when all members of the step have,
// the aggregate is broadcast and every worker, and the server's own copy of the model, apply it. The barrier is
// the point: a step lasts as long as its slowest member takes.
import { lsgdUpdate } from '../../shared/reference/lsgd_update.ts';
import { meanGradient, medianGradient } from '../../shared/reference/sync_sgd.ts';
import type { AlgorithmHost, BaselineAlgorithm } from './host.ts';

/** The step is complete when every current member has contributed (contributions of members that left still count). */
export function barrierComplete(memberIds: readonly string[], contributed: ReadonlySet<string>): boolean {
  return contributed.size > 0 && memberIds.every((id) => contributed.has(id));
}

export function aggregateGradients(grads: readonly Float32Array[], kind: 'mean' | 'median'): Float32Array {
  return Float32Array.from(kind === 'median' ? medianGradient(grads) : meanGradient(grads));
}

export class SyncSgd implements BaselineAlgorithm {
  /** The synchronous step whose gradients are being collected (= steps applied so far). */
  step: number;
  private readonly contributions = new Map<string, Float32Array>();
  private velocity: Float32Array;

  constructor(
    private readonly host: AlgorithmHost,
    /** The server's copy of the shared weights, stepped exactly as the workers step theirs. */
    private model: Float32Array,
    startStep: number,
  ) {
    this.step = startStep;
    this.velocity = new Float32Array(model.length);
  }

  get weights(): Float32Array {
    return this.model;
  }

  /** A member's gradient for `step`; returns an error for a step other than the open one. */
  onGradient(workerId: string, step: number, grad: Float32Array): string | null {
    if (step !== this.step) return `gradient for step ${step}, but the run is at step ${this.step}`;
    if (this.contributions.has(workerId)) return `a second gradient for step ${step}`;
    this.contributions.set(workerId, grad);
    this.membershipChanged();
    return null;
  }

  membershipChanged(): void {
    const members = this.host.members().map((m) => m.workerId);
    if (!barrierComplete(members, new Set(this.contributions.keys()))) return;
    const aggregate = aggregateGradients([...this.contributions.values()], this.host.hyper.aggregate ?? 'mean');
    const { lr, momentum } = this.host.hyper;
    const next = lsgdUpdate(this.model, aggregate, this.velocity, null, null, { lr, momentum, lambdaL: 0, lambdaG: 0, useLocal: false, useGlobal: false });
    // float32 like the workers' buffers, so the server's copy stays the one they all hold
    this.model = Float32Array.from(next.params);
    this.velocity = Float32Array.from(next.velocity);
    const contributors = this.contributions.size;
    this.contributions.clear();
    const applied = this.step++;
    this.host.broadcastGradient(members, { runId: this.host.runId, step: applied, contributors }, aggregate);
    this.host.setModel(this.model, this.step, 'sync');
    this.host.closeRound(this.step);
  }

  evaluationDue(): void {
    this.host.evaluateModel();
  }

  onUpload(): void {
    throw new Error('sync-sgd asks for no uploads');
  }
}
