// The coordinator's one config object: defaults, then a JSON file, then the environment, validated at start-up.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

export const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('0.0.0.0'),
  dataDir: z.string().min(1).default('data'),
  /** When absent, one is generated on first start and kept in dataDir/admin-token. */
  adminToken: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  /** Build the client with vite when dist/ is missing or older than its sources. */
  buildClient: z.preprocess((v) => (v === 'false' || v === '0' ? false : v === 'true' || v === '1' ? true : v), z.boolean()).default(true),
  /** How often tabs must send a heartbeat; a tab silent for heartbeatTimeoutMs loses any leadership. */
  heartbeatMs: z.coerce.number().int().positive().default(3000),
  heartbeatTimeoutMs: z.coerce.number().int().positive().default(10000),
  /** A challenger must beat an incumbent leader's loss by this fraction to take over. */
  electionHysteresis: z.coerce.number().min(0).max(0.5).default(0.02),
  /** Validation samples (held out of the training shards, never the test split) every global copy is measured on. */
  validationSamples: z.coerce.number().int().positive().default(512),
  /** Most FLOPs of the CPU reference's forward passes one measurement of a copy may take: a bigger model is measured
   *  on the first validation samples within it (at least 8); the mlp and cnn fit all 512. */
  validationFlops: z.coerce.number().positive().default(4e9),
  /** A copy is no worse than the one it replaces when its mean validation loss is higher by at most
   *  max(gateZ x the standard error of the paired per-sample difference, gateFloor); its accuracy likewise by at
   *  most max(gateZ x the paired standard error, gateAccuracyFloor). A challenger must be better by that much. */
  gateZ: z.coerce.number().positive().default(2),
  gateFloor: z.coerce.number().min(0).default(0.002),
  gateAccuracyFloor: z.coerce.number().min(0).default(0.004),
  /** However slowly a leader drifts, the global copy's validation loss may rise above that of any copy accepted t
   *  minutes ago by at most gateDriftPerMinute x t (plus the tolerance): the bound on a verified leader's damage. */
  gateDriftPerMinute: z.coerce.number().min(0).default(0.02),
  /** At least this often a challenger (the best claim that is not benched) is measured, whatever the leader claims. */
  challengeEveryMs: z.coerce.number().int().positive().default(15000),
  /** A challenger measured no better is benched (its claims ignored) for this, doubling per failure up to the cap. */
  challengeBackoffMs: z.coerce.number().int().positive().default(10000),
  challengeBackoffMaxMs: z.coerce.number().int().positive().default(120000),
  /** A copy within this relative distance of one the server sent recently is a re-upload: it earns no lead. */
  reuploadDistance: z.coerce.number().min(0).default(1e-4),
  /** Global checks run one at a time and at most one per this many ms (each costs the server CPU). */
  globalCheckMinMs: z.coerce.number().int().min(0).default(1000),
  /** New tab identities one address may be issued per minute. */
  identitiesPerMinute: z.coerce.number().int().positive().default(60),
  /** A disconnected tab that never trained is forgotten after identityIdleMs, any other after identityExpireMs. */
  identityIdleMs: z.coerce.number().int().positive().default(30000),
  identityExpireMs: z.coerce.number().int().positive().default(30 * 60_000),
  /** A reported step further ahead of the tab's last accepted one than this rate (plus tau) allows is refused. */
  maxStepsPerSec: z.coerce.number().positive().default(5000),
  /** An upload is refused when ||w - leader|| > normBoundFactor * max(||leader||, normBoundFloor); the leader is the
   *  current global copy, or the run's seeded initialisation before there is one. */
  normBoundFactor: z.coerce.number().positive().default(1),
  normBoundFloor: z.coerce.number().positive().default(1),
  /** Proofs of work: after each report that commits to its state, a tab is asked with this probability to prove the
   *  steps since its previous commitment, which the server replays on the CPU. Only proved steps earn credit. */
  proofProbability: z.coerce.number().min(0).max(1).default(0.1),
  /** A proof passes when the claimed end state is near the replay (shared/reference/training_segment.ts
   *  discrepancy): its distance, relative to how far the steps moved the parameters (momentum and gradients: to
   *  their size), at most proofCloseDistance; or at most proofMaxDistance with at most proofMaxOutliers of the values
   *  that moved off by more than proofTolerance of their own movement. bench:proof-drift: honest SwiftShader tabs
   *  land ~1e-6 away, but now and then a ReLU flipped by rounding moves them further (4.3e-3 seen in a soak; in an
   *  e2e one landed with many values off); one skipped step lands 0.1-0.3 away with 81-100% of the values off. */
  proofTolerance: z.coerce.number().positive().default(1e-3),
  proofCloseDistance: z.coerce.number().positive().default(0.01),
  proofMaxDistance: z.coerce.number().positive().default(0.05),
  proofMaxOutliers: z.coerce.number().min(0).max(1).default(0.05),
  /** Longer stretches between two commitments are not asked for (each step costs the server a CPU training step). */
  proofMaxSteps: z.coerce.number().int().positive().default(200),
  /** Replays queued at once; while the verifier is this busy no new proof is asked for. */
  proofQueue: z.coerce.number().int().positive().default(2),
  /** A proof request unanswered this long is missed: no credit, no penalty. */
  proofTimeoutMs: z.coerce.number().int().positive().default(30000),
  /** Test samples for the periodic evaluation of the global leader. */
  evalSamples: z.coerce.number().int().positive().default(1000),
  evalEveryRounds: z.coerce.number().int().positive().default(5),
  /** ... and at least this often (wall-clock ms): the baselines, whose rounds differ in kind, evaluate on this clock only. */
  evalEveryMs: z.coerce.number().int().positive().default(10000),
  checkpointEveryRounds: z.coerce.number().int().positive().default(10),
  /** Retention (server/retention.ts): a run keeps its best checkpoints by test accuracy (at least the one the model
   *  download picks), its latest ones (at least the one a restart resumes from), the latest of every
   *  checkpointKeepEveryMinutes of the run, and every final one. */
  checkpointKeepBest: z.coerce.number().int().min(1).default(3),
  checkpointKeepLatest: z.coerce.number().int().min(1).default(3),
  checkpointKeepEveryMinutes: z.coerce.number().int().positive().default(60),
  /** Worker and leader metrics older than metricsThinAfterMinutes keep one row per series per metricsThinBucketSeconds;
   *  older than metricsCoarseAfterMinutes, one per metricsCoarseBucketMinutes. */
  metricsThinAfterMinutes: z.coerce.number().int().positive().default(10),
  metricsThinBucketSeconds: z.coerce.number().int().positive().default(60),
  metricsCoarseAfterMinutes: z.coerce.number().int().positive().default(120),
  metricsCoarseBucketMinutes: z.coerce.number().int().positive().default(10),
  /** A run's latest events kept, besides its state changes and quarantines (tabs can cause events at will). */
  eventsKeepPerRun: z.coerce.number().int().positive().default(10000),
  /** How often the store thins metrics and caps events. */
  compactEveryMs: z.coerce.number().int().positive().default(60000),
  /** Per-socket token bucket: sustained messages per second and burst. */
  rateLimitPerSec: z.coerce.number().positive().default(50),
  rateLimitBurst: z.coerce.number().positive().default(200),
  /** Largest custom model accepted; fixes Socket.IO's maxHttpBufferSize. */
  maxParams: z.coerce.number().int().positive().default(4_000_000),
  /** Samples per dataset shard served to tabs. */
  shardSamples: z.coerce.number().int().positive().default(10000),
  /** Largest dataset upload, all its files together, in bytes: a longer body is cut off with a 413. Gzipped files
   *  may inflate to 4 times this, all together. */
  maxUploadBytes: z.coerce.number().int().positive().default(256 * 1024 * 1024),
});
export type Config = z.infer<typeof configSchema>;

const ENV_NAMES: Partial<Record<keyof Config, string>> = { port: 'PORT', host: 'HOST', dataDir: 'DATA_DIR', adminToken: 'ADMIN_TOKEN' };

/** PORT, HOST, DATA_DIR, ADMIN_TOKEN, and FLOCK_<NAME> for the rest (e.g. FLOCK_HEARTBEAT_TIMEOUT_MS). */
export function envName(key: keyof Config): string {
  return ENV_NAMES[key] ?? `FLOCK_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape) as (keyof Config)[]) {
    const v = env[envName(key)];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}

/** The file is FLOCK_CONFIG, else dataDir/config.json when it exists. */
function fromFile(env: NodeJS.ProcessEnv, dataDir: string): { path: string | null; values: Record<string, unknown> } {
  const path = env.FLOCK_CONFIG ?? join(dataDir, 'config.json');
  if (!env.FLOCK_CONFIG && !existsSync(path)) return { path: null, values: {} };
  let values: unknown;
  try {
    values = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`config file ${path}: ${(err as Error).message}`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new Error(`config file ${path}: expected a JSON object`);
  return { path, values: values as Record<string, unknown> };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): { config: Config; file: string | null } {
  const envValues = fromEnv(env);
  const dataDir = overrides.dataDir ?? envValues.dataDir ?? 'data';
  const file = fromFile(env, dataDir);
  const parsed = configSchema.strict().safeParse({ ...file.values, ...envValues, ...overrides });
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${String(i.path[0] ?? '')} (${envName(i.path[0] as keyof Config)}): ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${why}`);
  }
  return { config: { ...parsed.data, dataDir: resolve(parsed.data.dataDir) }, file: file.path };
}

/** The config as printed at start-up: everything but the token. */
export function describeConfig(config: Config): string {
  const { adminToken, ...rest } = config;
  return JSON.stringify({ ...rest, adminToken: adminToken ? '(set)' : '(generated)' });
}
