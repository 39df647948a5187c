import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferFrom, emptyBuffer, randomArray, readF32, relativeError, run } from './test_support.ts';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache, type Dispatch } from './dispatch.ts';
import { softmaxXentDispatch, softmaxXentPartialsFloats, softmaxXentRowsDispatches, STATS_FLOATS } from './softmax_xent.ts';
import { medianMsPerRepeat } from './timing.ts';
import { softmaxCrossEntropy } from '../../shared/reference/softmax_xent.ts';
import { seededRandom } from '../../shared/random.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

function randomLabels(batch: number, classes: number, seed: number): Uint32Array {
  const r = seededRandom(seed);
  return Uint32Array.from({ length: batch }, () => Math.floor(r() * classes));
}

async function runLoss(logits: Float32Array, labels: Uint32Array, batch: number, classes: number, stats = new Float32Array(STATS_FLOATS), times = 1) {
  const dlogits = emptyBuffer(device, batch * classes);
  const statsBuf = bufferFrom(device, stats);
  const d = softmaxXentDispatch(cache, { batch, classes, logits: bufferFrom(device, logits), labels: bufferFrom(device, labels), dlogits, stats: statsBuf });
  for (let i = 0; i < times; i++) run(device, [d]);
  return { dlogits: await readF32(device, dlogits, batch * classes), stats: await readF32(device, statsBuf, STATS_FLOATS) };
}

test('loss, dlogits and correct count match the reference', async () => {
  for (const [batch, classes] of [[1, 1], [1, 10], [3, 7], [7, 3], [64, 10], [65, 10], [1000, 13]]) {
    // Scale 4 gives confident and unconfident rows, so both right and wrong predictions occur.
    const logits = randomArray(batch * classes, batch * 31 + classes, 4);
    const labels = randomLabels(batch, classes, batch + classes);
    const ref = softmaxCrossEntropy(logits, labels, batch, classes);
    const got = await runLoss(logits, labels, batch, classes);
    const shape = `${batch} x ${classes}`;
    assert.ok(relativeError(got.dlogits, ref.dlogits) <= 1e-4, `${shape}: dlogits`);
    assert.ok(relativeError([got.stats[0]], [ref.loss * batch]) <= 1e-4, `${shape}: loss sum ${got.stats[0]} vs ${ref.loss * batch}`);
    assert.equal(got.stats[1], ref.correct, `${shape}: correct`);
    assert.equal(got.stats[2], batch, `${shape}: samples`);
  }
});

test('huge logits stay finite (the max is subtracted) and ties go to the first maximum', async () => {
  const classes = 4;
  const logits = Float32Array.from([1000, -1000, 999, 0, /* tie */ 5, 5, 5, 5, /* tie */ 2, 7, 7, 1]);
  const labels = Uint32Array.from([0, 1, 2]);
  const ref = softmaxCrossEntropy(logits, labels, 3, classes);
  assert.equal(ref.correct, 1, 'the reference breaks ties toward the first maximum');
  const got = await runLoss(logits, labels, 3, classes);
  assert.ok(got.dlogits.every(Number.isFinite) && Number.isFinite(got.stats[0]));
  assert.ok(relativeError(got.dlogits, ref.dlogits) <= 1e-4);
  assert.ok(relativeError([got.stats[0]], [ref.loss * 3]) <= 1e-4);
  assert.equal(got.stats[1], 1);
});

test('stats accumulate across dispatches until the host clears them', async () => {
  const [batch, classes] = [65, 10];
  const logits = randomArray(batch * classes, 5, 3);
  const labels = randomLabels(batch, classes, 6);
  const ref = softmaxCrossEntropy(logits, labels, batch, classes);
  const start = Float32Array.from([1.5, 2, 3]);
  const got = await runLoss(logits, labels, batch, classes, start, 2);
  assert.ok(relativeError([got.stats[0]], [1.5 + 2 * ref.loss * batch]) <= 1e-4, `loss sum ${got.stats[0]}`);
  assert.equal(got.stats[1], 2 + 2 * ref.correct);
  assert.equal(got.stats[2], 3 + 2 * batch);
  assert.ok(relativeError(got.dlogits, ref.dlogits) <= 1e-4, 'dlogits are overwritten, not accumulated');
});

async function runRows(logits: Float32Array, labels: Uint32Array, rows: number, classes: number, stats = new Float32Array(STATS_FLOATS), times = 1) {
  const dlogits = emptyBuffer(device, rows * classes);
  const statsBuf = bufferFrom(device, stats);
  const partials = emptyBuffer(device, softmaxXentPartialsFloats(rows));
  const dispatches = softmaxXentRowsDispatches(cache, { rows, classes, logits: bufferFrom(device, logits), labels: bufferFrom(device, labels), dlogits, stats: statsBuf, partials });
  for (let i = 0; i < times; i++) run(device, dispatches);
  return { dlogits: await readF32(device, dlogits, rows * classes), stats: await readF32(device, statsBuf, STATS_FLOATS), dispatches };
}

test('many rows: loss, dlogits and correct count match the reference', async () => {
  // Classes that are multiples of 4 take the vec4 path; 8192 x 256 is a byte-level language model's batch.
  for (const [rows, classes] of [[1, 1], [1, 4], [3, 7], [7, 3], [65, 10], [1000, 13], [257, 256], [8192, 256]]) {
    const logits = randomArray(rows * classes, rows * 31 + classes, 4);
    const labels = randomLabels(rows, classes, rows + classes);
    const ref = softmaxCrossEntropy(logits, labels, rows, classes);
    const got = await runRows(logits, labels, rows, classes);
    const shape = `${rows} x ${classes}`;
    assert.ok(relativeError(got.dlogits, ref.dlogits) <= 1e-4, `${shape}: dlogits`);
    assert.ok(relativeError([got.stats[0]], [ref.loss * rows]) <= 1e-5, `${shape}: loss sum ${got.stats[0]} vs ${ref.loss * rows}`);
    assert.equal(got.stats[1], ref.correct, `${shape}: correct`);
    assert.equal(got.stats[2], rows, `${shape}: rows`);
  }
});

test('many rows: huge logits stay finite and ties go to the first maximum, across vec4 components too', async () => {
  for (const classes of [4, 5, 8]) {
    // Each row's maximum sits at `first` and again later; the label is the first one on even rows and the later
    // one on odd rows, so a kernel taking the later maximum gets the correct count wrong.
    const rows: { logits: number[]; first: number; later: number }[] = [];
    for (let first = 0; first < classes; first++) {
      for (let later = first + 1; later < classes; later++) {
        const row = Array.from({ length: classes }, (_, c) => -c);
        row[first] = row[later] = 7;
        rows.push({ logits: row, first, later });
      }
    }
    rows.push({ logits: new Array(classes).fill(5), first: 0, later: classes - 1 });
    rows.push({ logits: Array.from({ length: classes }, (_, c) => (c === 1 ? 1000 : -1000)), first: 1, later: 1 });
    const logits = Float32Array.from(rows.flatMap((r) => r.logits));
    const labels = Uint32Array.from(rows, (r, i) => (i % 2 === 0 ? r.first : r.later));
    const ref = softmaxCrossEntropy(logits, labels, rows.length, classes);
    const got = await runRows(logits, labels, rows.length, classes);
    assert.ok(got.dlogits.every(Number.isFinite) && Number.isFinite(got.stats[0]), `${classes} classes: finite`);
    assert.ok(relativeError(got.dlogits, ref.dlogits) <= 1e-4, `${classes} classes: dlogits`);
    assert.ok(relativeError([got.stats[0]], [ref.loss * rows.length]) <= 1e-5, `${classes} classes: loss`);
    assert.equal(got.stats[1], ref.correct, `${classes} classes: correct`);
  }
});

test('many rows: stats accumulate across dispatches; timing at 8192 x 256 (printed, not asserted)', async () => {
  const [rows, classes] = [8192, 256];
  const logits = randomArray(rows * classes, 5, 3);
  const labels = randomLabels(rows, classes, 6);
  const ref = softmaxCrossEntropy(logits, labels, rows, classes);
  const start = Float32Array.from([1.5, 2, 3]);
  const got = await runRows(logits, labels, rows, classes, start, 2);
  assert.ok(relativeError([got.stats[0]], [1.5 + 2 * ref.loss * rows]) <= 1e-5, `loss sum ${got.stats[0]}`);
  assert.equal(got.stats[1], 2 + 2 * ref.correct);
  assert.equal(got.stats[2], 3 + 2 * rows);
  assert.ok(relativeError(got.dlogits, ref.dlogits) <= 1e-4, 'dlogits are overwritten, not accumulated');
  const [perRow, sum] = got.dispatches;
  const ms = async (d: Dispatch[]) => (await medianMsPerRepeat(device, d, 3, 3)).toFixed(1);
  console.log(`softmax cross-entropy ${rows} x ${classes} rows: per-row pass ${await ms([perRow])} ms, sum ${await ms([sum])} ms`);
});
