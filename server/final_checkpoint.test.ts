import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestCheckpoint } from './model_export.ts';
import { api, createAndStart, linearEvaluator, startTestFlock, syntheticDataset, TestWorker, TINY_SPEC, until } from './test_support.ts';

type Flock = Awaited<ReturnType<typeof startTestFlock>>;

/** Two tabs of one machine; `a` leads, so its weights become the global copy at step 5. */
async function runWithOneCopy(flock: Flock): Promise<{ runId: number; close: () => void }> {
  const runId = await createAndStart(flock);
  const a = new TestWorker(flock.url, 'A', 'a');
  const b = new TestWorker(flock.url, 'A', 'b');
  await a.hello();
  await b.hello();
  await a.report(5, 0.5);
  await b.report(5, 1.5);
  await until('the copy of step 5', () => b.copies.some((c) => c.step === 5));
  return { runId, close: () => [a, b].forEach((w) => w.close()) };
}

test('a stopped run whose last copy was evaluated: the final checkpoint carries that accuracy, without evaluating again', async () => {
  const flock = await startTestFlock({ checkpointEveryRounds: 1, evalEveryRounds: 1 });
  try {
    const { runId, close } = await runWithOneCopy(flock);
    await until('the evaluated checkpoint', () => flock.store.checkpoints(runId).some((c) => c.testAccuracy !== null));
    const evals = flock.store.metrics(runId, 0, 1000).eval.length;
    assert.equal((await api(flock, 'POST', `/api/runs/${runId}/stop`)).status, 200);

    const [periodic, final] = flock.store.checkpoints(runId);
    assert.equal(final.final, true);
    assert.equal(final.version, periodic.version);
    assert.notEqual(final.testAccuracy, null);
    assert.equal(final.testAccuracy, periodic.testAccuracy);
    assert.equal(final.testLoss, periodic.testLoss);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(flock.store.metrics(runId, 0, 1000).eval.length, evals);
    close();
  } finally {
    await flock.close();
  }
});

test('a stopped run whose last copy was never evaluated: the final checkpoint is evaluated, and the download picks it', async () => {
  const flock = await startTestFlock({ checkpointEveryRounds: 1000, evalEveryRounds: 1000, evalEveryMs: 600_000, evalSamples: 100 });
  try {
    const { runId, close } = await runWithOneCopy(flock);
    assert.deepEqual(flock.store.checkpoints(runId), []);
    assert.equal((await api(flock, 'POST', `/api/runs/${runId}/stop`)).status, 200);
    await until('the final checkpoint evaluated', () => flock.store.checkpoints(runId).at(-1)?.testAccuracy != null);

    const [final] = flock.store.checkpoints(runId);
    assert.equal(final.final, true);
    const weights = flock.store.checkpoint(runId, final.id)!.weights;
    const expected = await linearEvaluator.evaluate(TINY_SPEC, weights, syntheticDataset().test, 0, 100);
    assert.equal(final.testAccuracy, expected.accuracy);
    assert.equal(bestCheckpoint(flock.store.checkpoints(runId))!.id, final.id);
    const manifest = (await api(flock, 'GET', `/api/runs/${runId}/model.json`)).body;
    assert.equal(manifest.checkpoint.final, true);
    assert.equal(manifest.test.accuracy, expected.accuracy);
    close();
  } finally {
    await flock.close();
  }
});
