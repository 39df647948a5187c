// The run store: one SQLite file under DATA_DIR. WAL mode and one implicit transaction per statement, so a
// write that returned is on disk and a kill -9 loses nothing that was stored, but for the per-report rows (worker
// metrics, events outside a transaction), written in batches (see flush). Its size stays bounded: checkpoints are
// pruned as each new one is stored, and a periodic compaction thins old metrics (server/retention.ts says what stays).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Compaction } from './compaction.ts';
import { Credits } from './credits.ts';
import { DatasetRows } from './datasets/dataset_rows.ts';
import { checkpointsToKeep, EVENT_MESSAGE_CHARS, type RetentionPolicy } from './retention.ts';
import type { TextSample } from '../shared/api_responses.ts';
import type { CheckpointInfo, EvalMetric, LeaderMetric, RoundMetric, RunEvent, WorkerMetric, WorkerRecord } from '../shared/records.ts';
import { runConfigSchema, runStateSchema, type RunConfig, type RunState, type RunView } from '../shared/run_config.ts';

/** Rows buffered before one transaction writes them all (see Store.flush). */
const BUFFERED_ROWS = 256;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, config TEXT NOT NULL, state TEXT NOT NULL,
  created_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER, running_ms INTEGER NOT NULL DEFAULT 0,
  step INTEGER NOT NULL DEFAULT 0, rounds INTEGER NOT NULL DEFAULT 0, param_length INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS worker_metrics (
  run_id INTEGER NOT NULL, t INTEGER NOT NULL, worker_id TEXT NOT NULL, machine_id TEXT NOT NULL,
  step INTEGER NOT NULL, loss REAL NOT NULL, samples_per_sec REAL NOT NULL, samples INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS worker_metrics_run_t ON worker_metrics (run_id, t);
CREATE TABLE IF NOT EXISTS leader_metrics (
  run_id INTEGER NOT NULL, t INTEGER NOT NULL, kind TEXT NOT NULL, group_id TEXT NOT NULL, worker_id TEXT NOT NULL,
  version INTEGER NOT NULL, step INTEGER NOT NULL, loss REAL NOT NULL);
CREATE INDEX IF NOT EXISTS leader_metrics_run_t ON leader_metrics (run_id, t);
CREATE TABLE IF NOT EXISTS eval_metrics (
  run_id INTEGER NOT NULL, t INTEGER NOT NULL, step INTEGER NOT NULL, version INTEGER NOT NULL, worker_id TEXT NOT NULL,
  samples INTEGER NOT NULL, test_loss REAL NOT NULL, test_accuracy REAL NOT NULL);
CREATE INDEX IF NOT EXISTS eval_metrics_run_t ON eval_metrics (run_id, t);
CREATE TABLE IF NOT EXISTS rounds (
  run_id INTEGER NOT NULL, round INTEGER NOT NULL, t INTEGER NOT NULL, step INTEGER NOT NULL,
  uploads INTEGER NOT NULL, downloads INTEGER NOT NULL, bytes_up INTEGER NOT NULL, bytes_down INTEGER NOT NULL,
  PRIMARY KEY (run_id, round));
CREATE TABLE IF NOT EXISTS workers (
  run_id INTEGER NOT NULL, worker_id TEXT NOT NULL, machine_id TEXT NOT NULL, adapter TEXT NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, bytes_up INTEGER NOT NULL DEFAULT 0,
  bytes_down INTEGER NOT NULL DEFAULT 0, malformed INTEGER NOT NULL DEFAULT 0, quarantined INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, worker_id));
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER, t INTEGER NOT NULL, kind TEXT NOT NULL,
  worker_id TEXT, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_run_t ON events (run_id, t);
CREATE TABLE IF NOT EXISTS checkpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, t INTEGER NOT NULL, step INTEGER NOT NULL,
  round INTEGER NOT NULL, version INTEGER NOT NULL, worker_id TEXT NOT NULL, final INTEGER NOT NULL,
  test_loss REAL, test_accuracy REAL, weights BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS checkpoints_run ON checkpoints (run_id, id);
CREATE TABLE IF NOT EXISTS text_samples (
  run_id INTEGER PRIMARY KEY, t INTEGER NOT NULL, version INTEGER NOT NULL, step INTEGER NOT NULL, prompt TEXT NOT NULL, text TEXT NOT NULL);
`;

export interface Checkpoint extends CheckpointInfo { weights: Float32Array }

type Row = Record<string, unknown>;

const toRun = (r: Row): RunView => ({
  id: r.id as number,
  config: runConfigSchema.parse(JSON.parse(r.config as string)),
  state: runStateSchema.parse(r.state),
  createdAt: r.created_at as number,
  startedAt: r.started_at as number | null,
  endedAt: r.ended_at as number | null,
  runningMs: r.running_ms as number,
  step: r.step as number,
  rounds: r.rounds as number,
  paramLength: r.param_length as number,
});

const toCheckpointInfo = (r: Row): CheckpointInfo => ({
  id: r.id as number, t: r.t as number, step: r.step as number, round: r.round as number, version: r.version as number,
  workerId: r.worker_id as string, final: r.final === 1, testLoss: r.test_loss as number | null,
  testAccuracy: r.test_accuracy as number | null, bytes: r.bytes as number,
});

export class Store {
  private readonly db: Database.Database;
  private readonly compaction: Compaction;
  private buffered: (() => void)[] = [];
  /** Statements by their SQL, compiled once: a report's writes would otherwise spend more on compiling than on writing. */
  private readonly statements = new Map<string, Database.Statement>();
  /** Verified contribution and nicknames: kept when a run is deleted (a volunteer's credit outlives the run). */
  readonly credits: Credits;
  /** Uploaded datasets (server/datasets/uploaded.ts keeps their files). */
  readonly datasets: DatasetRows;

  constructor(dataDir: string, private readonly retention: RetentionPolicy) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'flock.sqlite'));
    // Lets compaction hand freed pages back to the file system; takes effect only in a new file, before its first table.
    this.db.pragma('auto_vacuum = INCREMENTAL');
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a killed process (only an OS crash can lose the last commits).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    // Runs created before the pull became a choice were trained with the per-step penalty: they keep that rule.
    this.db.exec(`UPDATE runs SET config = json_set(config, '$.hyper.pull', 'penalty') WHERE json_extract(config, '$.hyper.pull') IS NULL`);
    this.compaction = new Compaction(this.db, retention);
    this.credits = new Credits(this.db);
    this.datasets = new DatasetRows(this.db);
  }

  close(): void {
    if (this.db.open) this.flush();
    this.compaction.close();
    if (this.db.open) this.db.close();
  }

  /** A whole compaction pass now, as if the clock read `now`; the store also runs one every retention.compactEveryMs. */
  compact(now: number): void {
    this.flush();
    this.compaction.runNow(now);
  }

  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /** Runs `fn` as one transaction (nested calls become savepoints): all of its writes land, or none. */
  transaction<T>(fn: () => T): T {
    // the buffered rows go first, so events keep the order they happened in
    return this.db.transaction(() => {
      this.writeBuffered();
      return fn();
    })();
  }

  /**
   * Writes the buffered rows (worker metrics, and events outside a transaction) in one transaction. They are buffered
   * so that a report costs no commit of its own: written every BUFFERED_ROWS rows, at each flush (the coordinator's
   * tick, a run's end, close) and before any read of them, so a crash (kill -9) loses at most the rows since the
   * last flush: under one tick's, and fewer than BUFFERED_ROWS.
   */
  flush(): void {
    if (this.buffered.length > 0) this.transaction(() => {});
  }

  private buffer(write: () => void): void {
    this.buffered.push(write);
    if (this.buffered.length >= BUFFERED_ROWS) this.flush();
  }

  private writeBuffered(): void {
    const writes = this.buffered;
    this.buffered = [];
    for (const write of writes) write();
  }

  // ---- runs

  createRun(config: RunConfig, paramLength: number, now: number): RunView {
    const info = this.prepared('INSERT INTO runs (name, config, state, created_at, param_length) VALUES (?, ?, ?, ?, ?)').run(config.name, JSON.stringify(config), 'created', now, paramLength);
    return this.getRun(Number(info.lastInsertRowid))!;
  }

  getRun(id: number): RunView | null {
    const r = this.prepared('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    return r ? toRun(r) : null;
  }

  listRuns(): RunView[] {
    return (this.prepared('SELECT * FROM runs ORDER BY id').all() as Row[]).map(toRun);
  }

  runsInState(...states: RunState[]): RunView[] {
    return this.listRuns().filter((r) => states.includes(r.state));
  }

  setState(id: number, state: RunState, now: number): void {
    const started = state === 'running' ? now : null;
    const ended = state === 'stopped' || state === 'finished' ? now : null;
    this.prepared('UPDATE runs SET state = ?, started_at = COALESCE(started_at, ?), ended_at = COALESCE(?, ended_at) WHERE id = ?').run(state, started, ended, id);
  }

  setProgress(id: number, p: { step: number; rounds: number; runningMs: number }): void {
    this.prepared('UPDATE runs SET step = ?, rounds = ?, running_ms = ? WHERE id = ?').run(p.step, p.rounds, Math.round(p.runningMs), id);
  }

  deleteRun(id: number): void {
    this.flush();
    this.db.transaction(() => {
      for (const table of ['worker_metrics', 'leader_metrics', 'eval_metrics', 'rounds', 'workers', 'events', 'checkpoints', 'text_samples']) {
        this.prepared(`DELETE FROM ${table} WHERE run_id = ?`).run(id);
      }
      this.prepared('DELETE FROM runs WHERE id = ?').run(id);
    })();
  }

  // ---- time series

  /** One row per report: buffered (see flush). */
  addWorkerMetric(runId: number, m: WorkerMetric): void {
    const insert = this.prepared('INSERT INTO worker_metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.buffer(() => insert.run(runId, m.t, m.workerId, m.machineId, m.step, m.loss, m.samplesPerSec, m.samples));
  }

  addLeaderMetric(runId: number, m: LeaderMetric): void {
    this.prepared('INSERT INTO leader_metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(runId, m.t, m.kind, m.groupId, m.workerId, m.version, m.step, m.loss);
  }

  addEval(runId: number, m: EvalMetric): void {
    this.prepared('INSERT INTO eval_metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(runId, m.t, m.step, m.version, m.workerId, m.samples, m.testLoss, m.testAccuracy);
  }

  addRound(runId: number, m: RoundMetric): void {
    this.prepared('INSERT OR REPLACE INTO rounds VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(runId, m.round, m.t, m.step, m.uploads, m.downloads, m.bytesUp, m.bytesDown);
  }

  /** The stored counts of one round (the open one, after a restart), null when it has none yet. */
  round(runId: number, round: number): Pick<RoundMetric, 'uploads' | 'downloads' | 'bytesUp' | 'bytesDown'> | null {
    const r = this.prepared('SELECT uploads, downloads, bytes_up, bytes_down FROM rounds WHERE run_id = ? AND round = ?').get(runId, round) as Row | undefined;
    return r ? { uploads: r.uploads as number, downloads: r.downloads as number, bytesUp: r.bytes_up as number, bytesDown: r.bytes_down as number } : null;
  }

  /** Rows with t > since, oldest first, at most `limit` per series. */
  metrics(runId: number, since: number, limit: number) {
    this.flush();
    const q = (table: string) => this.prepared(`SELECT * FROM ${table} WHERE run_id = ? AND t > ? ORDER BY t LIMIT ?`).all(runId, since, limit) as Row[];
    return {
      workers: q('worker_metrics').map((r): WorkerMetric => ({
        t: r.t as number, workerId: r.worker_id as string, machineId: r.machine_id as string, step: r.step as number,
        loss: r.loss as number, samplesPerSec: r.samples_per_sec as number, samples: r.samples as number,
      })),
      leaders: q('leader_metrics').map((r): LeaderMetric => ({
        t: r.t as number, kind: r.kind as LeaderMetric['kind'], groupId: r.group_id as string, workerId: r.worker_id as string,
        version: r.version as number, step: r.step as number, loss: r.loss as number,
      })),
      eval: q('eval_metrics').map((r): EvalMetric => ({
        t: r.t as number, step: r.step as number, version: r.version as number, workerId: r.worker_id as string,
        samples: r.samples as number, testLoss: r.test_loss as number, testAccuracy: r.test_accuracy as number,
      })),
      rounds: q('rounds').map((r): RoundMetric => ({
        round: r.round as number, t: r.t as number, step: r.step as number, uploads: r.uploads as number,
        downloads: r.downloads as number, bytesUp: r.bytes_up as number, bytesDown: r.bytes_down as number,
      })),
    };
  }

  // ---- workers and events

  saveWorker(runId: number, w: WorkerRecord): void {
    this.prepared(
      `INSERT INTO workers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, worker_id) DO UPDATE SET
       machine_id = excluded.machine_id, adapter = excluded.adapter, last_seen = excluded.last_seen, bytes_up = excluded.bytes_up,
       bytes_down = excluded.bytes_down, malformed = excluded.malformed, quarantined = excluded.quarantined`,
    ).run(runId, w.workerId, w.machineId, JSON.stringify(w.adapter), w.firstSeen, w.lastSeen, w.bytesUp, w.bytesDown, w.malformed, w.quarantined ? 1 : 0);
  }

  saveWorkers(runId: number, ws: readonly WorkerRecord[]): void {
    this.db.transaction(() => ws.forEach((w) => this.saveWorker(runId, w)))();
  }

  workers(runId: number): WorkerRecord[] {
    return (this.prepared('SELECT * FROM workers WHERE run_id = ? ORDER BY worker_id').all(runId) as Row[]).map((r) => ({
      workerId: r.worker_id as string, machineId: r.machine_id as string, adapter: JSON.parse(r.adapter as string),
      firstSeen: r.first_seen as number, lastSeen: r.last_seen as number, bytesUp: r.bytes_up as number,
      bytesDown: r.bytes_down as number, malformed: r.malformed as number, quarantined: r.quarantined === 1,
    }));
  }

  /** Buffered (see flush), but inside a transaction, whose other writes it belongs with. */
  addEvent(runId: number | null, t: number, kind: string, workerId: string | null, message: string): void {
    const insert = this.prepared('INSERT INTO events (run_id, t, kind, worker_id, message) VALUES (?, ?, ?, ?, ?)');
    const write = () => insert.run(runId, t, kind, workerId, message.slice(0, EVENT_MESSAGE_CHARS));
    if (this.db.inTransaction) write();
    else this.buffer(write);
  }

  events(runId: number, sinceId: number, limit: number): RunEvent[] {
    this.flush();
    return (this.prepared('SELECT * FROM events WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?').all(runId, sinceId, limit) as Row[]).map((r) => ({
      id: r.id as number, t: r.t as number, kind: r.kind as string, workerId: r.worker_id as string | null, message: r.message as string,
    }));
  }

  // ---- text samples (server/text_samples.ts): the latest per run

  setTextSample(runId: number, s: TextSample): void {
    this.prepared('INSERT OR REPLACE INTO text_samples (run_id, t, version, step, prompt, text) VALUES (?, ?, ?, ?, ?, ?)').run(runId, s.t, s.version, s.step, s.prompt, s.text);
  }

  textSample(runId: number): TextSample | null {
    const r = this.prepared('SELECT t, version, step, prompt, text FROM text_samples WHERE run_id = ?').get(runId) as TextSample | undefined;
    return r ? { version: r.version, step: r.step, t: r.t, prompt: r.prompt, text: r.text } : null;
  }

  // ---- checkpoints

  /** Stores a checkpoint and, in the same transaction, deletes those the retention policy no longer keeps. */
  addCheckpoint(runId: number, c: { t: number; step: number; round: number; version: number; workerId: string; final: boolean; weights: Float32Array }): number {
    const blob = Buffer.from(c.weights.buffer, c.weights.byteOffset, c.weights.byteLength);
    return this.transaction(() => {
      const info = this.prepared('INSERT INTO checkpoints (run_id, t, step, round, version, worker_id, final, weights) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(runId, c.t, c.step, c.round, c.version, c.workerId, c.final ? 1 : 0, blob);
      this.pruneCheckpoints(runId);
      return Number(info.lastInsertRowid);
    });
  }

  private pruneCheckpoints(runId: number): void {
    const rows = this.prepared('SELECT id, t, final, test_accuracy FROM checkpoints WHERE run_id = ?').all(runId) as Row[];
    const records = rows.map((r) => ({ id: r.id as number, t: r.t as number, final: r.final === 1, testAccuracy: r.test_accuracy as number | null }));
    const run = this.prepared('SELECT started_at FROM runs WHERE id = ?').get(runId) as Row | undefined;
    const started = (run?.started_at as number | null | undefined) ?? Math.min(...records.map((c) => c.t));
    const keep = checkpointsToKeep(records, this.retention, started);
    const remove = this.prepared('DELETE FROM checkpoints WHERE id = ?');
    for (const c of records) if (!keep.has(c.id)) remove.run(c.id);
  }

  setCheckpointEval(id: number, testLoss: number, testAccuracy: number): void {
    this.prepared('UPDATE checkpoints SET test_loss = ?, test_accuracy = ? WHERE id = ?').run(testLoss, testAccuracy, id);
  }

  checkpoints(runId: number): CheckpointInfo[] {
    const cols = 'id, t, step, round, version, worker_id, final, test_loss, test_accuracy, length(weights) AS bytes';
    return (this.prepared(`SELECT ${cols} FROM checkpoints WHERE run_id = ? ORDER BY id`).all(runId) as Row[]).map(toCheckpointInfo);
  }

  checkpoint(runId: number, id?: number): Checkpoint | null {
    const r = (id === undefined
      ? this.prepared('SELECT *, length(weights) AS bytes FROM checkpoints WHERE run_id = ? ORDER BY id DESC LIMIT 1').get(runId)
      : this.prepared('SELECT *, length(weights) AS bytes FROM checkpoints WHERE run_id = ? AND id = ?').get(runId, id)) as Row | undefined;
    if (!r) return null;
    const blob = r.weights as Buffer;
    // copy: the blob's offset need not be 4-byte aligned
    const weights = new Float32Array(new Uint8Array(blob).buffer);
    return { ...toCheckpointInfo(r), weights };
  }
}
