// The Socket.IO protocol between a tab (worker) and the coordinator. Every message has a zod schema and its
// type is derived from it; the event maps below type both `new Server<...>()` and `io()`.
// Weights always travel as a separate binary argument (f32 little-endian), never inside JSON; global copies are
// not sent on the socket at all: a notice names the versioned HTTP object to fetch (server/copy_objects.ts).
import { z } from 'zod';
import { COPY_ENCODINGS } from './copy_encoding.ts';
import { DATASET_KINDS } from './dataset.ts';
import { hyperSchema, modelSpecSchema, runStateSchema } from './run_config.ts';

const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');
const step = z.number().int().min(0).max(2 ** 40);
const finite = z.number().finite();

// ---- tab -> coordinator -------------------------------------------------------------------------------------

/** An identity the coordinator issued: its id and the secret that proves it (hex, 32 bytes). */
export const credentialSchema = z.object({ id, secret: z.string().regex(/^[0-9a-f]{64}$/, '64 hex digits') });
export type Credential = z.infer<typeof credentialSchema>;

export const helloSchema = z.object({
  /** The machine group's credential (localStorage, shared by the tabs of one browser profile); absent: issue one. */
  machine: credentialSchema.optional(),
  /** This tab's credential (sessionStorage, so a reloaded tab resumes); absent: issue one. */
  tab: credentialSchema.optional(),
  adapter: z.record(z.string().max(64), z.union([z.string().max(256), finite, z.boolean()])).refine((r) => Object.keys(r).length <= 32, 'at most 32 adapter fields'),
  limits: z.record(z.string().max(64), finite).refine((r) => Object.keys(r).length <= 64, 'at most 64 limits'),
});
export type Hello = z.infer<typeof helloSchema>;

const version = z.number().int().positive();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, '64 hex digits (SHA-256)');
/** An opaque name the coordinator gives a local leader for its machine's tabs, never its identity. */
const handle = z.string().regex(/^[0-9a-f]{16}$/, '16 hex digits');

/**
 * A local copy: the state (parameters and momentum) the machine's local leader committed at a report, passed
 * between the tabs of one browser and never through the coordinator. Its leader's commitment at `step` binds it,
 * so a proof that names it can present it and have it checked.
 */
export const localCopyRefSchema = z.object({ leader: handle, step });
export type LocalCopyRef = z.infer<typeof localCopyRefSchema>;

/**
 * Proofs of work: what a tab commits to at a report, before it can know which stretch of its training the
 * coordinator will ask it to prove. `digest` is shared/state_digest.ts of its state (parameters and momentum)
 * after the reported step; `local` (a local copy) and `global` (a global copy's version) name the leader copies
 * (null: none) it pulls toward from that step until its next commitment. A tab that sends none earns no credit.
 */
export const commitmentSchema = z.object({
  digest: sha256,
  local: localCopyRefSchema.nullable(),
  global: version.nullable(),
  /** easgd: the exchange (its push reply's version) whose elastic pull the state took at this step, if any: the
   *  digest is of the state after it, and the stretch before ends with the state before it. */
  exchange: version.nullable().optional(),
});
export type Commitment = z.infer<typeof commitmentSchema>;

export const reportSchema = z.object({
  runId: z.number().int().positive(),
  /** Local steps done since the worker joined the run (counting on from `startStep`). */
  step,
  /** Running mean of recent minibatch losses. */
  lossEstimate: z.number().finite().min(0).max(1e6),
  commitment: commitmentSchema.optional(),
});
export type Report = z.infer<typeof reportSchema>;

export const heartbeatSchema = z.object({
  runId: z.number().int().positive().nullable(),
  step: step.optional(),
  /** The volunteer paused this tab: it keeps its identity but trains nothing until it says otherwise. */
  paused: z.boolean().optional(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

/** Sent with the weights, only in answer to an uploadRequest; the weights in `encoding` (shared/copy_encoding.ts). */
export const uploadMetaSchema = z.object({
  runId: z.number().int().positive(),
  requestId: z.number().int().positive(),
  step,
  lossEstimate: z.number().finite().min(0).max(1e6),
  encoding: z.enum(COPY_ENCODINGS).default('f32'),
});
/** As a tab sends it: `encoding` may be left out (f32). */
export type UploadMeta = z.input<typeof uploadMetaSchema>;

/** The answer to a proofRequest; the payload (shared/state_digest.ts encodeProof) is f32 vectors of paramLength
 *  floats, back to back: the parameters and momentum committed at `from`, then those at `to` (for easgd, before that
 *  step's elastic pull); when the request names a local copy, that copy's parameters and momentum follow. An AdamW
 *  run's states have three vectors each (parameters, first and second moments), after two u32: the steps the tab's
 *  and the copy's moments started at. */
export const proofMetaSchema = z.object({ runId: z.number().int().positive(), challengeId: z.number().int().positive() });
export type ProofMeta = z.infer<typeof proofMetaSchema>;

/** A volunteer's name on the leaderboard, for its machine (every tab of the browser). */
export const nicknameSchema = z.object({
  name: z.string().trim().min(2, 'at least 2 characters').max(24, 'at most 24 characters')
    .regex(/^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u, 'letters, digits, spaces and _ . - only, starting with a letter or digit'),
});
export type Nickname = z.infer<typeof nicknameSchema>;

/** easgd, sgp, parle, grawa: sent every tau steps with the worker's weights; the ack carries what the worker takes or
 *  pulls toward (easgd and grawa: the center; parle: the reference; sgp: its parameters after the gossip). */
export const pushMetaSchema = z.object({
  runId: z.number().int().positive(),
  step,
  lossEstimate: z.number().finite().min(0).max(1e6),
  /** grawa: the norm of the worker's gradient at the pushed weights, which sets its weight in the center. */
  gradNorm: z.number().finite().gt(0).max(1e6).optional(),
});
export type PushMeta = z.infer<typeof pushMetaSchema>;

/** sync-sgd: sent every step with the gradient of that step; `step` is the synchronous step it belongs to. */
export const gradientMetaSchema = z.object({ runId: z.number().int().positive(), step });
export type GradientMeta = z.infer<typeof gradientMetaSchema>;

// ---- coordinator -> tab -------------------------------------------------------------------------------------

export const datasetShardSchema = z.object({ url: z.string(), start: z.number().int(), count: z.number().int(), bytes: z.number().int(), etag: z.string() });
export type DatasetShard = z.infer<typeof datasetShardSchema>;

export const datasetManifestSchema = z.object({
  name: z.string(),
  /** text: one byte a sample over 256 classes, its label the next byte (shared/text_dataset.ts) */
  kind: z.enum(DATASET_KINDS),
  sampleShape: z.object({ height: z.number().int(), width: z.number().int(), channels: z.number().int() }),
  classes: z.number().int(),
  train: z.array(datasetShardSchema),
  test: z.array(datasetShardSchema),
});
export type DatasetManifest = z.infer<typeof datasetManifestSchema>;

export const assignmentSchema = z.object({
  runId: z.number().int().positive(),
  runName: z.string(),
  algorithm: z.string(),
  spec: modelSpecSchema,
  /** Floats in the flat parameter vector (shared/layout.ts), i.e. every weights payload is paramLength*4 bytes. */
  paramLength: z.number().int().positive(),
  hyper: hyperSchema,
  seed: z.number().int(),
  /** 'seed': initialise with initialParameters(spec, seed); 'global': wait for the first global leaderCopy and start from it. */
  start: z.enum(['seed', 'global']),
  startStep: step,
  state: runStateSchema,
  /** GET this for the shard list; shards are immutable and carry ETags. */
  datasetUrl: z.string(),
  dataset: datasetManifestSchema,
  /** Send a heartbeat (or a report) at least this often, or lose leadership. */
  heartbeatMs: z.number().int().positive(),
  /** How lsgd's copies travel, global copies and uploads alike (the run's copyEncoding). */
  copyEncoding: z.enum(COPY_ENCODINGS),
  /** This tab's minibatch order (shared/minibatch.ts), issued so the coordinator can name the samples of any step. */
  shuffleSeed: z.number().int().min(0).max(2 ** 32 - 1),
});
export type Assignment = z.infer<typeof assignmentSchema>;

export const waitSchema = z.object({ reason: z.string() });
export type Wait = z.infer<typeof waitSchema>;

export const helloReplySchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    /** The credentials to keep and send in the next hello: only their holder can resume this tab or join this machine. */
    credentials: z.object({ machine: credentialSchema, tab: credentialSchema }),
    resumed: z.boolean(),
    assignment: assignmentSchema.nullable(),
    wait: waitSchema.nullable(),
  }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type HelloReply = z.infer<typeof helloReplySchema>;

export const rolesSchema = z.object({
  runId: z.number().int().positive(),
  isLocalLeader: z.boolean(),
  isGlobalLeader: z.boolean(),
  /** The machine's local leader as its tabs see it: a handle, never another tab's identity. The leader tags the
   *  states it shares with it; the others take local copies only from it. */
  localLeader: z.object({ handle }).nullable(),
  /** The global leader: only the version of its copy (0: elected, no copy yet). */
  globalLeader: z.object({ version: z.number().int() }).nullable(),
  quarantined: z.boolean(),
});
export type Roles = z.infer<typeof rolesSchema>;

/** Prove run steps from..to: send the states committed at `from` and `to`, and the local copy named at `from` when
 *  `local` is set (proofMetaSchema). */
export const proofRequestSchema = z.object({ challengeId: z.number().int().positive(), from: step, to: step, local: localCopyRefSchema.nullable() });
export type ProofRequest = z.infer<typeof proofRequestSchema>;

export const reportReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), roles: rolesSchema, proof: proofRequestSchema.nullable() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type ReportReply = z.infer<typeof reportReplySchema>;

export const uploadRequestSchema = z.object({ runId: z.number().int().positive(), requestId: z.number().int().positive() });
export type UploadRequest = z.infer<typeof uploadRequestSchema>;

export const uploadReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), version: z.number().int() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type UploadReply = z.infer<typeof uploadReplySchema>;

/**
 * A new global copy (lsgd's global leader's, or a baseline's run model): the tab fetches `copyUrl(runId, version)`,
 * an immutable HTTP object that browsers, reverse proxies and CDNs may cache, checks its SHA-256 and decodes it.
 */
export const copyNoticeSchema = z.object({
  runId: z.number().int().positive(),
  version,
  step,
  encoding: z.enum(COPY_ENCODINGS),
  /** Encoded bytes and their SHA-256 (hex). */
  bytes: z.number().int().positive(),
  sha256,
});
export type CopyNotice = z.infer<typeof copyNoticeSchema>;

/** Where a copy is served: one URL per run and version, whose bytes never change. */
export function copyUrl(runId: number, version: number): string {
  return `/api/runs/${runId}/copies/${version}`;
}

export const pushReplySchema = z.discriminatedUnion('ok', [
  /** `weight`: sgp's push-sum weight w after the exchange (the coordinator keeps it); the tab's step is lr / w. */
  z.object({ ok: z.literal(true), version: z.number().int(), weight: z.number().finite().positive().optional() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type PushReply = z.infer<typeof pushReplySchema>;

export const gradientReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true) }),
  /** `step`: the synchronous step the coordinator is waiting for, so a worker that fell out of step can tell. */
  z.object({ ok: z.literal(false), error: z.string(), step: z.number().int().optional() }),
]);
export type GradientReply = z.infer<typeof gradientReplySchema>;

/** sync-sgd: the aggregate of step `step` from `contributors` workers; every worker applies it. */
export const averagedGradientMetaSchema = z.object({ runId: z.number().int().positive(), step, contributors: z.number().int().positive() });
export type AveragedGradientMeta = z.infer<typeof averagedGradientMetaSchema>;

/** The coordinator replayed the proved steps: passed, they are credited; failed, the tab is quarantined. */
export const proofReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), passed: z.boolean(), samples: z.number().int().min(0), reason: z.string().nullable() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type ProofReply = z.infer<typeof proofReplySchema>;

/** Verified contribution, as the leaderboard counts it: this tab's and its machine's (all tabs, all runs). */
export const creditSchema = z.object({
  machine: z.object({ name: z.string(), nickname: z.string().nullable(), verifiedSamples: z.number().int().min(0) }),
  tab: z.object({ name: z.string(), verifiedSamples: z.number().int().min(0) }),
});
export type Credit = z.infer<typeof creditSchema>;

export const nicknameReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), credit: creditSchema }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type NicknameReply = z.infer<typeof nicknameReplySchema>;

export const runStateMessageSchema = z.object({ runId: z.number().int().positive(), state: runStateSchema });
export type RunStateMessage = z.infer<typeof runStateMessageSchema>;

export const protocolErrorSchema = z.object({ event: z.string(), error: z.string() });
export type ProtocolError = z.infer<typeof protocolErrorSchema>;

/** Weights as Socket.IO delivers them: ArrayBuffer in browsers, Buffer (a Uint8Array) in Node. */
export type WeightBytes = ArrayBuffer | Uint8Array;

export interface ClientToServerEvents {
  hello: (msg: Hello, ack: (reply: HelloReply) => void) => void;
  report: (msg: Report, ack: (reply: ReportReply) => void) => void;
  upload: (meta: UploadMeta, weights: WeightBytes, ack: (reply: UploadReply) => void) => void;
  heartbeat: (msg: Heartbeat) => void;
  push: (meta: PushMeta, weights: WeightBytes, ack: (reply: PushReply, center: WeightBytes | null) => void) => void;
  gradient: (meta: GradientMeta, grad: WeightBytes, ack: (reply: GradientReply) => void) => void;
  proof: (meta: ProofMeta, states: WeightBytes, ack: (reply: ProofReply) => void) => void;
  nickname: (msg: Nickname, ack: (reply: NicknameReply) => void) => void;
}

export interface ServerToClientEvents {
  assignment: (a: Assignment) => void;
  wait: (w: Wait) => void;
  roles: (r: Roles) => void;
  uploadRequest: (r: UploadRequest) => void;
  copyNotice: (notice: CopyNotice) => void;
  averagedGradient: (meta: AveragedGradientMeta, grad: WeightBytes) => void;
  runState: (s: RunStateMessage) => void;
  protocolError: (e: ProtocolError) => void;
  credit: (c: Credit) => void;
}

export type InterServerEvents = Record<string, never>;

export interface SocketData {
  workerId: string | null;
}

/** A tab reports every tau steps, but at most this often: a fast tab's period is then longer than tau steps, and a
 *  coordinator of thousands of tabs gets a bounded number of reports per tab. */
export const MIN_REPORT_INTERVAL_MS = 250;

/** The namespace tabs connect to. */
export const WORKER_NAMESPACE = '/worker';

/** f32 little-endian bytes of a weight vector (a copy-free view when the platform is little-endian, as all WebGPU hosts are). */
export function weightsToBytes(w: Float32Array): Uint8Array {
  return new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
}

/** A Float32Array over received bytes; copies when the bytes are not 4-byte aligned. */
export function bytesToWeights(b: WeightBytes): Float32Array {
  const u8 = b instanceof Uint8Array ? b : new Uint8Array(b);
  if (u8.byteLength % 4 !== 0) throw new Error(`weights: ${u8.byteLength} bytes is not a whole number of f32 values`);
  if (u8.byteOffset % 4 === 0) return new Float32Array(u8.buffer, u8.byteOffset, u8.byteLength / 4);
  return new Float32Array(new Uint8Array(u8).buffer);
}
