// Retention: which checkpoints, metric rows and events a run keeps as it ages, as plain functions of their ids and
// timestamps (no database, no clock), and the worst-case database size that follows. server/store.ts applies it.
import type { Config } from './config.ts';

/** Rows older than `afterMs` keep one per series per `bucketMs`. */
export interface MetricTier { afterMs: number; bucketMs: number }

export interface RetentionPolicy {
  keepBest: number;
  keepLatest: number;
  keepEveryMs: number;
  /** Youngest first. */
  tiers: readonly MetricTier[];
  eventsPerRun: number;
  /** 0: compaction runs only when called (tests). */
  compactEveryMs: number;
}

const MINUTE = 60_000;

export function retentionPolicy(c: Config): RetentionPolicy {
  if (c.metricsCoarseAfterMinutes < c.metricsThinAfterMinutes || c.metricsCoarseBucketMinutes * 60 < c.metricsThinBucketSeconds) {
    throw new Error('metricsCoarseAfterMinutes and metricsCoarseBucketMinutes must not be finer than metricsThinAfterMinutes and metricsThinBucketSeconds');
  }
  return {
    keepBest: c.checkpointKeepBest,
    keepLatest: c.checkpointKeepLatest,
    keepEveryMs: c.checkpointKeepEveryMinutes * MINUTE,
    tiers: [
      { afterMs: c.metricsThinAfterMinutes * MINUTE, bucketMs: c.metricsThinBucketSeconds * 1000 },
      { afterMs: c.metricsCoarseAfterMinutes * MINUTE, bucketMs: c.metricsCoarseBucketMinutes * MINUTE },
    ],
    eventsPerRun: c.eventsKeepPerRun,
    compactEveryMs: c.compactEveryMs,
  };
}

// ---- checkpoints

export interface CheckpointRecord { id: number; t: number; final: boolean; testAccuracy: number | null }

/**
 * The checkpoints to keep: the best few by test accuracy, the later on a tie, so the first is the one the model
 * download picks (bestCheckpoint); the latest few, so a restart's resume point and any checkpoint whose evaluation is
 * still running stay; the latest in each keepEveryMs since `origin` (the run's start); and every final one.
 */
export function checkpointsToKeep(checkpoints: readonly CheckpointRecord[], p: RetentionPolicy, origin: number): Set<number> {
  const byId = [...checkpoints].sort((a, b) => a.id - b.id);
  const keep = new Set(byId.slice(-p.keepLatest).map((c) => c.id));
  const evaluated = byId.filter((c) => c.testAccuracy !== null).sort((a, b) => b.testAccuracy! - a.testAccuracy! || b.id - a.id);
  for (const c of evaluated.slice(0, p.keepBest)) keep.add(c.id);
  const latestPerPeriod = new Map<number, number>();
  for (const c of byId) latestPerPeriod.set(Math.floor((c.t - origin) / p.keepEveryMs), c.id);
  for (const id of latestPerPeriod.values()) keep.add(id);
  for (const c of byId) if (c.final) keep.add(c.id);
  return keep;
}

// ---- metrics

/** `samples`: counted since the series' previous row (worker reports); absent where rows are not additive. */
export interface MetricRow { id: number; series: string; t: number; samples?: number }

export interface Thinning { drop: number[]; samples: { id: number; samples: number }[] }

export const bucketStart = (t: number, bucketMs: number) => Math.floor(t / bucketMs) * bucketMs;

/** Where a tier may thin to at `now`: the end of the last bucket that lies wholly past the tier's age. */
export const thinnableUntil = (now: number, tier: MetricTier) => bucketStart(now - tier.afterMs, tier.bucketMs);

/**
 * Keeps the latest row per series per bucket. The survivor's `samples` becomes its bucket's sum, so it still counts the
 * samples since the series' previous (surviving) row and totals over any span stay right.
 */
export function thin(rows: readonly MetricRow[], bucketMs: number): Thinning {
  const groups = new Map<string, MetricRow[]>();
  for (const r of rows) {
    const key = `${r.series}\u0000${bucketStart(r.t, bucketMs)}`;
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  const out: Thinning = { drop: [], samples: [] };
  for (const group of groups.values()) {
    if (group.length === 1) continue;
    const latest = group.reduce((a, b) => (b.t > a.t || (b.t === a.t && b.id > a.id) ? b : a));
    for (const r of group) if (r !== latest) out.drop.push(r.id);
    if (latest.samples !== undefined) out.samples.push({ id: latest.id, samples: group.reduce((sum, r) => sum + (r.samples ?? 0), 0) });
  }
  return out;
}

// ---- events

/** Kept whatever the cap: a run's state changes and quarantines, which only the admin and the coordinator cause. */
export const KEPT_EVENT_KINDS: readonly string[] = ['start', 'pause', 'resume', 'stop', 'stopped', 'finished', 'quarantine'];

/** Messages are clipped: a refused message's text can echo megabytes of a tab's input. */
export const EVENT_MESSAGE_CHARS = 500;

/** How many of a run's other events to delete, oldest first. */
export const eventsOverCap = (others: number, p: RetentionPolicy) => Math.max(0, others - p.eventsPerRun);

// ---- the disk bound

export interface RunShape {
  hours: number;
  params: number;
  tabs: number;
  reportsPerSecond: number;
  checkpointEveryMinutes: number;
  /** Global rounds (one leader row and one rounds row each); 20 a minute by default, as measured for the mlp
   *  (9 checkpoints of 10 rounds in 4 minutes). */
  roundsPerMinute?: number;
  /** Evaluations; one per 5 rounds plus one per 10 s by default. */
  evalsPerMinute?: number;
  /** Local-leader uploads per machine group; one group per tab at worst. */
  localUploadsPerMinute?: number;
  /** Events kept beyond the cap: state changes and quarantines (at most one per tab). */
  keptEvents?: number;
}

const PAGE = 4096;
/** Worst-case bytes per row with its index entries and cell overhead: ids at their 64-character maximum, an event's
 *  500 characters and a tab's 32 adapter fields in 3-byte UTF-8. */
const ROW_BYTES = { worker: 200, leader: 200, eval: 140, round: 70, event: 1600, workerRecord: 32_000 };
/** Appended rows fill their pages (SQLite's append split leaves the left page full; 84-99% measured with holes from
 *  REPLACE and head deletions); rows left after thinning share pages SQLite keeps at least a third full. */
const FRESH_FILL = 2 / 3;
const THINNED_FILL = 1 / 3;
/** WAL pages before SQLite checkpoints it into the main file (its default). */
const WAL_AUTOCHECKPOINT_PAGES = 1000;
/** Free pages one compaction step hands back (1 MiB): incremental_vacuum moves pages from the file's end into free ones. */
export const VACUUM_STEP_PAGES = 256;
/** Tables and indexes; then one pointer-map page (incremental auto-vacuum) per PAGE / 5 pages. */
const SCHEMA_PAGES = 32;
const PTRMAP_OVERHEAD = 1 + 5 / PAGE;

/** Pages of one checkpoint row: the weights in overflow pages of 4092 usable bytes, plus a share of a leaf page. */
export const checkpointBytes = (params: number) => (Math.ceil((4 * params + 64) / (PAGE - 4)) + 1) * PAGE;

/** Per series: minutes of rows kept unthinned (with one compaction's lag), and buckets of thinned rows at most. */
function seriesSpan(p: RetentionPolicy, runMs: number): { freshMinutes: number; buckets: number } {
  const [thin, coarse] = p.tiers;
  const freshMs = Math.min(runMs, thin.afterMs + thin.bucketMs + p.compactEveryMs);
  const thinMs = Math.min(Math.max(0, runMs - thin.afterMs), coarse.afterMs + coarse.bucketMs + p.compactEveryMs - thin.afterMs);
  const coarseMs = Math.max(0, runMs - coarse.afterMs);
  return { freshMinutes: freshMs / MINUTE, buckets: Math.ceil(thinMs / thin.bucketMs) + Math.ceil(coarseMs / coarse.bucketMs) + 2 };
}

export interface DiskBound {
  bytes: number;
  checkpoints: number;
  /** Per tab. */
  workerRows: number;
  /** All groups, local and global. */
  leaderRows: number;
  evalRows: number;
  roundRows: number;
  eventRows: number;
}

/** The most a run of `shape` makes the database hold (main file and WAL), under policy `p`. */
export function diskBound(shape: RunShape, p: RetentionPolicy): DiskBound {
  const runMs = shape.hours * 60 * MINUTE;
  const runMinutes = runMs / MINUTE;
  const rounds = shape.roundsPerMinute ?? 20;
  const evals = shape.evalsPerMinute ?? rounds / 5 + 6;
  const localUploads = shape.localUploadsPerMinute ?? rounds;
  const groups = shape.tabs;
  const span = seriesSpan(p, runMs);
  const seriesRows = (perMinute: number) => ({ fresh: Math.ceil(span.freshMinutes * perMinute), thinned: Math.min(Math.ceil(runMinutes * perMinute), span.buckets) });

  const periods = Math.ceil(runMs / p.keepEveryMs) + 1;
  // plus the final one, and the new one that is stored before the others go, in the same transaction
  const checkpoints = Math.min(Math.floor(runMs / (shape.checkpointEveryMinutes * MINUTE)), p.keepBest + p.keepLatest + periods) + 2;
  const worker = seriesRows(shape.reportsPerSecond * 60);
  const local = seriesRows(localUploads);
  // the global leader's rows form one series per group that held the lead, one group at a time
  const global = { fresh: Math.ceil(span.freshMinutes * rounds), thinned: Math.min(Math.ceil(runMinutes * rounds), groups * span.buckets) };
  const evalRows = Math.ceil(runMinutes * evals);
  const roundRows = Math.ceil(runMinutes * rounds);
  const eventRows = p.eventsPerRun + (shape.keptEvents ?? shape.tabs + 10);

  const fresh = shape.tabs * worker.fresh * ROW_BYTES.worker + (groups * local.fresh + global.fresh) * ROW_BYTES.leader +
    evalRows * ROW_BYTES.eval + roundRows * ROW_BYTES.round + eventRows * ROW_BYTES.event + shape.tabs * ROW_BYTES.workerRecord;
  const thinned = shape.tabs * worker.thinned * ROW_BYTES.worker + (groups * local.thinned + global.thinned) * ROW_BYTES.leader;
  const wal = (WAL_AUTOCHECKPOINT_PAGES + VACUUM_STEP_PAGES) * PAGE + 2 * checkpointBytes(shape.params);
  return {
    bytes: Math.ceil((checkpoints * checkpointBytes(shape.params) + fresh / FRESH_FILL + thinned / THINNED_FILL) * PTRMAP_OVERHEAD + SCHEMA_PAGES * PAGE + wal),
    checkpoints,
    workerRows: worker.fresh + worker.thinned,
    leaderRows: groups * (local.fresh + local.thinned) + global.fresh + global.thinned,
    evalRows, roundRows, eventRows,
  };
}
