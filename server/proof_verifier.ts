// The coordinator's replays of proofs of work, one at a time in a worker thread.
import { Worker } from 'node:worker_threads';
import type { DataSplit } from '../shared/dataset.ts';
import type { ModelSpec } from '../shared/model.ts';
import type { CommittedState } from '../shared/state_digest.ts';
import type { Discrepancy, TrainingSegment } from '../shared/reference/training_segment.ts';

export interface ReplayJob {
  spec: ModelSpec;
  /** Per value (shared/reference/training_segment.ts discrepancy). */
  tolerance: number;
  rates: TrainingSegment['rates'];
  /** Names the training split (sent to the thread once). */
  dataset: string;
  batch: number;
  shuffleSeed: number;
  from: number;
  to: number;
  start: CommittedState;
  claimed: CommittedState;
  pulls: TrainingSegment['pulls'];
}
/** sync-sgd: the gradient a tab sent for `step`, at the model the server held for that step. */
export interface GradientJob {
  spec: ModelSpec;
  tolerance: number;
  dataset: string;
  batch: number;
  shuffleSeed: number;
  step: number;
  params: Float32Array;
  claimed: Float32Array;
}
export interface ReplayRequest extends ReplayJob { type: 'replay'; id: number }
export interface GradientRequest extends GradientJob { type: 'gradient'; id: number }
export type VerifierMessage = ReplayRequest | GradientRequest | { type: 'split'; dataset: string; train: DataSplit };
export type ReplayResponse = { id: number; discrepancy: Discrepancy } | { id: number; error: string };

/** What the coordinator needs of a verifier (tests may run replays in-process). */
export interface SegmentVerifier {
  /** How far the claimed end state is from the replay of the job's steps. */
  replay(job: ReplayJob, train: DataSplit): Promise<Discrepancy>;
  /** How far the claimed gradient is from the one recomputed. */
  gradient(job: GradientJob, train: DataSplit): Promise<Discrepancy>;
  /** Replays queued or running: the coordinator asks for no new proof while the verifier is this busy. */
  readonly pending: number;
  close(): Promise<void>;
}

export class ProofVerifier implements SegmentVerifier {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (d: Discrepancy) => void; reject: (e: Error) => void }>();
  private readonly sent = new Set<string>();

  constructor() {
    this.worker = new Worker(new URL('./ts_thread.mjs', import.meta.url), { workerData: { module: new URL('./proof_worker.ts', import.meta.url).href } });
    this.worker.unref();
    this.worker.on('message', (res: ReplayResponse) => {
      const w = this.waiting.get(res.id);
      if (!w) return;
      this.waiting.delete(res.id);
      if ('error' in res) w.reject(new Error(`replay failed: ${res.error}`));
      else w.resolve(res.discrepancy);
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`proof verifier thread exited with code ${code}`)));
  }

  get pending(): number {
    return this.waiting.size;
  }

  replay(job: ReplayJob, train: DataSplit): Promise<Discrepancy> {
    return this.ask(train, (id) => ({ ...job, type: 'replay', id }));
  }

  gradient(job: GradientJob, train: DataSplit): Promise<Discrepancy> {
    return this.ask(train, (id) => ({ ...job, type: 'gradient', id }));
  }

  private ask(train: DataSplit, request: (id: number) => ReplayRequest | GradientRequest): Promise<Discrepancy> {
    const { dataset } = request(0);
    if (!this.sent.has(dataset)) {
      this.worker.postMessage({ type: 'split', dataset, train } satisfies VerifierMessage);
      this.sent.add(dataset);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage(request(id) satisfies VerifierMessage);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
