// Datasets as tabs download them: immutable binary shards with strong ETags, listed in a small JSON manifest.
import { createHash } from 'node:crypto';
import { encodeBlob, sampleSize, sliceSplit, type DataSplit, type Dataset, type SplitName } from '../shared/dataset.ts';
import type { DatasetManifest, DatasetShard } from '../shared/protocol.ts';

export interface DatasetSource {
  names: readonly string[];
  load(name: string): Promise<Dataset>;
}

/**
 * A dataset as the coordinator uses it: `train` is what tabs download; `validation` is held out of it (the last
 * samples of the loaded train split, never served), to measure leader copies; `test` only reports accuracy.
 */
export interface ServedDataset extends Dataset {
  validation: DataSplit;
}

interface Prepared {
  dataset: ServedDataset;
  manifest: DatasetManifest;
  shards: Map<string, { bytes: Uint8Array; etag: string }>;
}

export class DatasetService {
  private readonly prepared = new Map<string, Promise<Prepared>>();
  private readonly ready = new Map<string, Prepared>();

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

  async shard(name: string, split: SplitName, index: number): Promise<{ bytes: Uint8Array; etag: string } | null> {
    return (await this.prepare(name)).shards.get(`${split}/${index}`) ?? null;
  }

  private prepare(name: string): Promise<Prepared> {
    if (!this.has(name)) return Promise.reject(new Error(`unknown dataset ${JSON.stringify(name)}: use one of ${this.source.names.join(', ')}`));
    let p = this.prepared.get(name);
    if (!p) {
      p = this.source.load(name).then((dataset) => {
        const prepared = this.shardDataset(name, dataset);
        this.ready.set(name, prepared);
        return prepared;
      });
      p.catch(() => this.prepared.delete(name));
      this.prepared.set(name, p);
    }
    return p;
  }

  private shardDataset(name: string, loaded: Dataset): Prepared {
    const { train: all, test, ...info } = loaded;
    const size = sampleSize(info);
    const held = Math.min(this.validationSamples, Math.floor(all.count / 4));
    const train = sliceSplit(all, size, 0, all.count - held);
    const dataset: ServedDataset = { ...info, train, validation: sliceSplit(all, size, all.count - held, held), test };
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
    const manifest: DatasetManifest = { name: info.name, sampleShape: info.sampleShape, classes: info.classes, train: list('train'), test: list('test') };
    return { dataset, manifest, shards };
  }
}
