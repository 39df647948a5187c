// The coordinator's live state (the tabs it knows, the active run) and what its parts (the run recorder, leader
// copies, baseline hosting) share of it: they get the coordinator's services through `CoordinatorContext`, so they
// never import the coordinator itself.
import type { Namespace, Socket } from 'socket.io';
import { initialParameters } from '../shared/init.ts';
import type { ModelSpec } from '../shared/model.ts';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '../shared/protocol.ts';
import type { RunView } from '../shared/run_config.ts';
import type { Easgd } from './algorithms/easgd.ts';
import type { Grawa } from './algorithms/grawa.ts';
import type { Local } from './algorithms/local.ts';
import type { Parle } from './algorithms/parle.ts';
import type { Sgp } from './algorithms/sgp.ts';
import type { SyncSgd } from './algorithms/sync_sgd.ts';
import type { Config } from './config.ts';
import type { DatasetService } from './dataset_service.ts';
import type { Leaders } from './election.ts';
import type { NormBound } from './norm_bound.ts';
import type { LeaderEvaluator, Measured } from './evaluator.ts';
import type { Anchor } from './global_gate.ts';
import type { CopyObject } from './copy_objects.ts';
import type { CopyRef } from './relay.ts';
import type { WorkerRecord } from '../shared/records.ts';
import type { Store } from './store.ts';

export type WorkerSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type WorkerNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface LiveWorker extends WorkerRecord {
  socket: WorkerSocket | null;
  /** The address its connection came from (for the limit on new identities). */
  address: string;
  /** Reported at least once in the active run: only such workers are stored and kept long after they leave. */
  trained: boolean;
  /** The last step the server accepted for it, and when: a report further ahead than maxStepsPerSec allows is refused. */
  step: number;
  stepAt: number;
  loss: number | null;
  /** What its machine's tabs know it by when it leads them (Roles.localLeader): random, never its identity. */
  handle: string;
  /** The version of the newest global copy it was told of. */
  heldGlobal: number;
  uploadRequest: { id: number; at: number } | null;
  /** The newest request id it was sent: an upload answering an older one arrived late and is refused quietly. */
  lastRequestId: number;
  dirty: boolean;
  /** Paused by its volunteer (said in heartbeats): not training, so neither a leader nor a sync-sgd member. */
  paused: boolean;
}

export interface StoredCopy extends CopyRef { weights: Float32Array }

export interface ActiveRun {
  run: RunView;
  spec: ModelSpec;
  leaders: Leaders;
  /** The global leader: its copies, each measured on validation data before it is relayed, are the global copies. */
  verifiedGlobal: string | null;
  /** Measurement of the global copy (or of the seeded initialisation before one exists), null until taken. */
  globalMeasure: Measured | null;
  /** Recent accepted global copies' validation losses: the drift ceiling. */
  anchors: Anchor[];
  /** Recent global copies sent to tabs: an upload close to one of them is a re-upload. */
  recentGlobals: Float32Array[];
  /** The worker whose upload the one global check slot is reserved for (measuring: its upload arrived), and when the last check ended. */
  checking: { workerId: string; role: 'leader' | 'challenger'; measuring: boolean } | null;
  lastCheckAt: number;
  lastChallengeAt: number;
  /** Whose turn the last reserved check was: leader and challengers alternate when both are due. */
  lastTurn: 'leader' | 'challenger';
  /** Challengers measured no better: their claims are ignored until `until`. */
  benched: Map<string, { until: number; failures: number }>;
  /** The run's seeded initialisation: the norm-bound reference until a global copy exists. */
  initial: Float32Array | null;
  /** Its norm, once computed: the norm bound never shrinks below it. */
  initialNorm?: number;
  /** Global copies by version, as tabs fetch them (server/copy_objects.ts); also what proofs of work replay the pulls
   *  of tabs that pulled toward them with (server/proofs.ts prunes it). */
  copies: Map<number, CopyObject>;
  globalCopy: StoredCopy | null;
  version: number;
  round: { n: number; uploads: number; downloads: number; bytesUp: number; bytesDown: number };
  runningSince: number | null;
  evaluating: boolean;
  lastEvalAt: number;
  /** The baseline algorithm of a non-lsgd run; null for lsgd, which the coordinator itself runs. */
  baseline: Easgd | SyncSgd | Local | Sgp | Parle | Grawa | null;
}

/** The coordinator's services, its live state, and the actions that span its parts. */
export interface CoordinatorContext {
  readonly nsp: WorkerNamespace;
  readonly store: Store;
  readonly config: Config;
  readonly datasets: DatasetService;
  readonly evaluator: LeaderEvaluator;
  readonly workers: ReadonlyMap<string, LiveWorker>;
  now(): number;
  /** Read again after every await: the run may have ended meanwhile. */
  active(): ActiveRun | null;
  finish(state: 'stopped' | 'finished', reason: string): void;
  /** Asks a worker for its weights under a new request id; only an upload with that id is accepted. */
  requestUpload(a: ActiveRun, w: LiveWorker): void;
  quarantine(a: ActiveRun, w: LiveWorker, reason: string): void;
  /** A worker's standing changed: elect again (lsgd), or tell the baseline its membership may have changed. */
  reelect(): void;
  /** easgd: an exchange answered with `center` under `version`; the tab's next commitment may name it. */
  recordExchange(w: LiveWorker, version: number, center: Float32Array): void;
  /** sync-sgd: a gradient accepted for `step`, which a proof of work may check against `model`, the run's model then. */
  auditGradient(a: ActiveRun, w: LiveWorker, step: number, model: Float32Array, grad: Float32Array): void;
}

export function isEligible(w: LiveWorker, now: number, heartbeatTimeoutMs: number): boolean {
  return w.socket !== null && !w.quarantined && !w.paused && now - w.lastSeen <= heartbeatTimeoutMs;
}

/** The worker this socket said hello as, unless a newer connection of the same tab replaced it. */
export function boundWorker(workers: ReadonlyMap<string, LiveWorker>, socket: WorkerSocket): LiveWorker | undefined {
  const w = socket.data.workerId ? workers.get(socket.data.workerId) : undefined;
  return w && w.socket === socket ? w : undefined;
}

/**
 * The norm bound for uploads and pushes: around the reference (normReference), factor x max(its norm, the configured
 * floor, the seeded initialisation's norm). The last keeps a global copy shrunk toward zero, which can measure a
 * shade better than the seed early in a run, from putting every honest tab, still near the seed, out of bounds
 * (found by bench:compare --byzantine: 7 honest tabs quarantined in 9 s).
 */
export function normBound(a: ActiveRun, config: Pick<Config, 'normBoundFactor' | 'normBoundFloor'>): NormBound {
  a.initialNorm ??= Math.sqrt(seededInitial(a).reduce((sum, v) => sum + v * v, 0));
  return { factor: config.normBoundFactor, floor: Math.max(config.normBoundFloor, a.initialNorm) };
}

/** The run's seeded initialisation, made once. */
function seededInitial(a: ActiveRun): Float32Array {
  a.initial ??= initialParameters(a.spec, a.run.config.seed);
  return a.initial;
}

/** What uploads are measured against by the norm bound: the global copy, or the seeded initialisation before one exists. */
export function normReference(a: ActiveRun): Float32Array {
  return a.globalCopy ? a.globalCopy.weights : seededInitial(a);
}
