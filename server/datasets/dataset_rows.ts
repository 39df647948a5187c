// The uploaded datasets' rows in the run store: name, format, when, and the statistics the list shows (computed
// once, at upload, so listing never loads a dataset). The samples themselves are files (server/datasets/uploaded.ts).
import type Database from 'better-sqlite3';
import type { UploadFormat } from '../../shared/dataset_upload.ts';
import type { StoredStats } from './stats.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS datasets (
  name TEXT PRIMARY KEY, format TEXT NOT NULL, created_at INTEGER NOT NULL, file TEXT NOT NULL, stats TEXT NOT NULL);
`;

export interface DatasetRow {
  name: string;
  format: UploadFormat;
  createdAt: number;
  /** The blob's file name in the datasets directory. */
  file: string;
  stats: StoredStats;
}

type Row = { name: string; format: string; created_at: number; file: string; stats: string };

const toRow = (r: Row): DatasetRow => ({ name: r.name, format: r.format as UploadFormat, createdAt: r.created_at, file: r.file, stats: JSON.parse(r.stats) });

export class DatasetRows {
  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  /** Throws when the name is taken (the primary key), so two uploads of one name cannot both land. */
  add(row: DatasetRow): void {
    this.db.prepare('INSERT INTO datasets (name, format, created_at, file, stats) VALUES (?, ?, ?, ?, ?)')
      .run(row.name, row.format, row.createdAt, row.file, JSON.stringify(row.stats));
  }

  list(): DatasetRow[] {
    return (this.db.prepare('SELECT * FROM datasets ORDER BY created_at, name').all() as Row[]).map(toRow);
  }

  remove(name: string): void {
    this.db.prepare('DELETE FROM datasets WHERE name = ?').run(name);
  }
}
