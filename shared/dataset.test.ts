import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concatSplits, decodeBlob, decodeDataset, encodeBlob, encodeDataset, makeSplit, sampleSize, sliceSplit, type Dataset } from './dataset.ts';
import { seededRandom } from './random.ts';

function randomDataset(name: string, height: number, width: number, channels: number, classes: number, trainCount: number, testCount: number): Dataset {
  const random = seededRandom(trainCount * 31 + testCount);
  const size = height * width * channels;
  const split = (count: number) =>
    makeSplit(
      Uint8Array.from({ length: count * size }, () => Math.floor(random() * 256)),
      Uint8Array.from({ length: count }, () => Math.floor(random() * classes)),
      size,
      classes,
    );
  return { name, sampleShape: { height, width, channels }, classes, kind: 'images', train: split(trainCount), test: split(testCount) };
}

test('sampleSize is height x width x channels', () => {
  assert.equal(sampleSize({ sampleShape: { height: 28, width: 28, channels: 1 } }), 784);
  assert.equal(sampleSize({ sampleShape: { height: 32, width: 30, channels: 3 } }), 2880);
});

test('encodeDataset/decodeDataset round-trip exactly, header plus raw bytes', () => {
  const cases = [
    randomDataset('mnist', 28, 28, 1, 10, 13, 7),
    randomDataset('tiny', 1, 1, 1, 1, 1, 0),
    randomDataset('cifar-ish ü', 5, 3, 3, 256, 33, 65),
  ];
  for (const d of cases) {
    const bytes = encodeDataset(d);
    const nameBytes = new TextEncoder().encode(d.name).length;
    assert.equal(bytes.length, 36 + 2 * 12 + nameBytes + (d.train.count + d.test.count) * (sampleSize(d) + 1));
    assert.deepEqual(decodeDataset(bytes), d);
  }
});

test('a shard blob carries one part with its start, as views on the source', () => {
  const d = randomDataset('mnist', 28, 28, 1, 10, 20, 5);
  const shard = sliceSplit(d.train, sampleSize(d), 8, 5);
  assert.deepEqual(Array.from(shard.labels), Array.from(d.train.labels.subarray(8, 13)));
  assert.equal(shard.pixels.buffer, d.train.pixels.buffer);
  const { train: _train, test: _test, ...info } = d;
  const blob = decodeBlob(encodeBlob({ info, parts: [{ split: 'train', start: 8, data: shard }] }));
  assert.deepEqual(blob, { info, parts: [{ split: 'train', start: 8, data: shard }] });
  assert.throws(() => decodeDataset(encodeBlob({ info, parts: [{ split: 'train', start: 8, data: shard }] })), /expected the whole train split, got 1 train part\(s\) starting at 8/);
  assert.throws(() => sliceSplit(d.train, sampleSize(d), 18, 5), /samples \[18, 23\) are outside the split's 20/);
});

test('makeSplit checks sizes and labels', () => {
  assert.deepEqual(makeSplit(new Uint8Array(6), new Uint8Array([1, 2]), 3), { count: 2, pixels: new Uint8Array(6), labels: new Uint8Array([1, 2]) });
  assert.throws(() => makeSplit(new Uint8Array(5), new Uint8Array(2), 3), /2 labels need 6 pixel bytes \(3 each\), got 5/);
  assert.throws(() => makeSplit(new Uint8Array(0), new Uint8Array(0), 0), /sample size must be a positive integer/);
  assert.throws(() => makeSplit(new Uint8Array(6), new Uint8Array([1, 10]), 3, 10), /label 10 at sample 1 is not below the 10 classes/);
});

test('encode refuses datasets it could not decode', () => {
  const d = randomDataset('mnist', 2, 2, 1, 10, 3, 2);
  assert.throws(() => encodeDataset({ ...d, classes: 300 }), /classes must be an integer in 1\.\.256/);
  assert.throws(() => encodeDataset({ ...d, classes: 1 }), /is not below the 1 classes/);
  assert.throws(() => encodeDataset({ ...d, sampleShape: { height: 2, width: 0, channels: 1 } }), /sample width must be a positive integer/);
  assert.throws(() => encodeDataset({ ...d, train: { ...d.train, count: 4 } }), /train count 4 but 3 labels/);
});

test('decode rejects corrupted blobs with clear errors', () => {
  const d = randomDataset('mnist', 4, 4, 1, 10, 6, 3);
  const good = encodeDataset(d);
  const headerBytes = 36 + 24 + 5;
  const corrupt = (at: number, value: number) => {
    const bytes = good.slice();
    bytes[at] = value;
    return bytes;
  };
  assert.throws(() => decodeDataset(good.subarray(0, 10)), /dataset blob: truncated header: 10 bytes/);
  assert.throws(() => decodeDataset(corrupt(0, 0x47)), /dataset blob: bad magic "GLKD", expected "FLKD"/);
  assert.throws(() => decodeDataset(corrupt(4, 3)), /version 3 is not supported \(this code reads versions 1 and 2\)/);
  assert.throws(() => decodeDataset(good.subarray(0, 34)), /truncated header: 34 bytes, need at least 36/);
  assert.throws(() => decodeDataset(good.subarray(0, 40)), /truncated header: 2 parts and a 5-byte name need 65 bytes/);
  assert.throws(() => decodeDataset(corrupt(32, 2)), /unknown kind id 2/);
  assert.throws(() => decodeDataset(good.subarray(0, good.length - 1)), /truncated: part 1 \(test, 3 samples of 16 bytes\)/);
  const extra = new Uint8Array(good.length + 2);
  extra.set(good);
  assert.throws(() => decodeDataset(extra), /2 bytes after the last part/);
  const trainLabel = headerBytes + 6 * 16 + 4;
  assert.throws(() => decodeDataset(corrupt(trainLabel, 10)), /train part 0: label 10 at sample 4 is not below the 10 classes/);
  assert.throws(() => decodeDataset(corrupt(8, 0)), /classes must be an integer in 1\.\.256, got 0/);
  assert.throws(() => decodeDataset(corrupt(36, 7)), /part 0: unknown split id 7/);
  assert.throws(() => decodeDataset(corrupt(36, 1)), /expected the whole train split, got 0 train part\(s\)/);
});

test('decoded arrays are views on the blob and survive a non-zero byteOffset', () => {
  const d = randomDataset('mnist', 3, 3, 2, 4, 5, 4);
  const bytes = encodeDataset(d);
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  const decoded = decodeDataset(shifted.subarray(1));
  assert.deepEqual(decoded, d);
  assert.equal(decoded.train.pixels.buffer, shifted.buffer);
});

test('a version 1 blob (no kind field) still decodes, as images', () => {
  const d = randomDataset('old', 2, 2, 1, 3, 4, 2);
  const v2 = encodeDataset(d);
  // version 1 is version 2 without the 4-byte kind after the part count
  const v1 = new Uint8Array(v2.length - 4);
  v1.set(v2.subarray(0, 32));
  v1.set(v2.subarray(36), 32);
  new DataView(v1.buffer).setUint32(4, 1, true);
  const { kind: _kind, ...withoutKind } = d;
  const decoded = decodeDataset(v1);
  assert.equal(decoded.kind, 'images');
  assert.deepEqual(decoded, { ...withoutKind, kind: 'images' });
});

test('a text dataset keeps its kind and its validation split through a blob', () => {
  const bytes = new TextEncoder().encode('hello, world');
  const split = (from: number, to: number) => ({ count: to - from - 1, pixels: bytes.slice(from, to - 1), labels: bytes.slice(from + 1, to) });
  const d: Dataset = {
    name: 'tiny-text', kind: 'text', sampleShape: { height: 1, width: 1, channels: 1 }, classes: 256,
    train: split(0, 8), test: split(8, 10), validation: split(10, 12),
  };
  const blob = encodeDataset(d);
  assert.equal(blob.length, 36 + 3 * 12 + 9 + (7 + 1 + 1) * 2);
  assert.deepEqual(decodeDataset(blob), d);
  assert.deepEqual(decodeBlob(blob).parts.map((p) => p.split), ['train', 'test', 'validation']);
  assert.throws(() => encodeDataset({ ...d, kind: 'audio' as 'text' }), /kind must be one of images, text, got audio/);
});

test('concatSplits puts splits one after the other', () => {
  const a = makeSplit(new Uint8Array([1, 2, 3, 4]), new Uint8Array([0, 1]), 2);
  const b = makeSplit(new Uint8Array([5, 6]), new Uint8Array([2]), 2);
  assert.deepEqual(concatSplits([a, b], 2), { count: 3, pixels: new Uint8Array([1, 2, 3, 4, 5, 6]), labels: new Uint8Array([0, 1, 2]) });
  assert.deepEqual(concatSplits([], 2), { count: 0, pixels: new Uint8Array(0), labels: new Uint8Array(0) });
});
