// The active run's bookkeeping: bytes counted into the workers' totals and the open round, rounds, checkpoints,
// test evaluations, running time, the stop conditions they reach, and the store writes that keep all of it.
import type { ActiveRun, CoordinatorContext, LiveWorker, StoredCopy } from './live_state.ts';

export class RunRecorder {
  constructor(private readonly ctx: CoordinatorContext) {}

  countUp(a: ActiveRun, w: LiveWorker, bytes: number): void {
    w.bytesUp += bytes;
    w.dirty = true;
    a.round.uploads++;
    a.round.bytesUp += bytes;
  }

  countDown(a: ActiveRun, w: LiveWorker | undefined, bytes: number): void {
    if (w) {
      w.bytesDown += bytes;
      w.dirty = true;
    }
    a.round.downloads++;
    a.round.bytesDown += bytes;
  }

  /** An lsgd round: a new global copy, whose upload took `carried` bytes, opens it. */
  newRound(a: ActiveRun, copy: StoredCopy, carried: number): void {
    // the upload that made this copy opens the new round
    a.round.uploads--;
    a.round.bytesUp -= carried;
    this.writeRound(a);
    a.round = { n: a.round.n + 1, uploads: 1, downloads: 0, bytesUp: carried, bytesDown: 0 };
    a.run = { ...a.run, rounds: a.round.n, step: Math.max(a.run.step, copy.step) };
  }

  /** A baseline round: the baseline says when it ends, at the model's `step`. */
  closeRound(a: ActiveRun, step: number): void {
    this.writeRound(a);
    a.round = { n: a.round.n + 1, uploads: 0, downloads: 0, bytesUp: 0, bytesDown: 0 };
    a.run = { ...a.run, rounds: a.round.n, step: Math.max(a.run.step, step) };
    this.persist(a, false);
    const stop = a.run.config.stop;
    if (stop.steps !== undefined && a.run.step >= stop.steps && this.ctx.active() === a) this.ctx.finish('finished', `reached ${stop.steps} steps`);
  }

  /** The open round's row as it stands; rewritten until the next round opens. */
  private writeRound(a: ActiveRun): void {
    const r = a.round;
    // an empty round 0 needs no row, unless one was written while an upload was counted in it
    if (r.n === 0 && r.uploads + r.downloads === 0 && !this.ctx.store.round(a.run.id, 0)) return;
    this.ctx.store.addRound(a.run.id, { round: r.n, t: this.ctx.now(), step: a.run.step, uploads: r.uploads, downloads: r.downloads, bytesUp: r.bytesUp, bytesDown: r.bytesDown });
  }

  afterRound(a: ActiveRun): void {
    const n = a.round.n;
    const checkpointId = n % this.ctx.config.checkpointEveryRounds === 0 ? this.checkpoint(a, false) : null;
    if (checkpointId !== null || n % this.ctx.config.evalEveryRounds === 0) void this.evaluateGlobal(a, checkpointId);
    const stop = a.run.config.stop;
    if (stop.steps !== undefined && a.run.step >= stop.steps) this.ctx.finish('finished', `reached ${stop.steps} steps`);
  }

  /**
   * Stores the global copy as a checkpoint. A final one also carries its test result, so the download can pick it:
   * that of an earlier checkpoint of the same weights, or else one measured now and written when it arrives.
   */
  checkpoint(a: ActiveRun, final: boolean): number {
    const c = a.globalCopy!;
    const id = this.ctx.store.addCheckpoint(a.run.id, { t: this.ctx.now(), step: c.step, round: a.round.n, version: c.version, workerId: c.leaderId, final, weights: c.weights });
    if (final) this.carryEval(a, id, c.version);
    return id;
  }

  /**
   * Only checkpoints are searched, not the eval metrics: eval metrics from before this change hold claim checks on random test windows, and
   * versions after the last checkpoint are numbered again after a server restart.
   */
  private carryEval(a: ActiveRun, checkpointId: number, version: number): void {
    const same = this.ctx.store.checkpoints(a.run.id).findLast((k) => k.version === version && k.testAccuracy !== null);
    if (same) this.ctx.store.setCheckpointEval(checkpointId, same.testLoss!, same.testAccuracy!);
    else void this.evaluateGlobal(a, checkpointId);
  }

  async evaluateGlobal(a: ActiveRun, checkpointId: number | null): Promise<void> {
    const c = a.globalCopy;
    if (!c || (a.evaluating && checkpointId === null)) return;
    a.evaluating = true;
    a.lastEvalAt = this.ctx.now();
    try {
      const test = (await this.ctx.datasets.dataset(a.run.config.dataset)).test;
      const m = await this.ctx.evaluator.evaluate(a.spec, c.weights, test, 0, this.ctx.config.evalSamples);
      this.ctx.store.addEval(a.run.id, { t: this.ctx.now(), step: c.step, version: c.version, workerId: c.leaderId, samples: m.samples, testLoss: m.loss, testAccuracy: m.accuracy });
      if (checkpointId !== null) this.ctx.store.setCheckpointEval(checkpointId, m.loss, m.accuracy);
      const target = a.run.config.stop.targetAccuracy;
      if (target !== undefined && m.accuracy >= target && this.ctx.active() === a) this.ctx.finish('finished', `test accuracy ${m.accuracy.toFixed(4)} reached the target ${target}`);
    } catch (err) {
      this.ctx.store.addEvent(a.run.id, this.ctx.now(), 'error', c.leaderId, `evaluation failed: ${(err as Error).message}`);
    } finally {
      a.evaluating = false;
    }
  }

  accountRunningTime(a: ActiveRun): void {
    if (a.runningSince === null) return;
    const now = this.ctx.now();
    a.run = { ...a.run, runningMs: a.run.runningMs + (now - a.runningSince) };
    a.runningSince = now;
  }

  saveProgress(a: ActiveRun): void {
    this.ctx.store.setProgress(a.run.id, { step: a.run.step, rounds: a.round.n, runningMs: a.run.runningMs });
  }

  /**
   * The open round's row, the run's progress and the changed workers' counters in ONE transaction, so the per-worker
   * byte counters always add up to the stored rounds, also after a kill -9.
   */
  persist(a: ActiveRun, allWorkers: boolean): void {
    // a tab that never trained is not stored: identities a script makes by the thousand cost the store nothing
    const dirty = [...this.ctx.workers.values()].filter((w) => w.trained && (allWorkers || w.dirty));
    this.ctx.store.transaction(() => {
      this.writeRound(a);
      this.saveProgress(a);
      this.ctx.store.saveWorkers(a.run.id, dirty.map(({ workerId, machineId, adapter, firstSeen, lastSeen, bytesUp, bytesDown, malformed, quarantined }) => ({ workerId, machineId, adapter, firstSeen, lastSeen, bytesUp, bytesDown, malformed, quarantined })));
    });
    for (const w of dirty) w.dirty = false;
  }
}
