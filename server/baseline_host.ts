// Hosting the baselines (easgd, sync-sgd, local, sgp, parle, grawa): their rules live in server/algorithms; this gives
// them the `AlgorithmHost` of the active run and handles the messages only they use (push, gradient).
import { initialParameters } from '../shared/init.ts';
import { checkedLeaderCopy } from '../shared/leader_copy.ts';
import { bytesToWeights, gradientMetaSchema, pushMetaSchema, type AveragedGradientMeta, type GradientReply, type PushReply } from '../shared/protocol.ts';
import { Easgd } from './algorithms/easgd.ts';
import { globalCopyObject, noticeOf } from './copy_objects.ts';
import { Grawa } from './algorithms/grawa.ts';
import type { AlgorithmHost } from './algorithms/host.ts';
import { Local } from './algorithms/local.ts';
import { Parle } from './algorithms/parle.ts';
import type { PushExchange } from './algorithms/push_exchange.ts';
import { Sgp } from './algorithms/sgp.ts';
import { SyncSgd } from './algorithms/sync_sgd.ts';
import { boundWorker, isEligible, normBound, normReference, type ActiveRun, type CoordinatorContext, type LiveWorker, type WorkerSocket } from './live_state.ts';
import { normBoundViolation } from './norm_bound.ts';
import { ackOf, issueText, type Reject } from './replies.ts';
import type { RunRecorder } from './run_recorder.ts';
import { stepImplausible } from './step_bound.ts';

/** The algorithms whose workers push their weights every tau steps and take the answer (proofs of work replay only
 *  easgd's exchange: sgp, parle and grawa tabs are not asked for proofs, see server/proofs.ts). */
const PUSH_ALGORITHMS = ['easgd', 'sgp', 'parle', 'grawa'];

export class BaselineHost {
  constructor(
    private readonly ctx: CoordinatorContext,
    private readonly recorder: RunRecorder,
  ) {}

  /** The run's baseline, starting from its checkpoint (or its seed); null for lsgd, which the coordinator itself runs. */
  baselineFor(a: ActiveRun, checkpoint: Float32Array | null, step: number): ActiveRun['baseline'] {
    const start = () => checkpoint ?? initialParameters(a.spec, a.run.config.seed);
    switch (a.run.config.algorithm) {
      case 'lsgd': return null;
      case 'easgd': return new Easgd(this.hostFor(a), start());
      case 'sync-sgd': return new SyncSgd(this.hostFor(a), start(), step);
      case 'local': return new Local(this.hostFor(a));
      case 'sgp': return new Sgp(this.hostFor(a));
      case 'parle': return new Parle(this.hostFor(a), start());
      case 'grawa': return new Grawa(this.hostFor(a), start());
    }
  }

  private hostFor(a: ActiveRun): AlgorithmHost {
    const live = (id: string) => this.ctx.workers.get(id);
    return {
      runId: a.run.id,
      paramLength: a.run.paramLength,
      hyper: a.run.config.hyper,
      spec: a.spec,
      heldOut: () => {
        const dataset = this.ctx.datasets.cachedDataset(a.run.config.dataset);
        if (!dataset) throw new Error(`run ${a.run.id}: dataset ${a.run.config.dataset} is not loaded, though activating the run loads it`);
        return dataset.validation;
      },
      members: () => {
        const now = this.ctx.now();
        return [...this.ctx.workers.values()].filter((w) => isEligible(w, now, this.ctx.config.heartbeatTimeoutMs)).map((w) => ({ workerId: w.workerId, loss: w.loss }));
      },
      countUp: (id, bytes) => this.recorder.countUp(a, live(id)!, bytes),
      countDown: (id, bytes) => this.recorder.countDown(a, live(id)!, bytes),
      closeRound: (step) => this.recorder.closeRound(a, step),
      setModel: (weights, step, source) => {
        a.globalCopy = { leaderId: source, version: ++a.version, step, weights };
      },
      evaluateModel: () => {
        if (a.globalCopy) void this.recorder.evaluateGlobal(a, this.recorder.checkpoint(a, false));
      },
      broadcastGradient: (ids, meta, grad) => this.broadcastGradient(a, ids, meta, grad),
      requestUpload: (id) => {
        const w = live(id);
        if (!w?.socket || w.uploadRequest) return;
        this.ctx.requestUpload(a, w);
      },
    };
  }

  /** Counted first, then sent as ONE broadcast (encoded once), like leader copies. */
  private broadcastGradient(a: ActiveRun, ids: readonly string[], meta: AveragedGradientMeta, grad: Float32Array): void {
    const targets = ids.map((id) => this.ctx.workers.get(id)!).filter((w) => w.socket);
    for (const w of targets) this.recorder.countDown(a, w, grad.byteLength);
    this.recorder.persist(a, false);
    this.ctx.nsp.to(targets.map((w) => w.socket!.id)).emit('averagedGradient', meta, Buffer.from(grad.buffer, grad.byteOffset, grad.byteLength));
  }

  /** The binary payload of a baseline message from a bound worker of the running run, counted as received. */
  private payload(socket: WorkerSocket, event: string, meta: unknown, bytes: unknown, algorithms: readonly string[]): { a: ActiveRun; w: LiveWorker; weights: Float32Array } | string {
    const w = boundWorker(this.ctx.workers, socket);
    if (!w) return 'say hello first';
    const a = this.ctx.active();
    const runId = (meta as { runId?: unknown } | null)?.runId;
    if (!a || a.run.id !== runId || a.run.state !== 'running') return `run ${String(runId)} is not running`;
    if (!algorithms.includes(a.run.config.algorithm)) return `run ${a.run.id} trains with ${a.run.config.algorithm}, not ${algorithms.join(' or ')}: no ${event} messages`;
    if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) return `${event}: the payload must be binary (ArrayBuffer of f32)`;
    this.recorder.countUp(a, w, bytes.byteLength);
    w.lastSeen = this.ctx.now();
    if (w.quarantined) return 'quarantined';
    try {
      return { a, w, weights: checkedLeaderCopy(bytesToWeights(bytes), a.run.paramLength) };
    } catch (err) {
      return (err as Error).message;
    }
  }

  onPush(socket: WorkerSocket, args: unknown[], reject: Reject): void {
    const ack = ackOf<PushReply>(args[2]) as ((reply: PushReply, center: Buffer | null) => void) | null;
    const fail = (error: string) => {
      ack?.({ ok: false, error }, null);
      reject('push', error);
    };
    const parsed = pushMetaSchema.safeParse(args[0]);
    if (!parsed.success) return fail(issueText(parsed.error));
    const got = this.payload(socket, 'push', parsed.data, args[1], PUSH_ALGORITHMS);
    if (typeof got === 'string') return fail(got);
    const { a, w, weights } = got;
    const violation = normBoundViolation(weights, normReference(a), normBound(a, this.ctx.config));
    if (violation) {
      this.ctx.quarantine(a, w, `push rejected: out of the norm bound: ${violation}`);
      return fail(`weights rejected: out of the norm bound: ${violation}`);
    }
    const implausible = stepImplausible(w, parsed.data.step, this.ctx.now(), this.ctx.config.maxStepsPerSec, a.run.config.hyper.tau);
    if (implausible) return fail(implausible);
    if (a.baseline instanceof Easgd) {
      Object.assign(w, { step: parsed.data.step, stepAt: this.ctx.now() });
      const { center, version } = a.baseline.onPush(w.workerId, weights, parsed.data.step);
      this.ctx.recordExchange(w, version, center);
      return ack?.({ ok: true, version }, Buffer.from(center.buffer, center.byteOffset, center.byteLength));
    }
    if (a.run.config.algorithm === 'grawa' && parsed.data.gradNorm === undefined) return fail('grawa pushes carry gradNorm, the norm of the gradient at the pushed weights');
    const answer = (a.baseline as PushExchange).onPush(w.workerId, weights, parsed.data.step, { gradNorm: parsed.data.gradNorm });
    // a refusal (the tab is paused or fell silent meanwhile) is the tab's cue to carry on, not a protocol violation
    if (typeof answer === 'string') return ack?.({ ok: false, error: answer }, null);
    Object.assign(w, { step: parsed.data.step, stepAt: this.ctx.now() });
    const out = answer.weights;
    ack?.({ ok: true, version: answer.version, weight: answer.weight }, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  }

  onGradient(socket: WorkerSocket, args: unknown[], reject: Reject): void {
    const ack = ackOf<GradientReply>(args[2]);
    const parsed = gradientMetaSchema.safeParse(args[0]);
    if (!parsed.success) {
      ack?.({ ok: false, error: issueText(parsed.error) });
      return reject('gradient', issueText(parsed.error));
    }
    const got = this.payload(socket, 'gradient', parsed.data, args[1], ['sync-sgd']);
    if (typeof got === 'string') {
      ack?.({ ok: false, error: got });
      return reject('gradient', got);
    }
    const sync = got.a.baseline as SyncSgd;
    const implausible = stepImplausible(got.w, parsed.data.step, this.ctx.now(), this.ctx.config.maxStepsPerSec, got.a.run.config.hyper.tau);
    if (implausible) {
      ack?.({ ok: false, error: implausible });
      return reject('gradient', implausible);
    }
    Object.assign(got.w, { step: parsed.data.step, stepAt: this.ctx.now() });
    // the model of this step, before the gradient may complete it and move it on
    const model = sync.weights;
    // a refused step is the worker's cue to retry or resynchronise, not a protocol violation
    const error = sync.onGradient(got.w.workerId, parsed.data.step, got.weights);
    if (!error) this.ctx.auditGradient(got.a, got.w, parsed.data.step, model, got.weights);
    // A worker behind the run (it was paused or reconnected mid-step) gets the shared model to catch up from.
    if (error && parsed.data.step < sync.step) this.resync(got.a, got.w);
    ack?.(error ? { ok: false, error, step: sync.step } : { ok: true });
  }

  /** Tells one worker of the run's current model as a global copy (its step tells the worker where the run is). */
  private resync(a: ActiveRun, w: LiveWorker): void {
    const o = globalCopyObject(a);
    if (o) w.socket?.emit('copyNotice', noticeOf(o));
  }
}
