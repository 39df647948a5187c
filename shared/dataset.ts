// Image classification data in memory, and the compact binary blob the coordinator serves to tabs:
// uint8 pixels and uint8 labels, so a 60k-image split is its raw bytes plus a small header.
import { shapeSize, type TensorShape } from './model.ts';

/** `count` samples; pixels hold count*sampleSize bytes, each sample row-major in NHWC order. */
export interface DataSplit {
  count: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

export interface DatasetInfo {
  name: string;
  sampleShape: TensorShape;
  classes: number;
}

export interface Dataset extends DatasetInfo {
  train: DataSplit;
  test: DataSplit;
}

export type SplitName = 'train' | 'test';

/**
 * One piece of a blob: samples [start, start + data.count) of a split. A whole dataset is a train
 * part and a test part, both starting at 0; a shard is one part starting wherever it starts.
 */
export interface BlobPart {
  split: SplitName;
  start: number;
  data: DataSplit;
}

export interface DatasetBlob {
  info: DatasetInfo;
  parts: BlobPart[];
}

export function sampleSize(d: Pick<DatasetInfo, 'sampleShape'>): number {
  return shapeSize(d.sampleShape);
}

function checkLabels(labels: Uint8Array, classes: number, where: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) throw new Error(`${where}: label ${labels[i]} at sample ${i} is not below the ${classes} classes`);
  }
}

/** A split from flat arrays, checking that the sizes agree (and labels, when `classes` is given). */
export function makeSplit(pixels: Uint8Array, labels: Uint8Array, sampleSize: number, classes?: number): DataSplit {
  if (!Number.isInteger(sampleSize) || sampleSize < 1) throw new Error(`makeSplit: sample size must be a positive integer, got ${sampleSize}`);
  if (pixels.length !== labels.length * sampleSize) {
    throw new Error(`makeSplit: ${labels.length} labels need ${labels.length * sampleSize} pixel bytes (${sampleSize} each), got ${pixels.length}`);
  }
  if (classes !== undefined) checkLabels(labels, classes, 'makeSplit');
  return { count: labels.length, pixels, labels };
}

/** Samples [start, start + count) as views on the split's arrays (no copy): what a shard carries. */
export function sliceSplit(split: DataSplit, size: number, start: number, count: number): DataSplit {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > split.count) {
    throw new Error(`sliceSplit: samples [${start}, ${start + count}) are outside the split's ${split.count}`);
  }
  return {
    count,
    pixels: split.pixels.subarray(start * size, (start + count) * size),
    labels: split.labels.subarray(start, start + count),
  };
}

// Layout, all integers u32 little-endian:
//   "FLKD" | version | classes | height | width | channels | name bytes | part count
//   | per part: split (0 train, 1 test), start, count | name (UTF-8)
//   | per part, in order: pixels, then labels
const MAGIC = 'FLKD';
const VERSION = 1;
const FIXED_HEADER_BYTES = 32;
const PART_HEADER_BYTES = 12;
const SPLIT_IDS: readonly SplitName[] = ['train', 'test'];
const MAX_NAME_BYTES = 256;

function checkInfo(info: DatasetInfo, where: string): void {
  const { height, width, channels } = info.sampleShape;
  for (const [key, v] of Object.entries({ height, width, channels })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: sample ${key} must be a positive integer, got ${v}`);
  }
  // labels are bytes
  if (!Number.isInteger(info.classes) || info.classes < 1 || info.classes > 256) {
    throw new Error(`${where}: classes must be an integer in 1..256, got ${info.classes}`);
  }
}

export function encodeBlob(blob: DatasetBlob): Uint8Array {
  const { info, parts } = blob;
  checkInfo(info, `encode ${info.name}`);
  const size = sampleSize(info);
  const name = new TextEncoder().encode(info.name);
  if (name.length > MAX_NAME_BYTES) throw new Error(`encode: dataset name is ${name.length} bytes, at most ${MAX_NAME_BYTES}`);
  for (const p of parts) {
    makeSplit(p.data.pixels, p.data.labels, size, info.classes);
    if (p.data.count !== p.data.labels.length) throw new Error(`encode ${info.name}: ${p.split} count ${p.data.count} but ${p.data.labels.length} labels`);
    if (!Number.isInteger(p.start) || p.start < 0 || p.start + p.data.count > 2 ** 32) throw new Error(`encode ${info.name}: ${p.split} part start ${p.start} is out of range`);
  }
  const headerBytes = FIXED_HEADER_BYTES + PART_HEADER_BYTES * parts.length + name.length;
  const total = parts.reduce((sum, p) => sum + p.data.count * (size + 1), headerBytes);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  [VERSION, info.classes, info.sampleShape.height, info.sampleShape.width, info.sampleShape.channels, name.length, parts.length]
    .forEach((v, i) => view.setUint32(4 + 4 * i, v, true));
  parts.forEach((p, i) => {
    const at = FIXED_HEADER_BYTES + PART_HEADER_BYTES * i;
    view.setUint32(at, SPLIT_IDS.indexOf(p.split), true);
    view.setUint32(at + 4, p.start, true);
    view.setUint32(at + 8, p.data.count, true);
  });
  out.set(name, headerBytes - name.length);
  let at = headerBytes;
  for (const p of parts) {
    out.set(p.data.pixels, at);
    at += p.data.pixels.length;
    out.set(p.data.labels, at);
    at += p.data.labels.length;
  }
  return out;
}

/** Decodes and validates a blob. Pixels and labels are views on `bytes` (no copy). */
export function decodeBlob(bytes: Uint8Array): DatasetBlob {
  const fail = (why: string): never => {
    throw new Error(`dataset blob: ${why}`);
  };
  if (bytes.length < FIXED_HEADER_BYTES) fail(`truncated header: ${bytes.length} bytes, need at least ${FIXED_HEADER_BYTES}`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MAGIC) fail(`bad magic ${JSON.stringify(magic)}, expected "${MAGIC}" (not a Flock dataset)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const [version, classes, height, width, channels, nameBytes, partCount] = Array.from({ length: 7 }, (_, i) => view.getUint32(4 + 4 * i, true));
  if (version !== VERSION) fail(`version ${version} is not supported (this code reads version ${VERSION})`);
  if (nameBytes > MAX_NAME_BYTES) fail(`name of ${nameBytes} bytes, at most ${MAX_NAME_BYTES}`);
  const headerBytes = FIXED_HEADER_BYTES + PART_HEADER_BYTES * partCount + nameBytes;
  if (bytes.length < headerBytes) fail(`truncated header: ${partCount} parts and a ${nameBytes}-byte name need ${headerBytes} bytes, got ${bytes.length}`);
  const info: DatasetInfo = {
    name: new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(headerBytes - nameBytes, headerBytes)),
    sampleShape: { height, width, channels },
    classes,
  };
  try {
    checkInfo(info, info.name);
  } catch (err) {
    fail((err as Error).message);
  }
  const size = sampleSize(info);
  const parts: BlobPart[] = [];
  let at = headerBytes;
  for (let i = 0; i < partCount; i++) {
    const entry = FIXED_HEADER_BYTES + PART_HEADER_BYTES * i;
    const split = SPLIT_IDS[view.getUint32(entry, true)] ?? fail(`part ${i}: unknown split id ${view.getUint32(entry, true)}`);
    const start = view.getUint32(entry + 4, true);
    const count = view.getUint32(entry + 8, true);
    const end = at + count * (size + 1);
    if (end > bytes.length) fail(`truncated: part ${i} (${split}, ${count} samples of ${size} bytes) ends at byte ${end}, blob has ${bytes.length}`);
    const labels = bytes.subarray(at + count * size, end);
    try {
      checkLabels(labels, classes, `${split} part ${i}`);
    } catch (err) {
      fail((err as Error).message);
    }
    parts.push({ split, start, data: { count, pixels: bytes.subarray(at, at + count * size), labels } });
    at = end;
  }
  if (at !== bytes.length) fail(`${bytes.length - at} bytes after the last part`);
  return { info, parts };
}

export function encodeDataset(d: Dataset): Uint8Array {
  const { train, test, ...info } = d;
  return encodeBlob({
    info,
    parts: [
      { split: 'train', start: 0, data: train },
      { split: 'test', start: 0, data: test },
    ],
  });
}

/** Decodes a blob holding a whole dataset: one train and one test part, each from sample 0. */
export function decodeDataset(bytes: Uint8Array): Dataset {
  const { info, parts } = decodeBlob(bytes);
  const whole = (split: SplitName): DataSplit => {
    const matching = parts.filter((p) => p.split === split);
    if (matching.length !== 1 || matching[0].start !== 0) {
      throw new Error(`dataset blob ${info.name}: expected the whole ${split} split, got ${matching.length} ${split} part(s)${matching.length === 1 ? ` starting at ${matching[0].start}` : ''}`);
    }
    return matching[0].data;
  };
  return { ...info, train: whole('train'), test: whole('test') };
}
