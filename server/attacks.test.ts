// The attacks of issue 10, each against a real server over real sockets: every one of them broke the coordinator
// that believed what tabs said about themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { initialParameters } from '../shared/init.ts';
import { weightsToBytes } from '../shared/protocol.ts';
import { api, createAndStart, linearEvaluator, shiftedBiases, startTestFlock, syntheticDataset, TestWorker, TINY_SPEC, trainedWeights, until } from './test_support.ts';

const fakeSecret = () => randomBytes(32).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('identity takeover: a hello naming another tab without its secret is refused, logged, and the owner stays connected', async () => {
  const flock = await startTestFlock();
  try {
    const runId = await createAndStart(flock);
    const owner = new TestWorker(flock.url, 'A', 'owner');
    await owner.hello();
    await owner.report(5, 0.5);
    const intruder = new TestWorker(flock.url, 'X', 'intruder');
    const reply = await intruder.socket.timeout(5000).emitWithAck('hello', { tab: { id: owner.workerId!, secret: fakeSecret() }, machine: { id: owner.machineId!, secret: fakeSecret() }, adapter: {}, limits: {} });
    assert.equal(reply.ok, false);
    await sleep(200);
    assert.equal(owner.socket.connected, true, 'the owner keeps its connection');
    assert.equal((await owner.report(10, 0.4)).ok, true);
    const events = (await api(flock, 'GET', `/api/runs/${runId}/events`)).body as { kind: string }[];
    assert.ok(events.some((e) => e.kind === 'identity-refused'));
    // and no unauthenticated endpoint names tabs or machines
    for (const what of ['workers', 'events', 'metrics', 'checkpoints']) assert.equal((await api(flock, 'GET', `/api/runs/${runId}/${what}`, undefined, null)).status, 401, what);
    assert.ok(!JSON.stringify(owner.roles).includes(owner.workerId!));
    [owner, intruder].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('foreign machine id: joining a machine group needs its credential', async () => {
  const flock = await startTestFlock();
  try {
    await createAndStart(flock);
    const member = new TestWorker(flock.url, 'A', 'member');
    await member.hello();
    const stranger = new TestWorker(flock.url, 'X', 'stranger');
    const refused = await stranger.socket.timeout(5000).emitWithAck('hello', { machine: { id: member.machineId!, secret: fakeSecret() }, adapter: {}, limits: {} });
    assert.equal(refused.ok, false);
    // without a machine credential it gets a machine of its own, never the member's
    const own = await stranger.socket.timeout(5000).emitWithAck('hello', { adapter: {}, limits: {} });
    assert.ok(own.ok && own.credentials.machine.id !== member.machineId);
    [member, stranger].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('step inflation: a step no tab could have reached is refused and sets nothing', async () => {
  const flock = await startTestFlock({ maxStepsPerSec: 1000 });
  try {
    const runId = await createAndStart(flock);
    const w = new TestWorker(flock.url, 'A', 'w');
    await w.hello();
    const reply = await w.report(2 ** 40, 0.5);
    assert.equal(reply.ok, false);
    assert.match(reply.ok ? '' : reply.error, /implausible/);
    assert.equal((await w.report(5, 0.5)).ok, true);
    await sleep(100);
    const run = (await api(flock, 'GET', `/api/runs/${runId}`)).body as { state: string; step: number };
    assert.equal(run.state, 'running');
    assert.ok(run.step <= 5);
    w.close();
  } finally {
    await flock.close();
  }
});

test('identity churn: fresh identities that never train expire, cost the store nothing, and each address is limited', async () => {
  const flock = await startTestFlock({ identitiesPerMinute: 40, identityIdleMs: 300 });
  try {
    const runId = await createAndStart(flock);
    let refused = 0;
    for (let i = 0; i < 60; i++) {
      const w = new TestWorker(flock.url, `churn${i}`, `churn${i}`);
      const reply = await w.hello();
      if (!reply.ok) {
        refused++;
        assert.match(reply.error, /too many new tabs/);
      }
      w.close();
    }
    assert.equal(refused, 20);
    await until('idle identities forgotten', () => flock.coordinator.liveWorkers(runId).filter((x) => x.connected === false).length === 0, 3000);
    assert.equal(flock.store.workers(runId).length, 0, 'no stored record for tabs that never trained');
  } finally {
    await flock.close();
  }
});

test('re-upload of a received copy and a low claim earn no lead', async () => {
  const flock = await startTestFlock({ challengeBackoffMs: 100, challengeBackoffMaxMs: 200 });
  try {
    await createAndStart(flock);
    let n = 0;
    const honest = new TestWorker(flock.url, 'A', 'honest', () => weightsToBytes(shiftedBiases(trainedWeights(30), 1e-3 * ++n)));
    const copycat = new TestWorker(flock.url, 'B', 'copycat');
    copycat.weights = () => (copycat.lastCopy ? weightsToBytes(copycat.lastCopy) : new Uint8Array(0));
    let copycatLed = false;
    copycat.socket.on('roles', (r) => (copycatLed ||= r.isGlobalLeader));
    await honest.hello();
    await copycat.hello();
    await honest.report(5, 0.5);
    await copycat.report(5, 2);
    await until('honest leads and its copy reached the copycat', () => honest.roles?.isGlobalLeader === true && copycat.lastCopy !== null, 3000);
    // the copycat claims an impossibly low loss and answers with the copy it was sent
    for (let step = 10; step <= 40; step += 5) {
      await honest.report(step, 0.5);
      await copycat.report(step, 0);
      await sleep(60);
    }
    // (as the only tab of its machine it leads that machine: its local copies reach no other tab)
    await until('the copycat was measured as a challenger', () => copycat.uploads.some((u) => !u.ok && /earns no lead/.test(u.error)), 3000);
    assert.equal(copycatLed || copycat.roles?.isGlobalLeader, false);
    assert.equal(honest.roles?.isGlobalLeader, true);
    assert.ok(honest.uploads.filter((u) => u.ok).length >= 3, 'the honest leader keeps leading and relaying');
    [honest, copycat].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('crafted in-bound copies from a verified leader (scaled, zeros, sign-flipped, steady drift) are not relayed', async () => {
  const flock = await startTestFlock({ challengeBackoffMs: 50, challengeBackoffMaxMs: 50, challengeEveryMs: 60000 });
  try {
    await createAndStart(flock);
    const trained = trainedWeights(60);
    const start = initialParameters(TINY_SPEC, 3);
    let mode: 'honest' | 'scaled' | 'zeros' | 'flipped' | 'drift' = 'honest';
    let n = 0;
    let drift = 0;
    const craft = (): Float32Array => {
      const w = shiftedBiases(trained, 1e-3 * ++n);
      if (mode === 'drift') drift++;
      if (mode === 'scaled') return w.map((v) => v * 0.1);
      if (mode === 'zeros') return w.map(() => 0);
      if (mode === 'flipped') return w.map((v) => -v);
      // each copy a little further back toward the initialisation
      if (mode === 'drift') return w.map((v, i) => v + (start[i] - trained[i]) * 0.01 * drift);
      return w;
    };
    const crafted: Float32Array[] = [];
    const modes: string[] = [];
    const leader = new TestWorker(flock.url, 'A', 'leader', () => {
      const w = craft();
      crafted.push(w);
      modes.push(mode);
      return weightsToBytes(w);
    });
    const follower = new TestWorker(flock.url, 'B', 'follower', () => weightsToBytes(shiftedBiases(trained, 1e-3 * ++n)));
    await leader.hello();
    await follower.hello();
    let step = 5;
    const round = async () => {
      await leader.report(step, 0.1);
      await follower.report(step, 1.5);
      step += 5;
    };
    await round();
    await until('the leader is verified and relayed', () => leader.roles?.isGlobalLeader === true && follower.copies.length >= 1, 3000);
    for (const m of ['scaled', 'zeros', 'flipped'] as const) {
      mode = m;
      const copies = follower.copies.length;
      // the answer to the first copy crafted this way (an honest one asked for earlier may still be answered first)
      while (!(modes.indexOf(m) >= 0 && leader.uploads.length > modes.indexOf(m))) {
        await round();
        await sleep(60);
      }
      await sleep(100);
      // a crafted copy may become its own machine's local copy (no other tab there), never a global one
      const crafty = new Set(leader.uploads.flatMap((u, i) => (u.ok && modes[i] !== 'honest' ? [u.version] : [])));
      assert.ok(follower.copies.every((c) => !crafty.has(c.version)), `${m}: a crafted copy reached another machine`);
      assert.ok(follower.copies.length <= copies + 1, m);
      if (leader.roles?.quarantined) break;
    }
    // the drift: each copy only slightly worse than the last
    const validation = syntheticDataset().train;
    const lossOf = async (w: Float32Array) => (await linearEvaluator.evaluate(TINY_SPEC, w, validation, validation.count - 125, 125)).loss;
    if (!leader.roles?.quarantined) {
      mode = 'drift';
      const before = crafted.length;
      for (let i = 0; i < 40 && leader.uploads.filter((u) => !u.ok).length < 6; i++) {
        await round();
        await sleep(40);
      }
      const relayed = new Set(follower.copies.map((c) => c.version));
      const accepted = leader.uploads.map((u, i) => (u.ok && relayed.has(u.version) ? crafted[i] : null)).slice(before).filter((w): w is Float32Array => w !== null);
      const worst = Math.max(await lossOf(trained), ...(await Promise.all(accepted.map(lossOf))));
      assert.ok(worst - (await lossOf(trained)) < 0.05, `the drift was held near the best copy: +${worst - (await lossOf(trained))}`);
    }
    [leader, follower].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});

test('a silent challenger (claims loss 0, never answers its upload requests) does not freeze the global copy', async () => {
  const flock = await startTestFlock({ challengeBackoffMs: 200, challengeBackoffMaxMs: 400 });
  try {
    await createAndStart(flock);
    let n = 0;
    const honest = new TestWorker(flock.url, 'A', 'honest', () => weightsToBytes(shiftedBiases(trainedWeights(30), 1e-3 * ++n)));
    const silent = new TestWorker(flock.url, 'B', 'silent');
    silent.socket.off('uploadRequest');
    let asked = 0;
    silent.socket.on('uploadRequest', () => asked++);
    await honest.hello();
    await silent.hello();
    await honest.report(5, 0.5);
    await until('honest leads', () => honest.roles?.isGlobalLeader === true, 3000);
    const accepted = () => honest.uploads.filter((u) => u.ok).length;
    const before = accepted();
    const end = Date.now() + 4000;
    for (let step = 10; Date.now() < end; step += 5) {
      await honest.report(step, 0.5);
      await silent.report(step, 0);
      await sleep(100);
    }
    assert.ok(asked >= 1, 'the silent tab was asked');
    assert.ok(accepted() - before >= 3, `the leader's copies kept being accepted: ${accepted() - before} in 4 s`);
    [honest, silent].forEach((x) => x.close());
  } finally {
    await flock.close();
  }
});
