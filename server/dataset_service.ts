// Datasets as tabs download them: immutable binary shards with strong ETags, listed in a small JSON manifest.
import { createHash } from 'node:crypto';
import { encodeBlob, kindOf, sampleSize, sliceSplit, type DataSplit, type Dataset, type SplitName } from '../shared/dataset.ts';
import type { DatasetManifest, DatasetShard } from '../shared/protocol.ts';
import { datasetStats, heldOutSamples, type StoredStats } from './datasets/stats.ts';

export interface DatasetSource {
  /** Read on every lookup, so a source may gain and lose datasets (uploads). */
  readonly names: readonly string[];
  load(name: string): Promise<Dataset>;
}

/**
 * A dataset as the coordinator uses it: `train` is what tabs download; `validation` is never served, and measures
 * leader copies: the dataset's own validation split (text) or else the last samples of the loaded train split;
 * `test` only reports accuracy.
 */
export interface ServedDataset extends Dataset {
  validation: DataSplit;
}

interface Prepared {
  dataset: ServedDataset;
  stats: StoredStats;
  manifest: DatasetManifest;
  shards: Map<string, { bytes: Uint8Array; etag: string }>;
}

export class DatasetService {
  private readonly prepared = new Map<string, Promise<Prepared>>();
  private readonly ready = new Map<string, Prepared>();
  /** Statistics of datasets listed but not prepared. */
  private readonly statsOnly = new Map<string, Promise<StoredStats>>();

  /** `validationSamples`: held out of each train split, at most a quarter of it. */
  constructor(private readonly source: DatasetSource, private readonly shardSamples: number, private readonly validationSamples: number) {}

  has(name: string): boolean {
    return this.source.names.includes(name);
  }

  get names(): readonly string[] {
    return this.source.names;
  }

  manifestUrl(name: string): string {
    return `/api/datasets/${encodeURIComponent(name)}`;
  }

  async dataset(name: string): Promise<ServedDataset> {
    return (await this.prepare(name)).dataset;
  }

  async manifest(name: string): Promise<DatasetManifest> {
    return (await this.prepare(name)).manifest;
  }

  /** The dataset once it has been loaded (activating a run loads it first), for code that cannot wait. */
  cachedDataset(name: string): ServedDataset | null {
    return this.ready.get(name)?.dataset ?? null;
  }

  /** The manifest once the dataset has been loaded (activating a run loads it first). */
  cachedManifest(name: string): DatasetManifest | null {
    return this.ready.get(name)?.manifest ?? null;
  }

  /** What the dataset list shows, computed from the loaded dataset as it was stored. Listing does not keep a
   *  dataset no run has used: it is read for its statistics, which alone stay. */
  stats(name: string): Promise<StoredStats> {
    const preparing = this.prepared.get(name);
    if (preparing) return preparing.then((p) => p.stats);
    return this.loadOnce(this.statsOnly, name, () => this.source.load(name).then(datasetStats));
  }

  async shard(name: string, split: SplitName, index: number): Promise<{ bytes: Uint8Array; etag: string } | null> {
    return (await this.prepare(name)).shards.get(`${split}/${index}`) ?? null;
  }

  /** Drops what was loaded of `name` (a deleted upload), so a later dataset of that name is loaded afresh. */
  forget(name: string): void {
    this.prepared.delete(name);
    this.ready.delete(name);
    this.statsOnly.delete(name);
  }

  private unknown(name: string): Error {
    return new Error(`unknown dataset ${JSON.stringify(name)}: use one of ${this.source.names.join(', ')}`);
  }

  private prepare(name: string): Promise<Prepared> {
    return this.loadOnce(this.prepared, name, (current) =>
      this.source.load(name).then((dataset) => {
        const prepared = this.shardDataset(name, dataset);
        // not when the name was forgotten meanwhile: it may name other data by now
        if (current()) this.ready.set(name, prepared);
        return prepared;
      }),
    );
  }

  /** What `cache` holds for `name`, else `start()`'s promise, kept there unless it fails. `current()` tells `start`'s
   *  continuation whether its promise is still the one kept (the name was not forgotten meanwhile). */
  private loadOnce<T>(cache: Map<string, Promise<T>>, name: string, start: (current: () => boolean) => Promise<T>): Promise<T> {
    if (!this.has(name)) return Promise.reject(this.unknown(name));
    const kept = cache.get(name);
    if (kept) return kept;
    const loading = start(() => cache.get(name) === loading);
    loading.catch(() => {
      if (cache.get(name) === loading) cache.delete(name);
    });
    cache.set(name, loading);
    return loading;
  }

  private shardDataset(name: string, loaded: Dataset): Prepared {
    const { train: all, test, validation: own, ...info } = loaded;
    const size = sampleSize(info);
    const held = own ? 0 : heldOutSamples(all.count, this.validationSamples);
    const train = sliceSplit(all, size, 0, all.count - held);
    const dataset: ServedDataset = { ...info, train, validation: own ?? sliceSplit(all, size, all.count - held, held), test };
    const shards = new Map<string, { bytes: Uint8Array; etag: string }>();
    const list = (split: SplitName): DatasetShard[] => {
      const data = split === 'train' ? train : test;
      const out: DatasetShard[] = [];
      for (let start = 0, i = 0; start < data.count; start += this.shardSamples, i++) {
        const count = Math.min(this.shardSamples, data.count - start);
        const bytes = encodeBlob({ info, parts: [{ split, start, data: sliceSplit(data, size, start, count) }] });
        const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
        shards.set(`${split}/${i}`, { bytes, etag });
        out.push({ url: `${this.manifestUrl(name)}/${split}/${i}.bin?v=${etag.slice(1, 17)}`, start, count, bytes: bytes.length, etag });
      }
      return out;
    };
    const manifest: DatasetManifest = { name: info.name, kind: kindOf(info), sampleShape: info.sampleShape, classes: info.classes, train: list('train'), test: list('test') };
    return { dataset, stats: datasetStats(loaded), manifest, shards };
  }
}
