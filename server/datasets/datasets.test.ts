import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeDataset, encodeDataset, sampleSize, type DataSplit, type Dataset } from '../../shared/dataset.ts';
import { DATASET_NAMES, isDatasetName, loadDataset } from './catalog.ts';
import { loadFashionMnist } from './fashion_mnist.ts';
import { loadMnist } from './mnist.ts';

function classCounts(split: DataSplit, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of split.labels) counts[label]++;
  return counts;
}

function assertWellFormed(d: Dataset, trainCount: number, testCount: number) {
  assert.deepEqual(d.sampleShape, { height: 28, width: 28, channels: 1 });
  assert.equal(d.classes, 10);
  for (const [split, count] of [[d.train, trainCount], [d.test, testCount]] as const) {
    assert.equal(split.count, count);
    assert.equal(split.labels.length, count);
    assert.equal(split.pixels.length, count * sampleSize(d));
    // every class present, none dominating: a split taken from class-sorted data would fail this
    for (const n of classCounts(split, d.classes)) assert.ok(n > count / 20 && n < count / 5, `class counts ${classCounts(split, d.classes)}`);
    // real images: mostly black background, some saturated strokes
    const max = split.pixels.reduce((m, v) => Math.max(m, v), 0);
    const zeros = split.pixels.reduce((z, v) => z + (v === 0 ? 1 : 0), 0);
    assert.equal(max, 255);
    assert.ok(zeros > split.pixels.length * 0.3 && zeros < split.pixels.length * 0.9, `zero fraction ${zeros / split.pixels.length}`);
  }
}

test('MNIST loads 8,000 train and 2,000 test digits as bytes, identically every time', async () => {
  const first = await loadMnist();
  assert.equal(first.name, 'mnist');
  assertWellFormed(first, 8000, 2000);
  assert.deepEqual(await loadMnist(), first);
  // pins the canonical order, so a change to it (which would move samples between splits) is noticed
  assert.deepEqual(Array.from(first.train.labels.subarray(0, 12)), [8, 2, 9, 8, 8, 3, 3, 9, 1, 0, 8, 0]);
  assert.deepEqual(Array.from(first.test.labels.subarray(-8)), [0, 8, 2, 4, 1, 6, 0, 3]);
});

test('Fashion-MNIST loads 60,000 train and 10,000 test images from the Debian package', async () => {
  const d = await loadFashionMnist();
  assert.equal(d.name, 'fashion-mnist');
  assertWellFormed(d, 60000, 10000);
  // the published files are balanced: 6,000 and 1,000 per class
  assert.deepEqual(classCounts(d.train, 10), new Array(10).fill(6000));
  assert.deepEqual(classCounts(d.test, 10), new Array(10).fill(1000));
});

test('Fashion-MNIST in a directory without the files names the package to install', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flock-no-fashion-'));
  try {
    await assert.rejects(loadFashionMnist(dir), (err: Error) => {
      assert.match(err.message, /dataset-fashion-mnist/);
      assert.match(err.message, /apt-get install dataset-fashion-mnist/);
      assert.ok(err.message.includes(dir), err.message);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('the catalog loads each dataset once and its blob round-trips', async () => {
  assert.deepEqual([...DATASET_NAMES], ['mnist', 'fashion-mnist']);
  assert.ok(isDatasetName('mnist') && isDatasetName('fashion-mnist'));
  assert.ok(!isDatasetName('cifar10') && !isDatasetName('toString'));
  const [a, b] = await Promise.all([loadDataset('mnist'), loadDataset('mnist')]);
  assert.equal(a, b);
  assert.equal(await loadDataset('mnist'), a);
  const blob = encodeDataset(a);
  assert.equal(blob.length, 32 + 24 + 5 + 10000 * 785);
  assert.deepEqual(decodeDataset(blob), a);
});
