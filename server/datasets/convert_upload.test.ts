import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { cifarBatch, cifarPixel, idxFile, npyFile, pairedFiles, tinyImages } from '../../shared/dataset_fixtures.ts';
import type { UploadFormat, UploadPart } from '../../shared/dataset_upload.ts';
import { convertUpload, type ReceivedFile } from './convert_upload.ts';
import { UploadIssue } from './upload_issue.ts';

const dir = mkdtempSync(join(tmpdir(), 'flock-convert-'));
after(() => rmSync(dir, { recursive: true }));
let written = 0;

/** Writes the files and converts them. */
function convert(format: UploadFormat, files: Partial<Record<UploadPart, Uint8Array[]>>, classes?: number, maxInflatedBytes = 1 << 20) {
  const received: ReceivedFile[] = Object.entries(files).flatMap(([part, list]) => list.map((bytes) => {
    const path = join(dir, `${written++}`);
    writeFileSync(path, bytes);
    return { part: part as UploadPart, path };
  }));
  return convertUpload({ name: 'up', format, classes, files: received, maxInflatedBytes });
}

/** Expects an UploadIssue on `field` whose message matches `message`. */
async function refused(p: Promise<unknown>, field: string, message: RegExp) {
  await assert.rejects(p, (err: Error) => {
    assert.ok(err instanceof UploadIssue, `an UploadIssue, got ${err.stack}`);
    assert.equal(err.field, field, err.message);
    assert.match(err.message, message);
    return true;
  });
}

test('IDX and npy: 4x4 images of 2 classes, classes inferred or given', async () => {
  for (const format of ['idx', 'npy'] as const) {
    const d = await convert(format, pairedFiles(format));
    assert.equal(d.kind, 'images');
    assert.deepEqual(d.sampleShape, { height: 4, width: 4, channels: 1 });
    assert.equal(d.classes, 2);
    assert.deepEqual([d.train.count, d.test.count], [6, 4]);
    assert.deepEqual(d.train.pixels, tinyImages(6).pixels);
    assert.deepEqual(d.test.labels, tinyImages(4).labels);
    assert.equal(d.validation, undefined);
    assert.equal((await convert(format, pairedFiles(format), 5)).classes, 5);
  }
  // channels last: (n, h, w, c)
  const color = await convert('npy', { ...pairedFiles('npy'), 'train-images': [npyFile('|u1', [6, 2, 2, 4], tinyImages(6).pixels)], 'test-images': [npyFile('|u1', [4, 2, 2, 4], tinyImages(4).pixels)] });
  assert.deepEqual(color.sampleShape, { height: 2, width: 2, channels: 4 });
});

test('IDX files may be gzipped, up to the inflate limit', async () => {
  const files = pairedFiles('idx');
  const zipped = Object.fromEntries(Object.entries(files).map(([part, list]) => [part, list.map((f) => gzipSync(f))]));
  assert.deepEqual(await convert('idx', zipped), await convert('idx', files));
  await refused(convert('idx', { ...files, 'train-images': [gzipSync(new Uint8Array(5000))] }, undefined, 4000), 'train-images', /inflate to more than 4000 bytes/);
  await refused(convert('idx', { ...files, 'train-labels': [Uint8Array.from([0x1f, 0x8b, 1, 2, 3])] }), 'train-labels', /looks gzipped .* but does not inflate/);
});

test('CIFAR-10 and CIFAR-100: batches per split become 32x32x3 NHWC images', async () => {
  const d = await convert('cifar10', { 'train-batches': [cifarBatch([0, 1, 2]), cifarBatch([3, 4])], 'test-batches': [cifarBatch([9, 8, 7, 6, 5])] });
  assert.deepEqual(d.sampleShape, { height: 32, width: 32, channels: 3 });
  assert.equal(d.classes, 10);
  assert.deepEqual(Array.from(d.train.labels), [0, 1, 2, 3, 4]);
  // the second batch's first record follows the first batch's three
  assert.equal(d.train.pixels[3 * 3072 + 5 * 3 + 1], cifarPixel(3, 0, 1, 5));
  const hundred = await convert('cifar100', { 'train-batches': [cifarBatch([99], [19])], 'test-batches': [cifarBatch([0], [0])] });
  assert.equal(hundred.classes, 100);
  await refused(convert('cifar10', { 'train-batches': [cifarBatch([0])], 'test-batches': [cifarBatch([0])] }, 12), 'classes', /cifar10 has 10 classes, not 12/);
  await refused(convert('cifar10', { 'train-batches': [cifarBatch([0]), cifarBatch([1]).subarray(1)], 'test-batches': [cifarBatch([0])] }), 'train-batches', /file 2 of 2: CIFAR-10 batch: 3072 bytes is not a whole number/);
  await refused(convert('cifar10', { 'train-batches': [cifarBatch([0])], 'test-batches': [new Uint8Array(0)] }), 'test-batches', /the test split is empty/);
});

test('text: checked as UTF-8, split 90/5/5 with a validation split of its own', async () => {
  const text = new TextEncoder().encode('To be, or not to be, that is the question. '.repeat(8));
  const d = await convert('text', { text: [text] });
  assert.equal(d.kind, 'text');
  assert.deepEqual([d.train.count, d.test.count, d.validation!.count], [308, 16, 17]);
  assert.deepEqual(await convert('text', { text: [gzipSync(text)] }), d);
  await refused(convert('text', { text: [Uint8Array.from([...text.subarray(0, 50), 0xe2, 0x28, 0xa1, ...text.subarray(50)])] }), 'text', /invalid UTF-8 at byte 50/);
  await refused(convert('text', { text: [text.subarray(0, 20)] }), 'text', /20 bytes are too few/);
  await refused(convert('text', { text: [text] }, 10), 'classes', /text has 256 classes/);
});

test('each check names the part to fix', async () => {
  const good = pairedFiles('idx');
  const with_ = (part: UploadPart, bytes: Uint8Array) => ({ ...good, [part]: [bytes] });
  await refused(convert('idx', with_('train-images', Uint8Array.from([1, 2, 8, 3]))), 'train-images', /IDX: bad magic 0x01 0x02/);
  await refused(convert('idx', with_('test-labels', idxFile([4], [0, 1, 0, 1]).subarray(0, 10))), 'test-labels', /IDX: truncated data/);
  await refused(convert('idx', with_('train-labels', idxFile([5], [0, 1, 0, 1, 0]))), 'train-labels', /5 labels, but train-images has 6 images/);
  await refused(convert('idx', with_('test-images', idxFile([4, 5, 4], new Uint8Array(80)))), 'test-images', /test images are 5x4x1 .*, train images 4x4x1: they must agree/);
  await refused(convert('idx', with_('train-images', idxFile([0, 4, 4], []))), 'train-images', /the train split is empty/);
  await refused(convert('idx', with_('train-images', idxFile([6, 16], new Uint8Array(96)))), 'train-images', /shape \(n, height, width\) or \(n, height, width, channels\), got \(6, 16\)/);
  await refused(convert('idx', with_('train-images', idxFile([6, 4, 4], new Array(96).fill(0), 0x0c))), 'train-images', /unsigned bytes/);
  await refused(convert('idx', with_('train-labels', idxFile([6, 1], [0, 1, 0, 1, 0, 1]))), 'train-labels', /labels must have shape \(n,\)/);
  await refused(convert('idx', good, 1), 'train-labels', /label 1 at sample 1 is not below the 1 classes/);
  await refused(convert('npy', { ...pairedFiles('npy'), 'test-labels': [npyFile('<i4', [4], [0, 1, -1, 0])] }), 'test-labels', /label -1 at sample 2 is not a whole number from 0/);
  await refused(convert('npy', { ...pairedFiles('npy'), 'test-labels': [npyFile('<i8', [4], [0, 1, 300, 0])] }), 'test-labels', /label 300 at sample 2 is not below the 256 classes/);
  await refused(convert('npy', { ...pairedFiles('npy'), 'train-images': [npyFile('<i4', [6, 4, 4], new Array(96).fill(0))] }), 'train-images', /npy images must be uint8, got int32/);
  await refused(convert('npy', { ...pairedFiles('npy'), 'test-images': [npyFile('|u1', [4, 4, 4], new Uint8Array(64), { fortran: true })] }), 'test-images', /Fortran order/);
});
