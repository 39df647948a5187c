import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATASET_NAME_PATTERN, fileProgress, formatFileList, parseFileList, uploadQuerySchema } from './dataset_upload.ts';

test('the files parameter lists each part and its bytes, and must fit the format', () => {
  const files = [{ part: 'train-batches' as const, bytes: 30730 }, { part: 'train-batches' as const, bytes: 3073 }, { part: 'test-batches' as const, bytes: 0 }];
  assert.equal(formatFileList(files), 'train-batches:30730,train-batches:3073,test-batches:0');
  assert.deepEqual(parseFileList(formatFileList(files), 'cifar10'), { files });
  assert.deepEqual(parseFileList('text:12', 'text'), { files: [{ part: 'text', bytes: 12 }] });
  const error = (list: string, format: Parameters<typeof parseFileList>[1]) => (parseFileList(list, format) as { error: string }).error;
  assert.match(error('text:12,text:5', 'text'), /text takes one file for text, got 2/);
  assert.match(error('train-images:1,train-labels:1,test-images:1', 'idx'), /idx needs a file for test-labels/);
  assert.match(error('train-batches:1', 'cifar100'), /cifar100 needs one or more files for test-batches/);
  assert.match(error('text:12', 'npy'), /npy takes the parts train-images, train-labels, test-images, test-labels, not text/);
  assert.match(error('text:-1', 'text'), /"text:-1" is not part:bytes/);
});

test('names are lowercase words that fit a URL and a file name', () => {
  for (const ok of ['a', 'my-data_2', '0abc', 'x'.repeat(64)]) assert.ok(DATASET_NAME_PATTERN.test(ok), ok);
  for (const bad of ['', '-a', 'A', 'a b', 'a/b', '..', 'é', 'x'.repeat(65)]) assert.ok(!DATASET_NAME_PATTERN.test(bad), bad);
  assert.equal(uploadQuerySchema.safeParse({ name: 'ok', format: 'idx', files: 'x', classes: '3' }).data?.classes, 3);
  assert.equal(uploadQuerySchema.safeParse({ name: 'ok', format: 'gif', files: 'x' }).success, false);
});

test('per-file progress follows the body, the files one after the other', () => {
  const files = [{ part: 'train-images' as const, bytes: 100 }, { part: 'train-labels' as const, bytes: 0 }, { part: 'test-images' as const, bytes: 50 }];
  assert.deepEqual(fileProgress(files, 0), [0, 0, 0]);
  assert.deepEqual(fileProgress(files, 50), [0.5, 0, 0]);
  assert.deepEqual(fileProgress(files, 100), [1, 1, 0]);
  assert.deepEqual(fileProgress(files, 125), [1, 1, 0.5]);
  assert.deepEqual(fileProgress(files, 150), [1, 1, 1]);
});
