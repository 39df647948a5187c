import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, createAndStart, startTestFlock, TestWorker, until } from './test_support.ts';

test('after a restart runs, metrics and checkpoints are all there and a running run resumes from its checkpoint', async () => {
  const first = await startTestFlock({ checkpointEveryRounds: 1 });
  const dataDir = first.dataDir;
  let runId: number;
  try {
    runId = await createAndStart(first);
    const a = new TestWorker(first.url, 'A', 'a');
    const b = new TestWorker(first.url, 'A', 'b');
    await a.hello();
    await b.hello();
    for (const step of [5, 10, 15]) {
      await a.report(step, 1.0);
      await b.report(step, 1.2);
      await until(`copy at step ${step}`, () => b.copies.some((c) => c.step === step));
    }
    a.close();
    b.close();
  } finally {
    // no graceful flush of the coordinator: what a kill leaves behind is what was written
    first.io.close();
    await first.app.close();
    first.store.close();
  }
  const second = await startTestFlock({ checkpointEveryRounds: 1 }, dataDir);
  try {
    const run = (await api(second, 'GET', `/api/runs/${runId!}`)).body;
    assert.equal(run.state, 'running');
    assert.ok(run.rounds >= 3);
    const metrics = (await api(second, 'GET', `/api/runs/${runId!}/metrics`)).body;
    assert.ok(metrics.workers.length >= 6);
    const checkpoints = (await api(second, 'GET', `/api/runs/${runId!}/checkpoints`)).body;
    assert.ok(checkpoints.length >= 3);
    const c = new TestWorker(second.url, 'B', 'c');
    const hello = await c.hello();
    assert.ok(hello.ok && hello.assignment?.start === 'global' && hello.assignment.startStep === 15);
    await until('checkpoint copy delivered', () => c.copies.length === 1);
    c.close();
  } finally {
    await second.close();
  }
});
