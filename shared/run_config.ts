// What an admin sends to create a run, validated at the REST boundary and echoed to tabs in assignments.
import { z } from 'zod';
import { COPY_ENCODINGS } from './copy_encoding.ts';
import { modelOps, type Layer, type ModelSpec } from './model.ts';
import { MODEL_PRESET_NAMES, MODEL_PRESETS } from './model_presets.ts';

const positiveInt = (max: number) => z.number().int().positive().max(max);

const layerKinds = {
  dense: z.object({ kind: z.literal('dense'), units: positiveInt(65536) }),
  relu: z.object({ kind: z.literal('relu') }),
  gelu: z.object({ kind: z.literal('gelu') }),
  conv2d: z.object({ kind: z.literal('conv2d'), filters: positiveInt(1024), kernel: positiveInt(15), stride: positiveInt(8).optional(), padding: z.number().int().min(0).max(14).optional() }),
  maxpool2: z.object({ kind: z.literal('maxpool2') }),
  maxpool: z.object({ kind: z.literal('maxpool'), size: z.number().int().min(2).max(8) }),
  avgpool: z.object({ kind: z.literal('avgpool'), size: z.number().int().min(2).max(8) }),
  globalavgpool: z.object({ kind: z.literal('globalavgpool') }),
  flatten: z.object({ kind: z.literal('flatten') }),
  groupnorm: z.object({ kind: z.literal('groupnorm'), groups: positiveInt(1024) }),
  layernorm: z.object({ kind: z.literal('layernorm') }),
  dropout: z.object({ kind: z.literal('dropout'), rate: z.number().min(0).lt(1) }),
  embedding: z.object({ kind: z.literal('embedding'), dim: positiveInt(4096) }),
  attention: z.object({ kind: z.literal('attention'), heads: positiveInt(64) }),
};

/** One layer of a model spec (shared/model.ts Layer); a residual block holds more of them. */
export const layerSchema: z.ZodType<Layer> = z.lazy(() =>
  z.union([...Object.values(layerKinds), z.object({ kind: z.literal('residual'), layers: z.array(layerSchema).min(1).max(64) })]),
);

export const LAYER_KINDS = [...Object.keys(layerKinds), 'residual'] as Layer['kind'][];

/** A model spec that fits together (checked with the same expansion the kernels use). */
export const modelSpecSchema = z
  .object({
    name: z.string().min(1).max(64),
    input: z.object({ height: positiveInt(512), width: positiveInt(4096), channels: positiveInt(64) }),
    classes: positiveInt(256),
    layers: z.array(layerSchema).min(1).max(64),
  })
  .superRefine((spec, ctx) => {
    try {
      modelOps(spec);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['layers'], message: (err as Error).message });
    }
  });

/** A preset by name, or a custom spec object. */
export const modelChoiceSchema = z.union([z.enum(MODEL_PRESET_NAMES), modelSpecSchema]);
export type ModelChoice = z.infer<typeof modelChoiceSchema>;

/** The spec a stored run trains. Runs store presets fitted to their dataset (server/api.ts), so a name here is
 *  one whose preset is its own fit (mlp and cnn on 28x28 grey images). */
export function resolveModel(choice: ModelChoice): ModelSpec {
  return typeof choice === 'string' ? (structuredClone(MODEL_PRESETS[choice]) as ModelSpec) : (choice as ModelSpec);
}

/** lsgd: Leader SGD (this project's algorithm); the others are the baselines it is compared with: easgd, sync-sgd,
 *  local, sgp (Stochastic Gradient Push), parle and grawa (gradient-norm weighted averaging). */
export const ALGORITHMS = ['lsgd', 'easgd', 'sync-sgd', 'local', 'sgp', 'parle', 'grawa'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/**
 * How sync-sgd combines the workers' gradients: the mean, or a rule robust to a few liars: the coordinate-wise
 * median, and three told f, how many may lie (hyper.byzantine): the trimmed mean (per coordinate, without the f
 * largest and f smallest), cge (without the f largest-norm gradients) and zeno (without the f that lower the loss
 * least on a held-out batch).
 */
export const AGGREGATES = ['mean', 'median', 'trimmed-mean', 'cge', 'zeno'] as const;
export type Aggregate = (typeof AGGREGATES)[number];
/** The aggregates that use hyper.byzantine. */
export const AGGREGATES_WITH_F: readonly Aggregate[] = ['trimmed-mean', 'cge', 'zeno'];

/**
 * How LSGD pulls a worker toward its leaders. periodic (the paper's Algorithm 1 and its code, the default): at every
 * communication step (every tau steps) x <- x - lambdaL (x - local leader), and every tauG steps
 * x <- x - lambdaG (x - global leader), outside momentum; the lambdas are fractions of the way, in [0, 1].
 * penalty: lambdaL (x - local) + lambdaG (x - global) is added to every step's gradient, inside momentum.
 */
export const PULLS = ['periodic', 'penalty'] as const;
export type Pull = (typeof PULLS)[number];

/** How a tab turns its gradient into a step: momentum SGD (the paper's), or AdamW (Adam with decoupled weight decay,
 *  what transformers usually need). Either composes with LSGD's pulls and with the baselines' exchanges. */
export const OPTIMIZERS = ['momentum', 'adamw'] as const;
export type Optimizer = (typeof OPTIMIZERS)[number];

export const hyperSchema = z.object({
  lr: z.number().positive().max(10),
  /** momentum SGD's momentum (adamw ignores it: it has beta1). */
  momentum: z.number().min(0).lt(1),
  /** momentum when absent */
  optimizer: z.enum(OPTIMIZERS).optional(),
  /** adamw: decay of the first and second moment estimates (0.9 and 0.999 when absent). */
  beta1: z.number().min(0).lt(1).optional(),
  beta2: z.number().min(0).lt(1).optional(),
  /** adamw: added to the root of the second moment (1e-8 when absent). */
  eps: z.number().positive().max(1).optional(),
  /** adamw: decoupled weight decay, a fraction of the weights taken off per unit of learning rate (0 when absent). */
  weightDecay: z.number().min(0).max(1).optional(),
  batch: positiveInt(4096),
  /** Local steps between two reports (the communication period). */
  tau: positiveInt(100000),
  /** Pull toward the local (machine) leader; 0 gives single-leader LSGD. */
  lambdaL: z.number().min(0).max(100),
  /** Pull toward the global leader. */
  lambdaG: z.number().min(0).max(100),
  /** lsgd: how the pulls are applied (PULLS). */
  pull: z.enum(PULLS).default('periodic'),
  /** lsgd with the periodic pull: steps between pulls toward the global leader; tau when absent. */
  tauG: positiveInt(100000).optional(),
  /** easgd's elastic strength: each exchange moves worker and center this fraction of their difference. */
  alpha: z.number().gt(0).max(1).optional(),
  /** parle: how tightly the inner steps stay near the replica (the proximal term gamma (y - x_a) in each step's gradient). */
  gamma: z.number().gt(0).max(100).optional(),
  /** parle: each round moves the replica this fraction of its difference from the reference (the replicas' mean). */
  rho: z.number().gt(0).max(1).optional(),
  /** grawa: each exchange moves the worker this fraction of the way to the gradient-norm weighted center. */
  lambda: z.number().gt(0).max(1).optional(),
  /** sync-sgd's gradient aggregate; the mean when absent. */
  aggregate: z.enum(AGGREGATES).optional(),
  /** f, the gradients per step sync-sgd's trimmed-mean, cge and zeno treat as possibly malicious; 0 when absent. */
  byzantine: z.number().int('f (hyper.byzantine) must be a whole number of tabs').min(0, 'f (hyper.byzantine) must be 0 or more').max(1000).optional(),
});
export type Hyper = z.infer<typeof hyperSchema>;

/** AdamW's rates with their defaults filled in. */
export function adamwRates(h: Hyper): { beta1: number; beta2: number; eps: number; weightDecay: number } {
  return { beta1: h.beta1 ?? 0.9, beta2: h.beta2 ?? 0.999, eps: h.eps ?? 1e-8, weightDecay: h.weightDecay ?? 0 };
}

/** A run ends at the first condition met; at least one is required so no run trains forever by accident. */
export const stopConditionSchema = z
  .object({
    steps: positiveInt(1e9).optional(),
    minutes: z.number().positive().max(60 * 24 * 365).optional(),
    targetAccuracy: z.number().gt(0).max(1).optional(),
  })
  .refine((s) => s.steps !== undefined || s.minutes !== undefined || s.targetAccuracy !== undefined, {
    message: 'give at least one of steps, minutes, targetAccuracy',
  });
export type StopCondition = z.infer<typeof stopConditionSchema>;

export const runConfigSchema = z.object({
  name: z.string().trim().min(1).max(100),
  model: modelChoiceSchema,
  dataset: z.string().min(1).max(64),
  algorithm: z.enum(ALGORITHMS).default('lsgd'),
  /** How leader copies travel to tabs: f16 halves the bytes, int8 about quarters them (shared/copy_encoding.ts). */
  copyEncoding: z.enum(COPY_ENCODINGS).default('f32'),
  hyper: hyperSchema,
  stop: stopConditionSchema,
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
})
  .refine((c) => c.hyper.pull !== 'periodic' || (c.hyper.lambdaL <= 1 && c.hyper.lambdaG <= 1), {
    path: ['hyper', 'pull'],
    message: 'the periodic pull moves a worker a fraction lambda of the way to its leader: lambdaL and lambdaG must be at most 1 (or choose the penalty pull)',
  })
  .refine((c) => c.hyper.tauG === undefined || c.hyper.tauG >= c.hyper.tau, {
    path: ['hyper', 'tauG'],
    message: 'tauG must be at least tau: pulls happen only at communication steps, every tau steps',
  })
  .refine((c) => c.algorithm !== 'easgd' || c.hyper.alpha !== undefined, { path: ['hyper', 'alpha'], message: 'easgd needs hyper.alpha, the elastic strength in (0, 1]' })
  .refine((c) => c.algorithm !== 'parle' || c.hyper.gamma !== undefined, { path: ['hyper', 'gamma'], message: 'parle needs hyper.gamma, the inner steps\' pull toward the replica (> 0)' })
  .refine((c) => c.algorithm !== 'parle' || c.hyper.rho !== undefined, { path: ['hyper', 'rho'], message: 'parle needs hyper.rho, the replica\'s pull toward the reference in (0, 1]' })
  .refine((c) => c.algorithm !== 'grawa' || c.hyper.lambda !== undefined, { path: ['hyper', 'lambda'], message: 'grawa needs hyper.lambda, the pull toward the center in (0, 1]' })
  .refine((c) => !c.hyper.byzantine || (c.algorithm === 'sync-sgd' && AGGREGATES_WITH_F.includes(c.hyper.aggregate ?? 'mean')), {
    path: ['hyper', 'byzantine'],
    message: `f (hyper.byzantine) is used only by sync-sgd's ${AGGREGATES_WITH_F.join(', ')} aggregates: choose one of them, or set f to 0`,
  });
export type RunConfig = z.infer<typeof runConfigSchema>;
export type RunConfigInput = z.input<typeof runConfigSchema>;

export const RUN_STATES = ['created', 'running', 'paused', 'stopped', 'finished'] as const;
export const runStateSchema = z.enum(RUN_STATES);
export type RunState = z.infer<typeof runStateSchema>;

/** A run as the REST API returns it. */
export interface RunView {
  id: number;
  config: RunConfig;
  state: RunState;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  /** Milliseconds spent in the running state (what a `minutes` stop condition counts). */
  runningMs: number;
  /** Highest step reported by the verified global leader. */
  step: number;
  rounds: number;
  paramLength: number;
}

/** "hyper.lr: Too small: expected number to be >0" for each issue, for 400 replies. */
export function describeIssues(error: z.ZodError): { field: string; reason: string }[] {
  return error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', reason: i.message }));
}
