// Downloads a dataset's shards once per browser: each immutable shard is kept in the Cache API under its
// versioned URL, so a reload (or another tab of the same browser) reads it from disk.
import { decodeBlob, type DataSplit, type Dataset } from '../../shared/dataset.ts';
import type { DatasetManifest, DatasetShard } from '../../shared/protocol.ts';

const CACHE_NAME = 'flock-datasets-v1';

async function shardBytes(shard: DatasetShard, cache: Cache | null): Promise<Uint8Array> {
  const cached = await cache?.match(shard.url);
  if (cached) return new Uint8Array(await cached.arrayBuffer());
  const response = await fetch(shard.url);
  if (!response.ok) throw new Error(`downloading dataset shard ${shard.url} failed: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.clone().arrayBuffer());
  if (bytes.length !== shard.bytes) throw new Error(`dataset shard ${shard.url}: expected ${shard.bytes} bytes, got ${bytes.length}`);
  await cache?.put(shard.url, response);
  return bytes;
}

async function assemble(shards: DatasetShard[], split: 'train' | 'test', size: number, cache: Cache | null): Promise<DataSplit> {
  const count = shards.reduce((n, s) => n + s.count, 0);
  const pixels = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  for (const shard of shards) {
    const { parts } = decodeBlob(await shardBytes(shard, cache));
    for (const part of parts) {
      if (part.split !== split || part.start + part.data.count > count) throw new Error(`dataset shard ${shard.url} does not hold ${split} samples ${shard.start}..${shard.start + shard.count}`);
      pixels.set(part.data.pixels, part.start * size);
      labels.set(part.data.labels, part.start);
    }
  }
  return { count, pixels, labels };
}

export async function loadDataset(manifest: DatasetManifest): Promise<Dataset> {
  // The Cache API needs a secure context; without it every load downloads again.
  const cache = typeof caches === 'undefined' ? null : await caches.open(CACHE_NAME);
  const size = manifest.sampleShape.height * manifest.sampleShape.width * manifest.sampleShape.channels;
  const [train, test] = await Promise.all([assemble(manifest.train, 'train', size, cache), assemble(manifest.test, 'test', size, cache)]);
  return { name: manifest.name, sampleShape: manifest.sampleShape, classes: manifest.classes, train, test };
}
