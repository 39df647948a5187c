// Classification data in memory, and the compact binary blob the coordinator serves to tabs and keeps uploads in:
// uint8 pixels and uint8 labels, so a 60k-image split is its raw bytes plus a small header. Text is the same thing
// (shared/text_dataset.ts): each byte a 1x1x1 sample whose label is the byte after it.
import { shapeSize, type TensorShape } from './model.ts';

/** `count` samples; pixels hold count*sampleSize bytes, each sample row-major in NHWC order. */
export interface DataSplit {
  count: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** In this order in the blob format's kind field. */
export const DATASET_KINDS = ['images', 'text'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

export interface DatasetInfo {
  name: string;
  sampleShape: TensorShape;
  classes: number;
  /** 'images' when absent. */
  kind?: DatasetKind;
}

export interface Dataset extends DatasetInfo {
  train: DataSplit;
  test: DataSplit;
  /** A held-out split of the dataset's own (text: its 5% block); when absent, the server holds out the end of train. */
  validation?: DataSplit;
}

/** The splits tabs download. */
export type SplitName = 'train' | 'test';
/** The splits a blob may hold: a stored dataset may carry its validation split, which is never served. */
export type BlobSplit = SplitName | 'validation';

export function kindOf(info: Pick<DatasetInfo, 'kind'>): DatasetKind {
  return info.kind ?? 'images';
}

/**
 * One piece of a blob: samples [start, start + data.count) of a split. A whole dataset is a train
 * part and a test part, both starting at 0; a shard is one part starting wherever it starts.
 */
export interface BlobPart {
  split: BlobSplit;
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
//   "FLKD" | version | classes | height | width | channels | name bytes | part count | kind (0 images, 1 text)
//   | per part: split (0 train, 1 test, 2 validation), start, count | name (UTF-8)
//   | per part, in order: pixels, then labels
// Version 1 had no kind field (its header is 4 bytes shorter) and is read as images.
const MAGIC = 'FLKD';
const VERSION = 2;
const V1_HEADER_BYTES = 32;
const FIXED_HEADER_BYTES = 36;
const PART_HEADER_BYTES = 12;
const SPLIT_IDS: readonly BlobSplit[] = ['train', 'test', 'validation'];
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
  if (!DATASET_KINDS.includes(kindOf(info))) throw new Error(`${where}: kind must be one of ${DATASET_KINDS.join(', ')}, got ${info.kind}`);
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
  [VERSION, info.classes, info.sampleShape.height, info.sampleShape.width, info.sampleShape.channels, name.length, parts.length, DATASET_KINDS.indexOf(kindOf(info))]
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
  if (bytes.length < V1_HEADER_BYTES) fail(`truncated header: ${bytes.length} bytes, need at least ${V1_HEADER_BYTES}`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MAGIC) fail(`bad magic ${JSON.stringify(magic)}, expected "${MAGIC}" (not a Flock dataset)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const [version, classes, height, width, channels, nameBytes, partCount] = Array.from({ length: 7 }, (_, i) => view.getUint32(4 + 4 * i, true));
  if (version !== 1 && version !== VERSION) fail(`version ${version} is not supported (this code reads versions 1 and ${VERSION})`);
  const fixedBytes = version === 1 ? V1_HEADER_BYTES : FIXED_HEADER_BYTES;
  if (bytes.length < fixedBytes) fail(`truncated header: ${bytes.length} bytes, need at least ${fixedBytes}`);
  const kind = version === 1 ? 'images' : (DATASET_KINDS[view.getUint32(V1_HEADER_BYTES, true)] ?? fail(`unknown kind id ${view.getUint32(V1_HEADER_BYTES, true)}`));
  if (nameBytes > MAX_NAME_BYTES) fail(`name of ${nameBytes} bytes, at most ${MAX_NAME_BYTES}`);
  const headerBytes = fixedBytes + PART_HEADER_BYTES * partCount + nameBytes;
  if (bytes.length < headerBytes) fail(`truncated header: ${partCount} parts and a ${nameBytes}-byte name need ${headerBytes} bytes, got ${bytes.length}`);
  const info: DatasetInfo = {
    name: new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(headerBytes - nameBytes, headerBytes)),
    sampleShape: { height, width, channels },
    classes,
    kind,
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
    const entry = fixedBytes + PART_HEADER_BYTES * i;
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
  const { train, test, validation, ...info } = d;
  const parts: BlobPart[] = [
    { split: 'train', start: 0, data: train },
    { split: 'test', start: 0, data: test },
  ];
  if (validation) parts.push({ split: 'validation', start: 0, data: validation });
  return encodeBlob({ info, parts });
}

/** Decodes a blob holding a whole dataset: one train and one test part, each from sample 0, and at most one whole
 *  validation part. */
export function decodeDataset(bytes: Uint8Array): Dataset {
  const { info, parts } = decodeBlob(bytes);
  const whole = (split: BlobSplit): DataSplit => {
    const matching = parts.filter((p) => p.split === split);
    if (matching.length !== 1 || matching[0].start !== 0) {
      throw new Error(`dataset blob ${info.name}: expected the whole ${split} split, got ${matching.length} ${split} part(s)${matching.length === 1 ? ` starting at ${matching[0].start}` : ''}`);
    }
    return matching[0].data;
  };
  const hasValidation = parts.some((p) => p.split === 'validation');
  return { ...info, train: whole('train'), test: whole('test'), ...(hasValidation ? { validation: whole('validation') } : {}) };
}

/** The splits one after the other (CIFAR's batch files), as one split. */
export function concatSplits(splits: readonly DataSplit[], size: number): DataSplit {
  const count = splits.reduce((n, s) => n + s.count, 0);
  const pixels = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const s of splits) {
    pixels.set(s.pixels, at * size);
    labels.set(s.labels, at);
    at += s.count;
  }
  return { count, pixels, labels };
}
