// Messages between a page and its training Web Worker (both sides are this tab's own code).
import type { Credential, Credit } from '../../shared/protocol.ts';
import type { ModelSpec } from '../../shared/model.ts';
import type { AdamwOptions } from '../engine/trainer.ts';

export interface TrainHyper {
  lr: number;
  momentum: number;
  lambdaL: number;
  lambdaG: number;
}

export interface TrainJob {
  spec: ModelSpec;
  /** The coordinator's dataset manifest (shard list), e.g. /api/datasets/mnist. */
  datasetManifestUrl: string;
  batch: number;
  seed: number;
  hyper: TrainHyper;
  /** AdamW in place of momentum SGD (hyper.momentum is then unused). */
  optimizer?: AdamwOptions;
  /** Read the loss back every this many steps (never every step: it would stall the queue). */
  readbackEvery: number;
  /** Stop after this many epochs, or this many steps (`steps` wins); train until told to stop when neither. */
  epochs?: number;
  steps?: number;
  /** Train for this long instead (wall clock, from the first step), the cosine decay spread over the time. */
  minutes?: number;
  /** Evaluate on the test split every this many epochs (and at the end); absent: only at the end. */
  evaluateEveryEpochs?: number;
  /** Cosine decay of the learning rate to zero by the end of training (needs `steps` or `epochs`). */
  cosineDecay?: boolean;
  /** Linear warm-up of the learning rate over this many steps, before the decay (none when absent). */
  lrWarmupSteps?: number;
}

export interface BenchJob extends Omit<TrainJob, 'epochs' | 'steps' | 'minutes' | 'evaluateEveryEpochs' | 'cosineDecay' | 'lrWarmupSteps'> {
  warmupSteps: number;
  windows: number;
  windowSteps: number;
}

export interface BenchResult {
  adapter: string;
  batch: number;
  /** Milliseconds of each timed window, in order. */
  windowMs: number[];
  windowSteps: number;
  lossFirst: number;
  lossLast: number;
}

export type ToWorker =
  | { type: 'train'; job: TrainJob }
  | { type: 'bench'; job: BenchJob }
  /** Time each dispatch of one training step alone. */
  | { type: 'profile'; job: BenchJob }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /** 1 = as fast as possible; lower values idle between steps to leave the GPU to others. */
  | { type: 'intensity'; value: number }
  /** Volunteer: connect to the coordinator that served this page and train whatever run it assigns. */
  | { type: 'join'; credentials: { machine?: Credential; tab?: Credential } }
  /** Volunteer: this machine's name on the leaderboard. */
  | { type: 'nickname'; name: string };

export type WorkerStatus = 'connecting' | 'waiting' | 'downloading' | 'preparing' | 'training' | 'paused' | 'done';

export type FromWorker =
  | { type: 'status'; status: WorkerStatus; adapter?: string }
  | { type: 'progress'; steps: number; epochs: number; samples: number; loss: number; accuracy: number; samplesPerSec: number }
  | { type: 'evaluation'; steps: number; epochs: number; loss: number; accuracy: number }
  | { type: 'bench'; result: BenchResult }
  | { type: 'profile'; adapter: string; stepMs: number; dispatches: { index: number; label: string; ms: number }[] }
  | { type: 'run'; runId: number; runName: string; model: string; dataset: string; batch: number }
  | { type: 'roles'; isLocalLeader: boolean; isGlobalLeader: boolean; quarantined: boolean }
  /** The leader copies the last report committed to pulling toward: the local leader's state of that step, the global copy of that version. */
  | { type: 'following'; localStep: number | null; globalVersion: number | null }
  /** The identity the coordinator issued or confirmed: the page keeps it (workers have no storage) for the next hello. */
  | { type: 'credentials'; credentials: { machine: Credential; tab: Credential } }
  /** Verified contribution, as the coordinator counts it (only steps it replayed and found done). */
  | { type: 'credit'; credit: Credit }
  /** The answer to a nickname: null when it was taken up, else why not. */
  | { type: 'nickname'; error: string | null }
  /** Something the volunteer should see but that does not stop training (a refused leader copy, a reconnect). */
  | { type: 'notice'; message: string }
  | { type: 'error'; message: string };
