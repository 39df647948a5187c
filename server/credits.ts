// Volunteers' verified contribution: per run and tab, the samples of the steps the coordinator replayed and found
// done, with every proof's outcome; machines' nicknames; and the leaderboard built from nothing else. Names shown
// in public are nicknames or pseudonyms keyed by a secret salt, never the tab and machine ids.
import type Database from 'better-sqlite3';
import { createHmac, randomBytes } from 'node:crypto';
import type { Leaderboard, ProofTally } from '../shared/api_responses.ts';
import type { Credit } from '../shared/protocol.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS credits (
  run_id INTEGER NOT NULL, worker_id TEXT NOT NULL, machine_id TEXT NOT NULL, samples INTEGER NOT NULL DEFAULT 0,
  passed INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, missed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, worker_id));
CREATE INDEX IF NOT EXISTS credits_machine ON credits (machine_id);
CREATE TABLE IF NOT EXISTS nicknames (machine_id TEXT PRIMARY KEY, nickname TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export type Verdict = 'passed' | 'failed' | 'missed';

const ADJECTIVES = ['amber', 'brisk', 'calm', 'dapper', 'eager', 'fleet', 'gentle', 'hardy', 'keen', 'lively', 'mellow', 'nimble', 'plucky', 'quiet', 'rapid', 'sunny'];
const ANIMALS = ['badger', 'crane', 'dolphin', 'finch', 'gecko', 'heron', 'ibex', 'jackal', 'koala', 'lynx', 'marten', 'newt', 'otter', 'puffin', 'raven', 'stoat'];

type Row = Record<string, number | string>;

export class Credits {
  private readonly salt: string;

  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    const row = db.prepare("SELECT value FROM settings WHERE key = 'pseudonym-salt'").get() as { value: string } | undefined;
    this.salt = row?.value ?? randomBytes(32).toString('hex');
    if (!row) db.prepare("INSERT INTO settings (key, value) VALUES ('pseudonym-salt', ?)").run(this.salt);
  }

  /** One proof's outcome; a passed one credits `samples`. */
  record(runId: number, workerId: string, machineId: string, verdict: Verdict, samples: number): void {
    this.db.prepare(`INSERT INTO credits (run_id, worker_id, machine_id, samples, ${verdict}) VALUES (?, ?, ?, ?, 1)
      ON CONFLICT (run_id, worker_id) DO UPDATE SET samples = samples + excluded.samples, ${verdict} = ${verdict} + 1`)
      .run(runId, workerId, machineId, verdict === 'passed' ? samples : 0);
  }

  /** Sets a machine's nickname; returns why not when another machine has it (case-insensitively). */
  setNickname(machineId: string, nickname: string): string | null {
    const taken = this.db.prepare('SELECT machine_id FROM nicknames WHERE nickname = ?').get(nickname) as { machine_id: string } | undefined;
    if (taken && taken.machine_id !== machineId) return `the nickname "${nickname}" is taken: choose another`;
    this.db.prepare('INSERT INTO nicknames (machine_id, nickname) VALUES (?, ?) ON CONFLICT (machine_id) DO UPDATE SET nickname = excluded.nickname').run(machineId, nickname);
    return null;
  }

  creditOf(machineId: string, workerId: string): Credit {
    const machine = this.db.prepare('SELECT COALESCE(SUM(samples), 0) AS samples FROM credits WHERE machine_id = ?').get(machineId) as Row;
    const tab = this.db.prepare('SELECT COALESCE(SUM(samples), 0) AS samples FROM credits WHERE worker_id = ?').get(workerId) as Row;
    const nickname = this.nickname(machineId);
    return {
      machine: { name: this.machineName(machineId, nickname), nickname, verifiedSamples: Number(machine.samples) },
      tab: { name: this.tabName(workerId, machineId, nickname), verifiedSamples: Number(tab.samples) },
    };
  }

  /** The `limit` machines and tabs with the most verified samples, over all runs; only those that passed a proof. */
  leaderboard(limit: number): Leaderboard {
    const nicknames = new Map((this.db.prepare('SELECT machine_id, nickname FROM nicknames').all() as Row[]).map((r) => [r.machine_id as string, r.nickname as string]));
    const machines = this.db.prepare(`SELECT machine_id, SUM(samples) AS samples, SUM(passed) AS passed, COUNT(DISTINCT CASE WHEN passed > 0 THEN worker_id END) AS tabs
      FROM credits GROUP BY machine_id HAVING SUM(passed) > 0 ORDER BY samples DESC, machine_id LIMIT ?`).all(limit) as Row[];
    const tabs = this.db.prepare(`SELECT worker_id, machine_id, SUM(samples) AS samples, SUM(passed) AS passed
      FROM credits GROUP BY worker_id HAVING SUM(passed) > 0 ORDER BY samples DESC, worker_id LIMIT ?`).all(limit) as Row[];
    const machineName = (id: string) => this.machineName(id, nicknames.get(id) ?? null);
    return {
      machines: machines.map((r) => ({ name: machineName(r.machine_id as string), verifiedSamples: Number(r.samples), proofsPassed: Number(r.passed), tabs: Number(r.tabs) })),
      tabs: tabs.map((r) => ({
        name: this.tabName(r.worker_id as string, r.machine_id as string, nicknames.get(r.machine_id as string) ?? null),
        machine: machineName(r.machine_id as string), verifiedSamples: Number(r.samples), proofsPassed: Number(r.passed),
      })),
    };
  }

  /** Every tab's proofs in one run, for the dashboard. */
  runTallies(runId: number): ProofTally[] {
    return (this.db.prepare('SELECT * FROM credits WHERE run_id = ? ORDER BY samples DESC, worker_id').all(runId) as Row[]).map((r) => ({
      workerId: r.worker_id as string, machineId: r.machine_id as string,
      name: this.tabName(r.worker_id as string, r.machine_id as string, this.nickname(r.machine_id as string)),
      verifiedSamples: Number(r.samples), passed: Number(r.passed), failed: Number(r.failed), missed: Number(r.missed),
    }));
  }

  private nickname(machineId: string): string | null {
    return (this.db.prepare('SELECT nickname FROM nicknames WHERE machine_id = ?').get(machineId) as { nickname: string } | undefined)?.nickname ?? null;
  }

  private keyed(id: string): Buffer {
    return createHmac('sha256', this.salt).update(id).digest();
  }

  private machineName(machineId: string, nickname: string | null): string {
    if (nickname) return nickname;
    const h = this.keyed(machineId);
    return `${ADJECTIVES[h[0] % ADJECTIVES.length]}-${ANIMALS[h[1] % ANIMALS.length]}-${h.readUInt16BE(2).toString(16).padStart(4, '0')}`;
  }

  private tabName(workerId: string, machineId: string, nickname: string | null): string {
    return `${this.machineName(machineId, nickname)} / tab ${this.keyed(workerId).readUInt16BE(0).toString(16).padStart(4, '0')}`;
  }
}
