// Uploading datasets over HTTP: each format lands as a dataset runs can use, every refusal is a 400 (or 413) that
// names the problem and leaves nothing behind, uploads survive a restart, and only unused uploads can be deleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decodeBlob } from '../shared/dataset.ts';
import { cifarBatch, idxFile, pairedFiles, uploadBody } from '../shared/dataset_fixtures.ts';
import { datasetSummarySchema, type DatasetSummary, type UploadFormat, type UploadPart } from '../shared/dataset_upload.ts';
import type { DatasetManifest } from '../shared/protocol.ts';
import { api, runBody, startTestFlock, TEST_TOKEN } from './test_support.ts';

type Files = Partial<Record<UploadPart, Uint8Array[]>>;

const TEXT = new TextEncoder().encode('It was the best of times, it was the worst of times; ünïcode too. '.repeat(6));
const TWO_CLASS_SPEC = { name: 'tiny2', input: { height: 4, width: 4, channels: 1 }, classes: 2, layers: [{ kind: 'flatten' }, { kind: 'dense', units: 2 }] };

/** POST /api/datasets of `files`; `query` replaces or adds query parameters, `init` the request's. */
async function upload(flock: { url: string }, name: string, format: UploadFormat, files: Files, query: Record<string, string> = {}, init: RequestInit = {}) {
  const { body, query: list } = uploadBody(format, files);
  const res = await fetch(`${flock.url}/api/datasets?${new URLSearchParams({ name, format, files: list, ...query })}`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/octet-stream' }, body, ...init,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** `chunks` as a body without a declared length (sent chunked). */
const streamOf = (...chunks: Uint8Array[]) => new ReadableStream({
  start(controller) {
    for (const c of chunks) controller.enqueue(c);
    controller.close();
  },
});

const list = async (flock: { url: string }) => ((await api(flock, 'GET', '/api/datasets')).body as DatasetSummary[]);
/** What the datasets directory holds: only the stored blobs, never an upload's leftovers. */
const stored = (dataDir: string) => readdirSync(join(dataDir, 'datasets')).sort();

test('each format uploads into a dataset that is listed with its statistics and served in shards', async () => {
  const flock = await startTestFlock();
  try {
    const uploads: [string, UploadFormat, Files][] = [
      ['digits-idx', 'idx', pairedFiles('idx')],
      ['digits-gz', 'idx', Object.fromEntries(Object.entries(pairedFiles('idx')).map(([p, fs]) => [p, fs.map((f) => gzipSync(f))]))],
      ['digits-npy', 'npy', pairedFiles('npy')],
      ['tiny-cifar', 'cifar10', { 'train-batches': [cifarBatch([0, 1, 2, 3, 4]), cifarBatch([5, 6])], 'test-batches': [cifarBatch([7, 8, 9])] }],
      ['tiny-cifar100', 'cifar100', { 'train-batches': [cifarBatch([99, 0, 5, 7], [19, 0, 1, 2])], 'test-batches': [cifarBatch([1], [1])] }],
      ['prose', 'text', { text: [TEXT] }],
    ];
    for (const [name, format, files] of uploads) {
      const res = await upload(flock, name, format, files);
      assert.equal(res.status, 201, `${name}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(datasetSummarySchema.parse(res.body), res.body);
      assert.equal(res.body.format, format);
    }
    const all = await list(flock);
    for (const d of all) assert.deepEqual(datasetSummarySchema.parse(d), d);
    assert.deepEqual(all.map((d) => d.name), ['synthetic', ...uploads.map(([name]) => name)]);
    const byName = new Map(all.map((d) => [d.name, d]));
    assert.equal(byName.get('synthetic')!.builtIn, true);

    const idx = byName.get('digits-idx')!.stats!;
    assert.equal(idx.kind, 'images');
    assert.deepEqual(idx.sampleShape, { height: 4, width: 4, channels: 1 });
    assert.equal(idx.classes, 2);
    // the server holds out the end of train (a quarter at most) to measure copies
    assert.deepEqual(idx.samples, { train: 5, validation: 1, test: 4 });
    assert.deepEqual(idx.labelHistogram, [5, 5]);
    assert.equal(idx.bytes, 10 * 17);
    assert.equal(idx.text, null);
    assert.deepEqual(byName.get('digits-gz')!.stats, idx);
    assert.deepEqual(byName.get('digits-npy')!.stats, idx);

    const cifar = byName.get('tiny-cifar')!.stats!;
    assert.deepEqual([cifar.sampleShape, cifar.classes, cifar.samples], [{ height: 32, width: 32, channels: 3 }, 10, { train: 6, validation: 1, test: 3 }]);
    assert.deepEqual(cifar.labelHistogram, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert.equal(byName.get('tiny-cifar100')!.stats!.classes, 100);

    const prose = byName.get('prose')!.stats!;
    assert.equal(prose.kind, 'text');
    assert.deepEqual([prose.sampleShape, prose.classes], [{ height: 1, width: 1, channels: 1 }, 256]);
    // 408 bytes: train the first 367 (366 samples), test the next 20 (19), validation the last 21 (20): all served but validation
    assert.equal(TEXT.length, 408);
    assert.deepEqual(prose.samples, { train: 366, validation: 20, test: 19 });
    assert.deepEqual(prose.text, { bytes: 408, distinctBytes: new Set(TEXT).size });
    assert.equal(prose.labelHistogram, null);

    const status = (await api(flock, 'GET', '/api/status')).body;
    assert.deepEqual(status.datasets, ['synthetic', ...uploads.map(([name]) => name)]);
    const manifest = (await api(flock, 'GET', '/api/datasets/prose')).body as DatasetManifest;
    assert.deepEqual([manifest.kind, manifest.sampleShape, manifest.classes], ['text', { height: 1, width: 1, channels: 1 }, 256]);
    assert.equal(manifest.train.reduce((n, s) => n + s.count, 0), 366);
    const shard = decodeBlob(new Uint8Array(await (await fetch(`${flock.url}${manifest.test[0].url}`)).arrayBuffer()));
    assert.equal(shard.info.kind, 'text');
    assert.deepEqual(shard.parts[0].data.pixels, TEXT.subarray(367, 386));
    assert.deepEqual(shard.parts[0].data.labels, TEXT.subarray(368, 387));
    assert.deepEqual(stored(flock.dataDir).length, uploads.length);
  } finally {
    await flock.close();
  }
});

test('a run can use an upload, which then cannot be deleted; an unused upload can, and is gone', async () => {
  const flock = await startTestFlock();
  try {
    assert.equal((await upload(flock, 'mine', 'idx', pairedFiles('idx'))).status, 201);
    const run = await api(flock, 'POST', '/api/runs', runBody({ dataset: 'mine', model: TWO_CLASS_SPEC }));
    assert.equal(run.status, 201, JSON.stringify(run.body));
    assert.deepEqual((await list(flock)).find((d) => d.name === 'mine')!.usedBy, [run.body.id]);

    const refused = await api(flock, 'DELETE', '/api/datasets/mine');
    assert.equal(refused.status, 409);
    assert.match(refused.body.error, new RegExp(`used by run ${run.body.id}: delete it first`));
    assert.equal((await api(flock, 'DELETE', '/api/datasets/synthetic')).status, 409);
    assert.equal((await api(flock, 'DELETE', '/api/datasets/nothing')).status, 404);

    assert.equal((await api(flock, 'DELETE', `/api/runs/${run.body.id}`)).status, 204);
    assert.equal((await api(flock, 'DELETE', '/api/datasets/mine')).status, 204);
    assert.deepEqual((await list(flock)).map((d) => d.name), ['synthetic']);
    assert.equal((await api(flock, 'GET', '/api/datasets/mine')).status, 404);
    assert.deepEqual(stored(flock.dataDir), []);
    // the name is free again, for other data
    assert.equal((await upload(flock, 'mine', 'text', { text: [TEXT] })).status, 201);
    assert.equal((await api(flock, 'GET', '/api/datasets/mine')).body.classes, 256);
  } finally {
    await flock.close();
  }
});

test('a run created while its upload is deleted: never both, so no run is left on a deleted dataset', async () => {
  const flock = await startTestFlock();
  try {
    for (const [i, delayMs] of [0, 1, 2, 4, 8, 16].entries()) {
      const name = `racy-${i}`;
      assert.equal((await upload(flock, name, 'idx', pairedFiles('idx'))).status, 201);
      // the run's request loads the upload from disk; the delete lands before, while or after it does
      const creating = api(flock, 'POST', '/api/runs', runBody({ dataset: name, model: TWO_CLASS_SPEC }));
      await new Promise((r) => setTimeout(r, delayMs));
      const deleting = api(flock, 'DELETE', `/api/datasets/${name}`);
      const [run, del] = await Promise.all([creating, deleting]);
      assert.ok((run.status === 201) !== (del.status === 204), `run ${run.status} ${JSON.stringify(run.body)}, delete ${del.status}`);
      const runs = (await api(flock, 'GET', '/api/runs')).body as { config: { dataset: string } }[];
      assert.equal(runs.some((r) => r.config.dataset === name), run.status === 201);
    }
  } finally {
    await flock.close();
  }
});

test('every refusal is a 400 naming the field or file part, and leaves nothing behind', async () => {
  const flock = await startTestFlock();
  try {
    assert.equal((await upload(flock, 'taken', 'text', { text: [TEXT] })).status, 201);
    const before = stored(flock.dataDir);
    const good = pairedFiles('idx');
    const cases: [string, () => Promise<{ status: number; body: { error: string; issues: { field: string; reason: string }[] } }>, string, RegExp][] = [
      ['name syntax', () => upload(flock, 'Bad%20Name', 'idx', good), 'name', /lowercase letters, digits/],
      ['built-in name', () => upload(flock, 'synthetic', 'idx', good), 'name', /synthetic exists already \(built in\)/],
      ['name used', () => upload(flock, 'taken', 'idx', good), 'name', /taken exists already: choose another name/],
      ['unknown format', () => upload(flock, 'x1', 'idx', good, { format: 'png' }), 'format', /./],
      ['wrong parts', () => upload(flock, 'x2', 'text', { text: [TEXT] }, { files: 'train-images:10' }), 'files', /text takes the parts text, not train-images/],
      ['missing part', () => upload(flock, 'x3', 'idx', { 'train-images': good['train-images'] }), 'files', /idx needs a file for train-labels/],
      ['bad magic', () => upload(flock, 'x4', 'idx', { ...good, 'test-images': [Uint8Array.from([7, 7, 8, 3, 0, 0, 0, 0])] }), 'test-images', /IDX: bad magic 0x07 0x07/],
      ['truncated', () => upload(flock, 'x5', 'idx', { ...good, 'train-images': [idxFile([6, 4, 4], new Uint8Array(96)).subarray(0, 50)] }), 'train-images', /truncated data/],
      ['counts disagree', () => upload(flock, 'x6', 'idx', { ...good, 'test-labels': [idxFile([3], [0, 1, 0])] }), 'test-labels', /3 labels, but test-images has 4 images/],
      ['label out of range', () => upload(flock, 'x7', 'idx', good, { classes: '1' }), 'train-labels', /label 1 at sample 1 is not below the 1 classes/],
      ['shapes disagree', () => upload(flock, 'x8', 'idx', { ...good, 'test-images': [idxFile([4, 2, 8], new Uint8Array(64))] }), 'test-images', /test images are 2x8x1 .* train images 4x4x1/],
      ['empty split', () => upload(flock, 'x9', 'cifar10', { 'train-batches': [cifarBatch([1])], 'test-batches': [new Uint8Array(0)] }), 'test-batches', /the test split is empty/],
      ['invalid UTF-8', () => upload(flock, 'x10', 'text', { text: [Uint8Array.from([...TEXT.subarray(0, 70), 0xff, ...TEXT.subarray(70)])] }), 'text', /invalid UTF-8 at byte 70/],
      ['body longer than declared', () => upload(flock, 'x11', 'text', { text: [TEXT] }, { files: `text:${TEXT.length - 5}` }), 'files', new RegExp(`the files declare ${TEXT.length - 5} bytes, the body has ${TEXT.length}`)],
      ['body shorter than declared', () => upload(flock, 'x12', 'text', { text: [TEXT] }, { files: `text:${TEXT.length + 5}` }, { body: streamOf(TEXT), duplex: 'half' } as RequestInit),
        'files', new RegExp(`the body ended after ${TEXT.length} bytes, its files declare ${TEXT.length + 5}`)],
      ['streamed body longer than declared', () => upload(flock, 'x13', 'text', { text: [TEXT] }, { files: `text:${TEXT.length - 5}` }, { body: streamOf(TEXT), duplex: 'half' } as RequestInit),
        'files', new RegExp(`the body is longer than the ${TEXT.length - 5} bytes its files declare`)],
    ];
    for (const [what, send, field, reason] of cases) {
      const res = await send();
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.issues.length, 1, what);
      assert.equal(res.body.issues[0].field, field, what);
      assert.match(res.body.issues[0].reason, reason, what);
      assert.match(res.body.error, what === 'name syntax' || what === 'unknown format' ? /invalid request/ : new RegExp(`invalid dataset: ${field}: `), what);
    }
    assert.deepEqual(stored(flock.dataDir), before);
    assert.deepEqual((await list(flock)).map((d) => d.name), ['synthetic', 'taken']);
  } finally {
    await flock.close();
  }
});

test('an upload over maxUploadBytes is cut off with a 413, whether its length is declared or only streamed', async () => {
  const flock = await startTestFlock({ maxUploadBytes: 4096 });
  try {
    const big = new TextEncoder().encode('x'.repeat(5000));
    const declared = await upload(flock, 'big', 'text', { text: [big] });
    assert.equal(declared.status, 413);
    assert.match(declared.body.error, /5000 bytes, more than the server's limit of 4096 \(maxUploadBytes\)/);

    // declares a small file but streams 64 KiB without a length: cut off once past the limit
    const chunk = new Uint8Array(16384).fill(0x61);
    const streamed = await upload(flock, 'big', 'text', { text: [big.subarray(0, 4000)] }, {}, { body: streamOf(chunk, chunk, chunk, chunk), duplex: 'half' } as RequestInit);
    assert.equal(streamed.status, 413);
    assert.match(streamed.body.error, /larger than the server's limit of 4096 bytes/);

    assert.deepEqual(stored(flock.dataDir), []);
    assert.equal((await upload(flock, 'small', 'text', { text: [big.subarray(0, 4000)] })).status, 201);
  } finally {
    await flock.close();
  }
});

test('uploads survive a restart, and an interrupted upload\'s leftovers are removed at start', async () => {
  const first = await startTestFlock();
  const dataDir = first.dataDir;
  let before: DatasetSummary[];
  try {
    assert.equal((await upload(first, 'kept', 'npy', pairedFiles('npy'))).status, 201);
    assert.equal((await upload(first, 'kept-text', 'text', { text: [TEXT] })).status, 201);
    before = await list(first);
  } finally {
    await first.close();
  }
  // what a crash mid-upload leaves: a half-received upload and a blob never renamed
  mkdirSync(join(dataDir, 'datasets', 'incoming-crashed'));
  writeFileSync(join(dataDir, 'datasets', 'incoming-crashed', '0-text'), 'partial');
  writeFileSync(join(dataDir, 'datasets', 'lost-00000000.flkd.partial'), 'partial');
  const second = await startTestFlock({}, dataDir);
  try {
    assert.deepEqual(await list(second), before);
    assert.equal(stored(dataDir).length, 2);
    const manifest = (await api(second, 'GET', '/api/datasets/kept')).body as DatasetManifest;
    assert.equal(manifest.train.reduce((n, s) => n + s.count, 0), 5);
    assert.equal((await api(second, 'POST', '/api/runs', runBody({ dataset: 'kept', model: TWO_CLASS_SPEC }))).status, 201);
  } finally {
    await second.close();
  }
});

test('the dataset routes need the admin token', async () => {
  const flock = await startTestFlock();
  try {
    const { body, query } = uploadBody('text', { text: [TEXT] });
    const res = await fetch(`${flock.url}/api/datasets?name=anon&format=text&files=${query}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
    assert.equal(res.status, 401);
    assert.equal((await api(flock, 'GET', '/api/datasets', undefined, null)).status, 401);
    assert.equal((await api(flock, 'DELETE', '/api/datasets/synthetic', undefined, null)).status, 401);
    assert.deepEqual(stored(flock.dataDir), []);
  } finally {
    await flock.close();
  }
});
