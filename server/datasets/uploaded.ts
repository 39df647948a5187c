// Datasets operators uploaded: each a dataset blob (shared/dataset.ts, the same format tabs download) in
// DATA_DIR/datasets, and a row in the store. A blob is written under a temporary name and renamed once complete,
// and its row is added after: a crash or a failed upload leaves at most files that the next start removes.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeDataset, encodeDataset, type Dataset } from '../../shared/dataset.ts';
import type { UploadFormat } from '../../shared/dataset_upload.ts';
import type { DatasetSource } from '../dataset_service.ts';
import type { DatasetRow, DatasetRows } from './dataset_rows.ts';
import { datasetStats } from './stats.ts';

const BLOB_SUFFIX = '.flkd';

export class UploadedDatasets {
  /** The rows, read once: every shard request asks which datasets exist. */
  private readonly byName: Map<string, DatasetRow>;

  /** `dir`: where the blobs live (created if missing); anything in it without a row is a leftover and removed. */
  constructor(private readonly rows: DatasetRows, readonly dir: string) {
    this.byName = new Map(rows.list().map((r) => [r.name, r]));
    mkdirSync(dir, { recursive: true });
    const kept = new Set([...this.byName.values()].map((r) => r.file));
    for (const entry of readdirSync(dir)) if (!kept.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** Oldest first. */
  list(): DatasetRow[] {
    return [...this.byName.values()];
  }

  row(name: string): DatasetRow | null {
    return this.byName.get(name) ?? null;
  }

  async load(name: string): Promise<Dataset> {
    const row = this.row(name);
    if (!row) throw new Error(`unknown uploaded dataset ${JSON.stringify(name)}`);
    const path = join(this.dir, row.file);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      throw new Error(`uploaded dataset ${name}: its file ${path} cannot be read (${(err as Error).message}): delete the dataset and upload it again`);
    }
    // plain Uint8Array views, as the built-in loaders give
    return decodeDataset(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  }

  /** A fresh directory for an upload's files on their way in; the caller removes it. */
  incoming(): Promise<string> {
    return mkdtemp(join(this.dir, 'incoming-'));
  }

  /** Stores `dataset` (the blob, then its row) and returns its row. */
  async add(dataset: Dataset, format: UploadFormat, now: number): Promise<DatasetRow> {
    // a random part, so a name deleted and uploaded again never meets its old file
    const file = `${dataset.name}-${randomBytes(4).toString('hex')}${BLOB_SUFFIX}`;
    const path = join(this.dir, file);
    const temporary = join(this.dir, `${file}.partial`);
    const row: DatasetRow = { name: dataset.name, format, createdAt: now, file, stats: datasetStats(dataset) };
    try {
      const handle = await open(temporary, 'wx');
      try {
        await handle.writeFile(encodeDataset(dataset));
        // on disk before the rename makes it count
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
      this.rows.add(row);
      this.byName.set(row.name, row);
    } catch (err) {
      await rm(temporary, { force: true });
      await rm(path, { force: true });
      throw err;
    }
    return row;
  }

  /** Removes the row, then the file (a file without its row is removed at the next start anyway). */
  async remove(name: string): Promise<void> {
    const row = this.row(name);
    if (!row) return;
    this.rows.remove(name);
    this.byName.delete(name);
    await rm(join(this.dir, row.file), { force: true });
  }
}

/** The built-in datasets, then the uploaded ones. */
export function withUploads(builtIn: DatasetSource, uploads: UploadedDatasets): DatasetSource {
  return {
    get names() {
      return [...builtIn.names, ...uploads.names];
    },
    load: (name) => (builtIn.names.includes(name) ? builtIn.load(name) : uploads.load(name)),
  };
}
