import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cifarClasses, cifarRecordBytes, parseCifarBatch } from './cifar.ts';
import { cifarBatch, cifarPixel } from './dataset_fixtures.ts';

test('CIFAR-10: a batch of 5 records becomes 5 NHWC 32x32x3 samples with their labels', () => {
  const labels = [3, 0, 9, 1, 3];
  const split = parseCifarBatch(cifarBatch(labels), 'cifar10');
  assert.equal(split.count, 5);
  assert.deepEqual(Array.from(split.labels), labels);
  assert.equal(split.pixels.length, 5 * 3072);
  // NHWC: sample r, row y, column x, channel c is at ((r * 32 + y) * 32 + x) * 3 + c; the record holds it at c * 1024 + y * 32 + x
  for (const [r, y, x, c] of [[0, 0, 0, 0], [0, 0, 0, 2], [2, 5, 7, 1], [4, 31, 31, 2], [3, 31, 0, 0]]) {
    assert.equal(split.pixels[((r * 32 + y) * 32 + x) * 3 + c], cifarPixel(labels[r], r, c, y * 32 + x), `sample ${r} (${y}, ${x}) channel ${c}`);
  }
  assert.equal(cifarRecordBytes('cifar10'), 3073);
  assert.equal(cifarClasses('cifar10'), 10);
});

test('CIFAR-100: the fine label is the class, out of 100', () => {
  const split = parseCifarBatch(cifarBatch([99, 42], [19, 3]), 'cifar100');
  assert.deepEqual(Array.from(split.labels), [99, 42]);
  assert.equal(split.pixels[3 * 1023 + 2], cifarPixel(99, 0, 2, 1023));
  assert.equal(cifarRecordBytes('cifar100'), 3074);
  assert.equal(cifarClasses('cifar100'), 100);
});

test('CIFAR: a partial record or a label out of range is refused, naming the record', () => {
  const batch = cifarBatch([1, 2, 3]);
  assert.throws(() => parseCifarBatch(batch.subarray(0, batch.length - 10), 'cifar10'), /CIFAR-10 batch: 9209 bytes is not a whole number of 3073-byte records \(2 records and 3063 bytes\)/);
  assert.throws(() => parseCifarBatch(cifarBatch([1, 10]), 'cifar10'), /label 10 of record 1 is not below the 10 classes/);
  assert.throws(() => parseCifarBatch(cifarBatch([1, 100], [0, 0]), 'cifar100'), /label 100 of record 1 is not below the 100 classes/);
  assert.throws(() => parseCifarBatch(cifarBatch([1], [20]), 'cifar100'), /coarse label 20 of record 0 is not below 20/);
  // a CIFAR-10 batch read as CIFAR-100 does not divide into records
  assert.throws(() => parseCifarBatch(cifarBatch([1, 2]), 'cifar100'), /not a whole number of 3074-byte records/);
  assert.deepEqual(parseCifarBatch(new Uint8Array(0), 'cifar10').count, 0);
});
