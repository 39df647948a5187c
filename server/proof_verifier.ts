// The coordinator's replays of proofs of work, one at a time in a worker thread (server/proof_worker.ts).
import type { DataSplit } from '../shared/dataset.ts';
import type { ModelSpec } from '../shared/model.ts';
import { stateVectors, type CommittedState } from '../shared/state_digest.ts';
import type { Discrepancy, TrainingSegment } from '../shared/reference/training_segment.ts';
import { WorkerThread } from './worker_thread.ts';

interface Job {
  spec: ModelSpec;
  /** Per value (shared/reference/training_segment.ts discrepancy). */
  tolerance: number;
  /** Names the training split, which travels to the thread with the first job that needs it. */
  dataset: string;
  batch: number;
  shuffleSeed: number;
}

/** Steps from..to replayed from `start`, against the claimed end. */
export interface ReplayJob extends Job {
  rates: TrainingSegment['rates'];
  adamw?: TrainingSegment['adamw'];
  from: number;
  to: number;
  start: CommittedState;
  claimed: CommittedState;
  pulls: TrainingSegment['pulls'];
  pull: TrainingSegment['pull'];
}

/** sync-sgd: the gradient a tab sent for `step`, at the model the server held for that step. */
export interface GradientJob extends Job {
  step: number;
  params: Float32Array;
  claimed: Float32Array;
}

export type VerifierRequest = { id: number; train?: DataSplit } & ({ kind: 'replay'; job: ReplayJob } | { kind: 'gradient'; job: GradientJob });

/** What the coordinator needs of a verifier (tests may run replays in-process). */
export interface SegmentVerifier {
  /** How far the claimed end state is from the replay of the job's steps (start and claimed may be moved away). */
  replay(job: ReplayJob, train: DataSplit): Promise<Discrepancy>;
  /** How far the claimed gradient is from the one recomputed (claimed may be moved away). */
  gradient(job: GradientJob, train: DataSplit): Promise<Discrepancy>;
  /** Replays queued or running: the coordinator asks for no new proof while the verifier is this busy. */
  readonly pending: number;
  close(): Promise<void>;
}

export class ProofVerifier implements SegmentVerifier {
  private readonly thread = new WorkerThread<Discrepancy>(new URL('./proof_worker.ts', import.meta.url), 'proof replay');
  private readonly sent = new Set<string>();

  get pending(): number {
    return this.thread.pending;
  }

  /** The job's start and claimed states are moved to the thread: the caller must not use them afterwards. */
  replay(job: ReplayJob, train: DataSplit): Promise<Discrepancy> {
    const moved = [job.start, job.claimed].flatMap(stateVectors).map((v) => v.buffer as ArrayBuffer);
    return this.thread.call((id) => ({ id, kind: 'replay', job, train: this.firstTime(job.dataset, train) }) satisfies VerifierRequest, moved);
  }

  /** The job's claimed gradient is moved to the thread. */
  gradient(job: GradientJob, train: DataSplit): Promise<Discrepancy> {
    return this.thread.call((id) => ({ id, kind: 'gradient', job, train: this.firstTime(job.dataset, train) }) satisfies VerifierRequest, [job.claimed.buffer as ArrayBuffer]);
  }

  close(): Promise<void> {
    return this.thread.close();
  }

  /** The split, the first time a job names its dataset (the thread keeps it); afterwards nothing. */
  private firstTime(dataset: string, train: DataSplit): DataSplit | undefined {
    if (this.sent.has(dataset)) return undefined;
    this.sent.add(dataset);
    return train;
  }
}
