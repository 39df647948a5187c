import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, createAndStart, startTestFlock, TestWorker, until } from './test_support.ts';

test('a minutes stop condition counts running time only: a paused run does not finish, a resumed one does', async () => {
  const flock = await startTestFlock({ heartbeatTimeoutMs: 400 });
  try {
    const runId = await createAndStart(flock, { stop: { minutes: 0.01 } });
    const w = new TestWorker(flock.url, 'A', 'a');
    await w.hello();
    assert.equal((await api(flock, 'POST', `/api/runs/${runId}/pause`)).status, 200);
    await new Promise((r) => setTimeout(r, 900));
    assert.equal((await api(flock, 'GET', `/api/runs/${runId}`)).body.state, 'paused');
    assert.equal((await api(flock, 'POST', `/api/runs/${runId}/resume`)).status, 200);
    await until('run finished', () => w.states.includes('finished'), 3000);
    const run = (await api(flock, 'GET', `/api/runs/${runId}`)).body;
    assert.equal(run.state, 'finished');
    assert.ok(run.runningMs >= 600 && run.runningMs < 1400, `runningMs ${run.runningMs}`);
    assert.ok(run.endedAt - run.startedAt >= 600 + 900);
    const events = (await api(flock, 'GET', `/api/runs/${runId}/events`)).body as { kind: string; message: string }[];
    assert.ok(events.some((e) => e.kind === 'finished' && /0\.01 minutes/.test(e.message)));
    w.close();
  } finally {
    await flock.close();
  }
});

test('a targetAccuracy stop condition finishes the run when the global leader reaches it, not before', async () => {
  const flock = await startTestFlock();
  try {
    // the tiny model at its initialisation scores about 1/3 on three classes: never 0.99
    const unreachable = await createAndStart(flock, { stop: { targetAccuracy: 0.99 } });
    const a = new TestWorker(flock.url, 'A', 'a');
    const b = new TestWorker(flock.url, 'B', 'b');
    await a.hello();
    await b.hello();
    for (const step of [5, 10]) {
      await a.report(step, 1.0);
      await b.report(step, 1.2);
      await until(`copy of step ${step}`, () => b.copies.some((c) => c.step === step));
    }
    let evals = 0;
    for (const end = Date.now() + 3000; evals < 2 && Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      evals = (await api(flock, 'GET', `/api/runs/${unreachable}/metrics`)).body.eval.length;
    }
    assert.ok(evals >= 2, `${evals} evaluations`);
    assert.equal((await api(flock, 'GET', `/api/runs/${unreachable}`)).body.state, 'running');
    assert.equal((await api(flock, 'POST', `/api/runs/${unreachable}/stop`)).status, 200);

    const reachable = await createAndStart(flock, { stop: { targetAccuracy: 0.01 } });
    await a.hello();
    await b.hello();
    await a.report(5, 1.0);
    await b.report(5, 1.2);
    await until('run finished', () => b.states.includes('finished'));
    const run = (await api(flock, 'GET', `/api/runs/${reachable}`)).body;
    assert.equal(run.state, 'finished');
    const events = (await api(flock, 'GET', `/api/runs/${reachable}/events`)).body as { kind: string; message: string }[];
    assert.ok(events.some((e) => e.kind === 'finished' && /reached the target 0\.01/.test(e.message)));
    assert.equal((await api(flock, 'GET', `/api/runs/${reachable}/checkpoints`)).body.at(-1).final, true);
    [a, b].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('pause and resume reach the tabs: reports are refused while paused and accepted again after', async () => {
  const flock = await startTestFlock();
  try {
    const runId = await createAndStart(flock);
    const a = new TestWorker(flock.url, 'A', 'a');
    await a.hello();
    assert.equal((await a.report(5, 1)).ok, true);
    assert.equal((await api(flock, 'POST', `/api/runs/${runId}/pause`)).status, 200);
    await until('paused state pushed', () => a.states.at(-1) === 'paused');
    const refused = await a.report(10, 1);
    assert.ok(!refused.ok && /not running/.test(refused.error));
    assert.equal((await api(flock, 'POST', `/api/runs/${runId}/resume`)).status, 200);
    await until('running state pushed', () => a.states.at(-1) === 'running');
    assert.equal((await a.report(10, 1)).ok, true);
    const { workers } = (await api(flock, 'GET', `/api/runs/${runId}/metrics`)).body as { workers: { step: number }[] };
    assert.deepEqual(workers.map((m) => m.step), [5, 10]);
    a.close();
  } finally {
    await flock.close();
  }
});
