// What a baseline algorithm (easgd, sync-sgd, local) may ask of the coordinator that hosts it. The algorithms
// hold their own state and math and never touch sockets or the store: the coordinator implements this for the
// active run, tests implement it with arrays.
import type { DataSplit } from '../../shared/dataset.ts';
import type { ModelSpec } from '../../shared/model.ts';
import type { Hyper } from '../../shared/run_config.ts';
import type { AveragedGradientMeta } from '../../shared/protocol.ts';

export interface Member {
  workerId: string;
  /** Latest reported loss estimate, null before the first report. */
  loss: number | null;
}

export interface AlgorithmHost {
  readonly runId: number;
  readonly paramLength: number;
  readonly hyper: Hyper;
  readonly spec: ModelSpec;
  /** The server's validation split, held out of the training shards (never test data): what zeno scores gradients on. */
  heldOut(): DataSplit;
  /** Workers taking part now: connected, heartbeat fresh, not quarantined. */
  members(): Member[];
  /** Bytes a worker sent or was sent, counted into its totals and the open round. */
  countUp(workerId: string, bytes: number): void;
  countDown(workerId: string, bytes: number): void;
  /** Writes the open round (at the model's `step`) and opens the next. */
  closeRound(step: number): void;
  /** The run's model changed: it becomes the copy that is evaluated, checkpointed, downloaded, and given to joiners. */
  setModel(weights: Float32Array, step: number, source: string): void;
  /** Evaluates the current model on held-out data now (test accuracy over time). */
  evaluateModel(): void;
  /** Sends one aggregate to these workers as one broadcast (counting each receipt as a download). */
  broadcastGradient(workerIds: readonly string[], meta: AveragedGradientMeta, grad: Float32Array): void;
  /** Asks a worker to upload its weights (answered through `onUpload`). */
  requestUpload(workerId: string): void;
}

/** A baseline's reaction to the coordinator's events; each method returns what the caller acks with. */
export interface BaselineAlgorithm {
  /** A member joined, left or went silent: a barrier may now be complete. */
  membershipChanged(): void;
  /** The periodic evaluation is due. */
  evaluationDue(): void;
  /** An upload the algorithm asked for (`requestUpload`), already validated. */
  onUpload(workerId: string, weights: Float32Array, step: number): void;
}
