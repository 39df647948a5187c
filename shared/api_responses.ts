// What the REST API answers, as zod schemas: the OpenAPI document is generated from them, and each is checked
// against its TypeScript type here (`satisfies`) and against real replies in server/openapi.test.ts.
import { z } from 'zod';
import type { ModelConventions } from './model_conventions.ts';
import { OP_KINDS } from './model.ts';
import type { CheckpointInfo, EvalMetric, LeaderMetric, RoundMetric, RunEvent, WorkerMetric, WorkerRecord } from './records.ts';
import { modelSpecSchema, runConfigSchema, runStateSchema, type RunView } from './run_config.ts';

const int = z.number().int();
const ms = int.describe('milliseconds since the Unix epoch');

export const fieldIssueSchema = z.object({ field: z.string().describe('dotted path of the field, or (body)'), reason: z.string() });

export const errorSchema = z.object({
  error: z.string().describe('what went wrong and what to do'),
  issues: z.array(fieldIssueSchema).optional().describe('one entry per invalid field (400 replies)'),
});

export const okSchema = z.object({ ok: z.literal(true) });

export const statusSchema = z.object({
  activeRun: int.nullable().describe('the run tabs are training now, if any'),
  datasets: z.array(z.string()).describe('names a run may use as its dataset'),
});

export const runViewSchema = z.object({
  id: int,
  config: runConfigSchema,
  state: runStateSchema,
  createdAt: ms,
  startedAt: ms.nullable(),
  endedAt: ms.nullable(),
  runningMs: int.describe('milliseconds spent in the running state (what a `minutes` stop condition counts)'),
  step: int.describe('highest step reported by the verified global leader'),
  rounds: int,
  paramLength: int.describe('floats in the flat parameter vector'),
}) satisfies z.ZodType<RunView>;

export const workerMetricSchema = z.object({
  t: ms, workerId: z.string(), machineId: z.string(), step: int, loss: z.number(), samplesPerSec: z.number(), samples: int,
}) satisfies z.ZodType<WorkerMetric>;

export const leaderMetricSchema = z.object({
  t: ms, kind: z.enum(['local', 'global']), groupId: z.string(), workerId: z.string(), version: int, step: int, loss: z.number(),
}) satisfies z.ZodType<LeaderMetric>;

export const evalMetricSchema = z.object({
  t: ms, step: int, version: int, workerId: z.string(), samples: int, testLoss: z.number(), testAccuracy: z.number(),
}) satisfies z.ZodType<EvalMetric>;

export const roundMetricSchema = z.object({
  round: int, t: ms, step: int, uploads: int, downloads: int, bytesUp: int, bytesDown: int,
}) satisfies z.ZodType<RoundMetric>;

export const metricsSchema = z.object({
  now: ms.describe('server time of the reply: pass it as `since` next time'),
  workers: z.array(workerMetricSchema),
  leaders: z.array(leaderMetricSchema),
  eval: z.array(evalMetricSchema),
  rounds: z.array(roundMetricSchema),
});

export const runEventSchema = z.object({
  id: int, t: ms, kind: z.string(), workerId: z.string().nullable(), message: z.string(),
}) satisfies z.ZodType<RunEvent>;

export const workerRecordSchema = z.object({
  workerId: z.string(), machineId: z.string(), adapter: z.record(z.string(), z.unknown()), firstSeen: ms, lastSeen: ms,
  bytesUp: int, bytesDown: int, malformed: int, quarantined: z.boolean(),
}) satisfies z.ZodType<WorkerRecord>;

/** A worker of the active run, as the coordinator sees it now. */
export const liveWorkerSchema = z.object({
  workerId: z.string(), machineId: z.string(), connected: z.boolean(), step: int.nullable(), loss: z.number().nullable(), lastSeen: ms,
  quarantined: z.boolean(), bytesUp: int, bytesDown: int, malformed: int, isLocalLeader: z.boolean(), isGlobalLeader: z.boolean(),
});

export const workersSchema = z.union([z.array(liveWorkerSchema), z.array(workerRecordSchema)])
  .describe('live workers while the run is active, the stored records otherwise');

export const checkpointInfoSchema = z.object({
  id: int, t: ms, step: int, round: int, version: int, workerId: z.string(), final: z.boolean(),
  testLoss: z.number().nullable(), testAccuracy: z.number().nullable(), bytes: int,
}) satisfies z.ZodType<CheckpointInfo>;

const hwcShape = z.tuple([int, int, int]).describe('one sample as [height, width, channels]');

export const modelConventionsSchema = z.object({
  activationLayout: z.string(),
  layerShapes: z.string(),
  input: z.object({ shape: hwcShape, dtype: z.string(), scaling: z.string(), normalization: z.string(), layout: z.string(), channelOrder: z.string() }),
  output: z.object({ shape: z.array(int), meaning: z.string(), prediction: z.string(), classNames: z.array(z.string()).nullable() }),
  flattenOrder: z.string(),
  arithmetic: z.string(),
  parameters: z.string(),
  layers: z.array(z.object({
    index: int,
    kind: z.enum(OP_KINDS),
    path: z.string().describe('where the op is in the spec: the layer index, then the index inside a residual block ("3.1"); .qkv and .out are an attention layer\'s projections'),
    input: hwcShape,
    output: hwcShape,
    operation: z.string().describe('what the layer computes, in index notation over one sample'),
    tensors: z.array(z.object({ name: z.string(), shape: z.array(int), axes: z.array(z.string()).describe('what each axis of shape indexes, outermost first') })),
    kernel: z.tuple([int, int]).optional(),
    stride: int.optional(),
    padding: z.string().optional(),
  })),
}) satisfies z.ZodType<ModelConventions>;

/** What `model.json` says about the weights `model.safetensors` holds. */
export const modelManifestSchema = z.object({
  format: z.literal('safetensors'),
  dtype: z.literal('F32'),
  file: z.string().describe('the file name model.safetensors is sent under'),
  bytes: int,
  sha256: z.string().describe('hex digest of the safetensors file'),
  run: z.object({ id: int, name: z.string(), state: runStateSchema }),
  config: runConfigSchema,
  spec: modelSpecSchema,
  parameterCount: int,
  layout: z.array(z.object({ name: z.string(), shape: z.array(int), offset: int, length: int })).describe('tensors in the flat parameter vector'),
  flatLength: int,
  conventions: modelConventionsSchema.describe('what the model computes, for running it outside Flock: input scaling, layouts, each layer\'s operation and tensors'),
  checkpoint: z.object({ id: int, step: int, round: int, version: int, workerId: z.string(), final: z.boolean(), t: ms, time: z.string().describe('t as ISO 8601') }),
  test: z.object({ accuracy: z.number().nullable(), loss: z.number().nullable(), samples: int.describe('test samples evaluated; 0 when not evaluated') }),
});
export type ModelManifest = z.infer<typeof modelManifestSchema>;

const verifiedSamples = int.describe('training samples in steps the server replayed and found done: nothing a tab claims counts');

export const leaderboardSchema = z.object({
  machines: z.array(z.object({
    name: z.string().describe('the nickname its volunteer set, else a pseudonym'),
    verifiedSamples, proofsPassed: int, tabs: int.describe('tabs of this machine that passed a proof'),
  })),
  tabs: z.array(z.object({ name: z.string().describe('its machine\'s name and a pseudonym of the tab'), machine: z.string(), verifiedSamples, proofsPassed: int })),
});
export type Leaderboard = z.infer<typeof leaderboardSchema>;

export const proofTallySchema = z.object({
  workerId: z.string(), machineId: z.string(), name: z.string(), verifiedSamples,
  passed: int, failed: int.describe('each quarantined the tab'), missed: int.describe('requests left unanswered or answered too late: no credit, no penalty'),
});
export type ProofTally = z.infer<typeof proofTallySchema>;

/** Text a sequence model's global copy wrote, for the dashboard (server/text_samples.ts). */
export const textSampleSchema = z.object({
  version: int.describe('the global copy it came from'),
  step: int.describe('that copy\'s step'),
  t: ms.describe('when it was made'),
  prompt: z.string().describe('what it continues: the first bytes of the validation text (or a newline)'),
  text: z.string().describe('the bytes it wrote after the prompt, as UTF-8 with U+FFFD where they are not'),
});
export type TextSample = z.infer<typeof textSampleSchema>;
