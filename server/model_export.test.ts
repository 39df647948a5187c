import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { initialParameters } from '../shared/init.ts';
import { weightsToBytes } from '../shared/protocol.ts';
import { evaluate } from '../shared/reference/model.ts';
import { decodeSafetensors, modelFromSafetensors } from '../shared/safetensors.ts';
import { bestCheckpoint } from './model_export.ts';
import type { CheckpointInfo } from '../shared/records.ts';
import { api, createAndStart, shiftedBiases, startTestFlock, syntheticDataset, TEST_TOKEN, TestWorker, TINY_SPEC, trainedWeights, until } from './test_support.ts';

const info = (id: number, testAccuracy: number | null): CheckpointInfo => ({
  id, t: id, step: id * 5, round: id, version: id, workerId: 'w', final: false, testLoss: testAccuracy === null ? null : 1 - testAccuracy, testAccuracy, bytes: 4,
});

test('the best checkpoint is the most accurate one, the later on a tie, and the latest when none was evaluated', () => {
  assert.equal(bestCheckpoint([]), null);
  assert.equal(bestCheckpoint([info(1, null), info(2, null)])!.id, 2);
  assert.equal(bestCheckpoint([info(1, 0.5), info(2, 0.9), info(3, 0.7), info(4, null)])!.id, 2);
  assert.equal(bestCheckpoint([info(1, 0.9), info(2, 0.9)])!.id, 2);
});

test('a run with a checkpoint downloads as safetensors that match the manifest and the reported accuracy', async () => {
  const flock = await startTestFlock({ checkpointEveryRounds: 1 });
  try {
    const empty = (await api(flock, 'POST', '/api/runs', { name: 'no checkpoint', model: TINY_SPEC, dataset: 'synthetic', hyper: { lr: 0.1, momentum: 0.9, batch: 8, tau: 5, lambdaL: 0, lambdaG: 0.1 }, stop: { steps: 10 } })).body.id;
    const runId = await createAndStart(flock, { name: 'Tiny / export' });
    // better than the seed weights on validation data, so the coordinator relays them; a new copy each upload
    let params = trainedWeights(10);
    let n = 0;
    const a = new TestWorker(flock.url, 'A', 'a', () => weightsToBytes((params = shiftedBiases(trainedWeights(10), 1e-3 * ++n))));
    const b = new TestWorker(flock.url, 'A', 'b');
    await a.hello();
    await b.hello();
    for (const step of [5, 10]) {
      await a.report(step, 0.5);
      await b.report(step, 1.5);
      await until(`copy at step ${step}`, () => b.copies.some((c) => c.step === step));
    }
    await until('an evaluated checkpoint', () => flock.store.checkpoints(runId).some((c) => c.testAccuracy !== null));

    const url = `${flock.url}/api/runs/${runId}/model.safetensors`;
    assert.equal((await fetch(url)).status, 401);
    const res = await fetch(url, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="flock-\d+-tiny-export-step\d+\.safetensors"$/);
    const bytes = new Uint8Array(await res.arrayBuffer());

    const manifest = (await api(flock, 'GET', `/api/runs/${runId}/model.json`)).body;
    assert.equal(manifest.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(manifest.bytes, bytes.length);
    assert.deepEqual(manifest.spec, TINY_SPEC);
    assert.equal(manifest.config.name, 'Tiny / export');
    assert.equal(manifest.parameterCount, 16 * 3 + 3);
    assert.deepEqual(manifest.layout.map((t: { name: string }) => t.name), ['layers.1.weight', 'layers.1.bias']);
    assert.equal(typeof manifest.test.accuracy, 'number');
    assert.equal(manifest.checkpoint.workerId, a.workerId);

    const decoded = decodeSafetensors(bytes);
    assert.equal(decoded.metadata['flock.run'], String(runId));
    assert.equal(decoded.metadata['flock.test_accuracy'], String(manifest.test.accuracy));
    const loaded = modelFromSafetensors(TINY_SPEC, bytes);
    assert.deepEqual(loaded, params);
    // the coordinator evaluated the first evalSamples test samples; the reference agrees on the same samples
    const test = syntheticDataset().test;
    const reference = evaluate(TINY_SPEC, loaded, test.pixels, test.labels, manifest.test.samples);
    assert.ok(Math.abs(reference.accuracy - manifest.test.accuracy) < 1e-9, `${reference.accuracy} vs ${manifest.test.accuracy}`);

    const first = flock.store.checkpoints(runId)[0];
    const pinned = (await api(flock, 'GET', `/api/runs/${runId}/model.json?checkpoint=${first.id}`)).body;
    assert.equal(pinned.checkpoint.id, first.id);
    assert.equal((await api(flock, 'GET', `/api/runs/${runId}/model.safetensors?checkpoint=99999`)).status, 404);
    assert.equal((await api(flock, 'GET', `/api/runs/${runId}/model.safetensors?checkpoint=x`)).status, 400);

    const none = await api(flock, 'GET', `/api/runs/${empty}/model.safetensors`);
    assert.equal(none.status, 404);
    assert.match(none.body.error, /has no checkpoint yet/);
    assert.equal((await api(flock, 'GET', '/api/runs/999/model.json')).status, 404);
    assert.equal((await api(flock, 'GET', '/api/runs/abc/model.json')).status, 400);
    a.close();
    b.close();
  } finally {
    await flock.close();
  }
});
