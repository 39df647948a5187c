import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeDataset, encodeDataset, sampleSize, type DataSplit, type Dataset } from '../../shared/dataset.ts';
import { DATASET_NAMES, isDatasetName, loadDataset } from './catalog.ts';
import { loadFashionMnist } from './fashion_mnist.ts';
import { FORTUNES_DIR, loadFortunes } from './fortunes.ts';
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

test('Fortunes: the English collections of the fortunes package as one text, the same every time', async () => {
  const d = await loadFortunes();
  assert.equal(d.name, 'fortunes');
  assert.equal(d.kind, 'text');
  assert.deepEqual([d.sampleShape, d.classes], [{ height: 1, width: 1, channels: 1 }, 256]);
  const bytes = d.train.count + d.test.count + d.validation!.count + 3;
  // fortunes 1:1.99.1 has 2.5 MB of them; other versions differ a little
  assert.ok(bytes > 2_000_000 && bytes < 4_000_000, `${bytes} bytes`);
  assert.ok(Math.abs(d.train.count / bytes - 0.9) < 1e-5 && Math.abs(d.validation!.count / bytes - 0.05) < 1e-5);
  // sorted order: the first collection is art, the last zippy, whose split is the validation block
  const art = await readFile(join(FORTUNES_DIR, 'art'));
  assert.deepEqual(d.train.pixels.subarray(0, 100), new Uint8Array(art.subarray(0, 100)));
  const zippy = await readFile(join(FORTUNES_DIR, 'zippy'));
  assert.deepEqual(d.validation!.labels.subarray(-100), new Uint8Array(zippy.subarray(-100)));
  assert.deepEqual(await loadFortunes(), d);
});

test('Fortunes in a directory without them names the package to install', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flock-no-fortunes-'));
  try {
    await assert.rejects(loadFortunes(join(dir, 'missing')), /Fortunes not found: .*missing is missing\. It comes from the Debian package fortunes \(apt-get install fortunes\)/);
    await assert.rejects(loadFortunes(dir), /holds no collections/);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('the catalog loads each dataset once and its blob round-trips', async () => {
  assert.deepEqual([...DATASET_NAMES], ['mnist', 'fashion-mnist', 'fortunes']);
  assert.ok(isDatasetName('mnist') && isDatasetName('fashion-mnist') && isDatasetName('fortunes'));
  assert.ok(!isDatasetName('cifar10') && !isDatasetName('toString'));
  const [a, b] = await Promise.all([loadDataset('mnist'), loadDataset('mnist')]);
  assert.equal(a, b);
  assert.equal(await loadDataset('mnist'), a);
  const blob = encodeDataset(a);
  assert.equal(blob.length, 36 + 24 + 5 + 10000 * 785);
  // a dataset without a kind is images, and its blob says so
  assert.deepEqual(decodeDataset(blob), { ...a, kind: 'images' });
});
