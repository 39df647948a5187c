import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dataset } from '../shared/dataset.ts';
import { initialParameters } from '../shared/init.ts';
import { MODEL_PRESETS } from '../shared/model.ts';
import { weightsToBytes } from '../shared/protocol.ts';
import { seededRandom } from '../shared/random.ts';
import { evaluate } from '../shared/reference/model.ts';
import { Evaluator } from './evaluator.ts';
import { api, createAndStart, linearEvaluator, startTestFlock, syntheticDataset, TestWorker, TINY_SPEC, until } from './test_support.ts';

type Event = { kind: string; workerId: string; message: string };

function digits(count: number): Dataset['test'] {
  const rnd = seededRandom(11);
  return { count, labels: new Uint8Array(count).map(() => Math.floor(rnd() * 10)), pixels: new Uint8Array(count * 784).map(() => Math.floor(rnd() * 256)) };
}

test('the claim check with the CPU reference (mlp): an honest leader passes, a liar claiming 0 is quarantined', async () => {
  const data: Dataset = { name: 'synthetic', sampleShape: { height: 28, width: 28, channels: 1 }, classes: 10, train: digits(64), test: digits(128) };
  const spec = MODEL_PRESETS.mlp;
  const init = initialParameters(spec, 3);
  const honestLoss = evaluate(spec, init, data.test.pixels, data.test.labels, data.test.count).loss;
  const flock = await startTestFlock({ claimMarginAbs: 0.3, claimMarginRel: 0.5, claimCheckSamples: 64, evalSamples: 64 }, undefined, data, new Evaluator());
  try {
    const runId = await createAndStart(flock, { model: 'mlp' });
    const weights = () => weightsToBytes(init);
    const honest = new TestWorker(flock.url, 'A', 'honest', weights);
    const follower = new TestWorker(flock.url, 'A', 'follower', weights);
    const liar = new TestWorker(flock.url, 'B', 'liar', weights);
    for (const x of [honest, follower, liar]) await x.hello();
    await honest.report(5, honestLoss);
    await follower.report(5, honestLoss + 1);
    await until('honest verified and relayed', () => follower.copies.some((c) => c.leaderId === 'honest' && c.kind !== 'local'), 10000);
    assert.equal(honest.roles?.isGlobalLeader, true);

    await liar.report(5, 0);
    await until('liar quarantined', () => liar.roles?.quarantined === true, 10000);
    assert.equal(follower.roles?.globalLeader?.workerId, 'honest');
    assert.ok(!follower.copies.some((c) => c.leaderId === 'liar'));
    const events = (await api(flock, 'GET', `/api/runs/${runId}/events`)).body as Event[];
    assert.match(events.find((e) => e.kind === 'global-leader')!.message, /measured \d/);
    assert.equal(events.find((e) => e.kind === 'global-leader')!.workerId, 'honest');
    assert.match(events.find((e) => e.kind === 'quarantine' && e.workerId === 'liar')!.message, /claimed loss 0\.0000 but measured/);
    [honest, follower, liar].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('a verified global leader is re-checked every k-th upload and when its claimed loss drops sharply', async () => {
  const data = syntheticDataset();
  const honestLoss = (await linearEvaluator.evaluate(TINY_SPEC, initialParameters(TINY_SPEC, 3), data.test, 0, data.test.count)).loss;
  const flock = await startTestFlock({ claimMarginAbs: 0.2, claimRecheckEveryUploads: 2, claimRecheckDrop: 0.5 }, undefined, data);
  try {
    const runId = await createAndStart(flock);
    const leader = new TestWorker(flock.url, 'A', 'leader');
    const follower = new TestWorker(flock.url, 'B', 'follower');
    await leader.hello();
    await follower.hello();
    for (const step of [5, 10, 15, 20]) {
      await leader.report(step, honestLoss);
      await follower.report(step, honestLoss + 1);
      await until(`copy of step ${step}`, () => follower.copies.some((c) => c.step === step && c.kind !== 'local'));
    }
    const checks = () => api(flock, 'GET', `/api/runs/${runId}/events`).then((r) => (r.body as Event[]).filter((e) => ['global-leader', 'claim-recheck'].includes(e.kind)).map((e) => e.kind));
    // uploads 1 (new leader) and 3 (second after that check) are checked
    assert.deepEqual(await checks(), ['global-leader', 'claim-recheck']);

    // claiming a quarter of the checked loss is a sharp drop: checked at once, and it fails
    await leader.report(25, honestLoss / 4);
    await until('leader quarantined', () => leader.roles?.quarantined === true);
    assert.ok(!follower.copies.some((c) => c.step === 25));
    const events = (await api(flock, 'GET', `/api/runs/${runId}/events`)).body as Event[];
    assert.match(events.find((e) => e.kind === 'quarantine')!.message, /on a re-check/);
    [leader, follower].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});
