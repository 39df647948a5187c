// The store's periodic compaction: thins old worker and leader metrics and caps each run's events as
// server/retention.ts decides, then hands freed pages back to the file system. A pass is a series of small
// transactions, each at most SLICE_ROWS rows, with an event-loop turn between them, so it never stalls the coordinator.
import type Database from 'better-sqlite3';
import { bucketStart, eventsOverCap, KEPT_EVENT_KINDS, thin, thinnableUntil, VACUUM_STEP_PAGES, type MetricRow, type MetricTier, type RetentionPolicy } from './retention.ts';

const SLICE_ROWS = 2000;

/** Worker rows are additive in `samples`; leader rows are one series per kind and machine group. */
const SERIES_TABLES = [
  { table: 'worker_metrics', series: 'worker_id', samples: true },
  { table: 'leader_metrics', series: "kind || ' ' || group_id", samples: false },
] as const;
type SeriesTable = (typeof SERIES_TABLES)[number];

export class Compaction {
  /** Per run, table and tier: rows before this time are thinned already. Lost on restart: the first pass rescans. */
  private readonly thinnedUntil = new Map<string, number>();
  /** Per run: the last event id counted, and how many of its events are not of KEPT_EVENT_KINDS. Lost on restart too. */
  private readonly eventsCounted = new Map<number, { lastId: number; others: number }>();
  private readonly timer: NodeJS.Timeout | null = null;
  private pending: NodeJS.Immediate | null = null;
  private running = false;

  constructor(private readonly db: Database.Database, private readonly policy: RetentionPolicy) {
    if (policy.compactEveryMs > 0) {
      this.timer = setInterval(() => this.startPass(Date.now()), policy.compactEveryMs);
      this.timer.unref();
    }
  }

  /** A whole pass at once, for callers with nothing else to serve (tests, tools). */
  runNow(now: number): void {
    const pass = this.pass(now);
    while (!pass.next().done);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.pending) clearImmediate(this.pending);
    this.running = false;
  }

  private startPass(now: number): void {
    if (this.running) return;
    this.running = true;
    const pass = this.pass(now);
    const step = () => {
      this.pending = null;
      try {
        if (pass.next().done) this.running = false;
        else this.pending = setImmediate(step);
      } catch (err) {
        this.running = false;
        console.error(`store compaction failed (retried in ${this.policy.compactEveryMs} ms): ${(err as Error).message}`);
      }
    };
    step();
  }

  /** Yields after each transaction. */
  private *pass(now: number): Generator<void> {
    const runs = (this.db.prepare('SELECT id FROM runs ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    for (const runId of runs) {
      for (const table of SERIES_TABLES) for (const [i, tier] of this.policy.tiers.entries()) yield* this.thinSeries(runId, table, i, tier, now);
      yield* this.capEvents(runId);
    }
    yield* this.vacuum();
  }

  private *thinSeries(runId: number, s: SeriesTable, tierIndex: number, tier: MetricTier, now: number): Generator<void> {
    const key = `${runId} ${s.table} ${tierIndex}`;
    const until = thinnableUntil(now, tier);
    let from = this.thinnedUntil.get(key) ?? this.oldest(runId, s.table, tier);
    const select = this.db.prepare(`SELECT rowid AS id, ${s.series} AS series, t${s.samples ? ', samples' : ''} FROM ${s.table} WHERE run_id = ? AND t >= ? AND t < ? ORDER BY t LIMIT ?`);
    const remove = this.db.prepare(`DELETE FROM ${s.table} WHERE rowid = ?`);
    const setSamples = this.db.prepare('UPDATE worker_metrics SET samples = ? WHERE rowid = ?');
    while (from !== null && from < until) {
      let rows = select.all(runId, from, until, SLICE_ROWS) as MetricRow[];
      let end = until;
      if (rows.length === SLICE_ROWS) {
        // a full slice may end inside a bucket: leave that bucket to the next slice, or take it whole when it is the only one
        end = bucketStart(rows.at(-1)!.t, tier.bucketMs);
        if (end > from) rows = rows.filter((r) => r.t < end);
        else {
          end = from + tier.bucketMs;
          rows = select.all(runId, from, end, -1) as MetricRow[];
        }
      }
      const { drop, samples } = thin(rows, tier.bucketMs);
      this.db.transaction(() => {
        for (const id of drop) remove.run(id);
        for (const r of samples) setSamples.run(r.samples, r.id);
      })();
      this.thinnedUntil.set(key, end);
      from = end;
      yield;
    }
    if (from === null) this.thinnedUntil.set(key, until);
  }

  /** The start of the bucket of the run's oldest row in `table`; null when it has none. */
  private oldest(runId: number, table: string, tier: MetricTier): number | null {
    const t = (this.db.prepare(`SELECT min(t) AS t FROM ${table} WHERE run_id = ?`).get(runId) as { t: number | null }).t;
    return t === null ? null : bucketStart(t, tier.bucketMs);
  }

  /** Counts only the events added since the last pass (a rowid range), so a run at its cap costs little per pass. */
  private *capEvents(runId: number): Generator<void> {
    const others = `run_id = ? AND kind NOT IN (${KEPT_EVENT_KINDS.map(() => '?').join(', ')})`;
    const before = this.eventsCounted.get(runId);
    const added = (before
      ? this.db.prepare(`SELECT count(*) AS n, max(id) AS last FROM events NOT INDEXED WHERE id > ? AND ${others}`).get(before.lastId, runId, ...KEPT_EVENT_KINDS)
      : this.db.prepare(`SELECT count(*) AS n, max(id) AS last FROM events WHERE ${others}`).get(runId, ...KEPT_EVENT_KINDS)) as { n: number; last: number | null };
    const over = eventsOverCap((before?.others ?? 0) + added.n, this.policy);
    this.eventsCounted.set(runId, { lastId: added.last ?? before?.lastId ?? 0, others: (before?.others ?? 0) + added.n - over });
    const remove = this.db.prepare(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ${others} ORDER BY t, id LIMIT ?)`);
    for (let left = over; left > 0; left -= SLICE_ROWS) {
      remove.run(runId, ...KEPT_EVENT_KINDS, Math.min(left, SLICE_ROWS));
      yield;
    }
  }

  /** Only in a file created with auto_vacuum = INCREMENTAL (every file since retention); older files reuse free pages. */
  private *vacuum(): Generator<void> {
    if (this.db.pragma('auto_vacuum', { simple: true }) !== 2) return;
    for (let free = this.db.pragma('freelist_count', { simple: true }) as number; free > 0; free -= VACUUM_STEP_PAGES) {
      this.db.pragma(`incremental_vacuum(${VACUUM_STEP_PAGES})`);
      yield;
    }
  }
}
