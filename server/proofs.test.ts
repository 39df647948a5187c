// Proofs of work over the real protocol: honest tabs pass and are credited; a tab that skips steps, replays an
// old proof or builds its proof from a copy it was sent fails, is quarantined and earns nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sliceSplit } from '../shared/dataset.ts';
import { initialParameters } from '../shared/init.ts';
import { MinibatchOrder } from '../shared/minibatch.ts';
import { weightsToBytes, type Commitment, type ProofReply, type ProofRequest } from '../shared/protocol.ts';
import { PULLS } from '../shared/run_config.ts';
import { easgdWorkerPull } from '../shared/reference/easgd.ts';
import { replaySegment, segmentGradient, type AdamwRates } from '../shared/reference/training_segment.ts';
import { encodeProof, stateDigest, type CommittedState } from '../shared/state_digest.ts';
import { api, createAndStart, startTestFlock, syntheticDataset, TestWorker, TINY_SPEC, until } from './test_support.ts';

const BATCH = 8;
const TAU = 5;
const RATES = { lr: 0.1, momentum: 0.9, lambdaL: 0.1, lambdaG: 0.1 };
/** The served training split: the synthetic train split less the 125 samples held out for validation. */
const TRAIN = sliceSplit(syntheticDataset().train, 16, 0, 375);

/** A scripted tab that trains TINY_SPEC on the CPU exactly as the coordinator replays it, and commits every report. */
class ProvingTab extends TestWorker {
  state: CommittedState = { params: initialParameters(TINY_SPEC, 3), velocity: new Float32Array(initialParameters(TINY_SPEC, 3).length) };
  /** Committed states by step, kept to answer proof requests. */
  readonly kept = new Map<number, CommittedState>();
  readonly proofs: ProofReply[] = [];
  lastProof: ProofRequest | null = null;
  rates = RATES;
  /** Set by useAdamw: the run trains with AdamW. */
  adamw: AdamwRates | undefined = undefined;

  /** Trains with AdamW at `lr` from here on, its moments starting at zero at the assignment's step, as a tab's do. */
  useAdamw(rates: AdamwRates, lr: number): void {
    this.adamw = rates;
    this.rates = { ...RATES, lr };
    this.state = { ...this.state, secondMoment: new Float32Array(this.state.params.length), momentsFrom: this.assignment!.startStep };
  }

  /** `steps` real steps; the report claims `claimed` (default: the same). */
  async trainAndReport(steps: number, claimed = steps, pulls: Pick<Commitment, 'local' | 'global'> = { local: null, global: null }) {
    const order = new MinibatchOrder(TRAIN.count, BATCH, this.assignment!.shuffleSeed);
    this.state = replaySegment({ spec: TINY_SPEC, rates: this.rates, adamw: this.adamw, train: TRAIN, order, from: this.step, to: this.step + steps, start: this.state, pulls: { local: null, global: null }, pull: 'periodic' });
    const step = this.step + claimed;
    return this.commit(step, this.state, pulls);
  }

  async commit(step: number, state: CommittedState, pulls: Pick<Commitment, 'local' | 'global'> = { local: null, global: null }) {
    this.kept.set(step, state);
    const digest = await stateDigest(this.assignment!.runId, this.workerId!, step, state);
    const reply = await this.report(step, 1, { digest, ...pulls });
    assert.ok(reply.ok, JSON.stringify(reply));
    this.lastProof = reply.proof;
    return reply;
  }

  /** Answers a request with the states it names, or with the ones given, and with `local` when it names a local copy. */
  async prove(request: ProofRequest, states?: [CommittedState, CommittedState], local?: CommittedState): Promise<ProofReply> {
    const [from, to] = states ?? [this.kept.get(request.from)!, this.kept.get(request.to)!];
    const payload = encodeProof({ from, to, local: request.local ? local! : null });
    const reply = await this.socket.timeout(10000).emitWithAck('proof', { runId: this.assignment!.runId, challengeId: request.challengeId }, payload);
    this.proofs.push(reply);
    return reply;
  }
}

const everyStretch = { proofProbability: 1 };
/** For the lsgd tests: scripted tabs send no heartbeats, and a stall of the loaded machine past the default 1 s would
 *  make the leader ineligible and lapse its upload request before its copy is checked. */
const lsgdStretch = { ...everyStretch, heartbeatTimeoutMs: 30_000 };
const runOf = (hyper: Record<string, unknown> = {}) => ({ algorithm: 'local', hyper: { ...RATES, batch: BATCH, tau: TAU, ...hyper } });

async function tab(flock: { url: string }, machine: string, label: string): Promise<ProvingTab> {
  const t = new ProvingTab(flock.url, machine, label);
  assert.ok((await t.hello()).ok);
  return t;
}

test('an honest tab passes every proof and is credited exactly the proved samples; the leaderboard shows only that', async () => {
  const flock = await startTestFlock(everyStretch);
  try {
    const runId = await createAndStart(flock, runOf());
    const honest = await tab(flock, 'm1', 't1');
    const silent = new TestWorker(flock.url, 'm2', 't2');
    await silent.hello();
    await silent.report(500, 0.5);
    await honest.trainAndReport(TAU);
    assert.equal(honest.lastProof, null, 'nothing to prove before a second commitment');
    for (let i = 0; i < 4; i++) {
      await honest.trainAndReport(TAU);
      const request: ProofRequest = honest.lastProof!;
      assert.deepEqual({ from: request.from, to: request.to }, { from: (i + 1) * TAU, to: (i + 2) * TAU });
      const reply = await honest.prove(request);
      assert.deepEqual(reply, { ok: true, passed: true, samples: TAU * BATCH, reason: null });
    }
    const proofs = await api(flock, 'GET', `/api/runs/${runId}/proofs`);
    assert.deepEqual(proofs.body.map((r: { workerId: string; verifiedSamples: number; passed: number; failed: number }) => [r.workerId, r.verifiedSamples, r.passed, r.failed]), [[honest.workerId, 4 * TAU * BATCH, 4, 0]]);
    const board = await api(flock, 'GET', '/api/leaderboard', undefined, null);
    assert.equal(board.status, 200);
    assert.equal(board.body.machines.length, 1, 'a tab that only claims steps is not on the board');
    assert.equal(board.body.machines[0].verifiedSamples, 4 * TAU * BATCH);
    assert.equal(board.body.tabs[0].verifiedSamples, 4 * TAU * BATCH);
    const text = JSON.stringify(board.body);
    assert.ok(!text.includes(honest.workerId!) && !text.includes(honest.machineId!), 'no ids in public');
    honest.close();
    silent.close();
  } finally {
    await flock.close();
  }
});

test('a tab that skips steps fails its proof, is quarantined and earns nothing; later commitments are not asked for', async () => {
  const flock = await startTestFlock(everyStretch);
  try {
    const runId = await createAndStart(flock, runOf());
    const skipper = await tab(flock, 'm1', 't1');
    await skipper.trainAndReport(TAU);
    await skipper.trainAndReport(TAU - 1, TAU);
    const reply = await skipper.prove(skipper.lastProof!);
    assert.ok(reply.ok && !reply.passed && reply.samples === 0, JSON.stringify(reply));
    assert.match(reply.ok ? reply.reason! : '', /replayed elsewhere than claimed/);
    await skipper.trainAndReport(TAU);
    assert.equal(skipper.lastProof, null);
    assert.equal((await skipper.report(skipper.step, 1)).ok && skipper.roles?.quarantined, true);
    const proofs = await api(flock, 'GET', `/api/runs/${runId}/proofs`);
    assert.deepEqual(proofs.body.map((r: { verifiedSamples: number; failed: number }) => [r.verifiedSamples, r.failed]), [[0, 1]]);
    const events = await api(flock, 'GET', `/api/runs/${runId}/events`);
    assert.ok(events.body.some((e: { kind: string; workerId: string }) => e.kind === 'proof-failed' && e.workerId === skipper.workerId));
    assert.deepEqual((await api(flock, 'GET', '/api/leaderboard', undefined, null)).body, { machines: [], tabs: [] });
    skipper.close();
  } finally {
    await flock.close();
  }
});

test('adamw: an honest tab\'s stretches pass; one that skips a step, or proves its moments started elsewhere, fails', async () => {
  const flock = await startTestFlock(everyStretch);
  try {
    const adamw = { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01 };
    const lr = 0.01;
    await createAndStart(flock, runOf({ lr, optimizer: 'adamw', ...adamw }));
    const [honest, skipper, shifted] = [await tab(flock, 'm1', 't1'), await tab(flock, 'm2', 't2'), await tab(flock, 'm3', 't3')];
    for (const t of [honest, skipper, shifted]) {
      t.useAdamw(adamw, lr);
      await t.trainAndReport(TAU);
    }
    for (let i = 0; i < 2; i++) {
      await honest.trainAndReport(TAU);
      assert.deepEqual(await honest.prove(honest.lastProof!), { ok: true, passed: true, samples: TAU * BATCH, reason: null });
    }
    await skipper.trainAndReport(TAU - 1, TAU);
    const skipped = await skipper.prove(skipper.lastProof!);
    assert.ok(skipped.ok && !skipped.passed && /replayed elsewhere than claimed/.test(skipped.reason!), JSON.stringify(skipped));

    await shifted.trainAndReport(TAU);
    const request = shifted.lastProof!;
    const moved = (s: CommittedState, momentsFrom = 1) => ({ ...s, momentsFrom });
    const future = await shifted.prove(request, [moved(shifted.kept.get(request.from)!, TAU + 1), moved(shifted.kept.get(request.to)!, TAU + 1)]);
    assert.ok(!future.ok && /moments that started at step 6 cannot be in the state of step 5/.test(future.error), JSON.stringify(future));
    const claimedElsewhere = await shifted.prove(request, [moved(shifted.kept.get(request.from)!), moved(shifted.kept.get(request.to)!)]);
    assert.ok(claimedElsewhere.ok && !claimedElsewhere.passed && /not the ones committed/.test(claimedElsewhere.reason!), JSON.stringify(claimedElsewhere));
    for (const t of [honest, skipper, shifted]) t.close();
  } finally {
    await flock.close();
  }
});

test('a fast tab\'s stretch of many tau steps (its reports at most every 250 ms) is asked for and passes, up to proofMaxSteps', async () => {
  const flock = await startTestFlock({ ...everyStretch, proofMaxSteps: 12 * TAU });
  try {
    await createAndStart(flock, runOf());
    const t = await tab(flock, 'm1', 't1');
    await t.trainAndReport(TAU);
    await t.trainAndReport(10 * TAU);
    assert.deepEqual({ from: t.lastProof!.from, to: t.lastProof!.to }, { from: TAU, to: 11 * TAU });
    const reply = await t.prove(t.lastProof!);
    assert.ok(reply.ok && reply.passed && reply.samples === 10 * TAU * BATCH, JSON.stringify(reply));
    await t.trainAndReport(13 * TAU);
    assert.equal(t.lastProof, null, 'a stretch beyond proofMaxSteps is not asked for');
    t.close();
  } finally {
    await flock.close();
  }
});

test('a replayed old proof fails', async () => {
  const flock = await startTestFlock(everyStretch);
  try {
    await createAndStart(flock, runOf());
    const t = await tab(flock, 'm1', 't1');
    await t.trainAndReport(TAU);
    await t.trainAndReport(TAU);
    const first = t.lastProof!;
    assert.ok((await t.prove(first)).ok);
    const old: [CommittedState, CommittedState] = [t.kept.get(first.from)!, t.kept.get(first.to)!];
    await t.trainAndReport(TAU);
    const reply = await t.prove(t.lastProof!, old);
    assert.ok(reply.ok && !reply.passed, JSON.stringify(reply));
    assert.match(reply.ok ? reply.reason! : '', /not the ones committed at step 10 and 15/);
    // the same message again: its request is closed
    const again = await t.prove({ ...t.lastProof!, challengeId: first.challengeId });
    assert.deepEqual(again, { ok: false, error: 'this proof request is no longer open' });
    t.close();
  } finally {
    await flock.close();
  }
});

test('a proof built from a leader copy it was sent fails, whether committed or only answered', async () => {
  const flock = await startTestFlock(lsgdStretch);
  try {
    await createAndStart(flock, { ...runOf(), algorithm: 'lsgd' });
    const leader = new TestWorker(flock.url, 'm0', 'lead');
    await leader.hello();
    assert.ok((await leader.report(TAU, 0.1)).ok);
    const lazy = await tab(flock, 'm1', 't1');
    const answers = await tab(flock, 'm2', 't2');
    await lazy.report(1, 5);
    await until('a leader copy at the followers', () => lazy.lastCopy !== null && answers.lastCopy !== null, 10000);
    const copy = lazy.lastCopy!;
    const copyState = { params: copy, velocity: new Float32Array(copy.length) };

    // commits the copy as its state twice, trains nothing
    await lazy.commit(TAU, copyState);
    await lazy.commit(2 * TAU, { params: copy.map((v) => v * 1.0001), velocity: copyState.velocity });
    const lazyReply = await lazy.prove(lazy.lastProof!);
    assert.ok(lazyReply.ok && !lazyReply.passed, JSON.stringify(lazyReply));

    // trains and commits honestly, but answers with the copy as the starting state
    await answers.trainAndReport(TAU);
    await answers.trainAndReport(TAU);
    const end = answers.kept.get(2 * TAU)!;
    const reply = await answers.prove(answers.lastProof!, [copyState, end]);
    assert.ok(reply.ok && !reply.passed, JSON.stringify(reply));
    assert.match(reply.ok ? reply.reason! : '', /not the ones committed at step 5$/);
    for (const t of [leader, lazy, answers]) t.close();
  } finally {
    await flock.close();
  }
});

for (const pull of PULLS) test(`lsgd (${pull} pull): a stretch that pulls toward the copy it names passes; one that names the copy but skips the pull fails`, async () => {
  const flock = await startTestFlock(lsgdStretch);
  try {
    await createAndStart(flock, { algorithm: 'lsgd', hyper: { ...RATES, batch: BATCH, tau: TAU, lambdaL: 0, lambdaG: 0.5, pull } });
    const leader = new TestWorker(flock.url, 'm0', 'lead');
    await leader.hello();
    assert.ok((await leader.report(TAU, 0.1)).ok);
    // they report first when they commit, after the copy came: a claim before it would make them challengers whose
    // upload requests, never answered here, hold the check slot the leader's copy needs
    const [honest, skipper] = [await tab(flock, 'm1', 't1'), await tab(flock, 'm2', 't2')];
    await until('a global copy at both followers', () => honest.lastCopy !== null && skipper.lastCopy !== null, 10000).catch(async (err: Error) => {
      const events = (await api(flock, 'GET', `/api/runs/${honest.assignment!.runId}/events`)).body;
      throw new Error(`${err.message}; leader requests ${leader.requests.length}, uploads ${JSON.stringify(leader.uploads)}; followers' notices ${honest.copies.length}, ${skipper.copies.length}, errors ${JSON.stringify([...honest.errors, ...skipper.errors])}; events ${JSON.stringify(events)}`);
    });
    const copy = honest.lastCopy!;
    const named = { local: null, global: honest.copies.at(-1)!.version };
    const rates = { ...RATES, lambdaL: 0, lambdaG: 0.5 };
    /** Commits the state at step TAU naming the copy, then trains the next stretch with it pulled toward, or not. */
    const stretch = async (t: ProvingTab, pulled: boolean) => {
      const order = new MinibatchOrder(TRAIN.count, BATCH, t.assignment!.shuffleSeed);
      // trained away from the seed first, so that the pull moves it
      const start = replaySegment({ spec: TINY_SPEC, rates, train: TRAIN, order, from: 0, to: TAU, start: t.state, pulls: { local: null, global: null }, pull });
      await t.commit(TAU, start, named);
      const end = replaySegment({ spec: TINY_SPEC, rates, train: TRAIN, order, from: TAU, to: 2 * TAU, start, pulls: { local: null, global: pulled ? copy : null }, pull });
      await t.commit(2 * TAU, end);
      return t.prove(t.lastProof!);
    };
    const passed = await stretch(honest, true);
    assert.ok(passed.ok && passed.passed, JSON.stringify(passed));
    const skipped = await stretch(skipper, false);
    assert.ok(skipped.ok && !skipped.passed, JSON.stringify(skipped));
    for (const t of [leader, honest, skipper]) t.close();
  } finally {
    await flock.close();
  }
});

test('a local copy is proved with the state its leader committed: that passes, another state fails, a copy of another machine\'s leader earns no request', async () => {
  const flock = await startTestFlock(lsgdStretch);
  try {
    const rates = { ...RATES, lambdaL: 0.5, lambdaG: 0 };
    await createAndStart(flock, { algorithm: 'lsgd', hyper: { ...rates, batch: BATCH, tau: TAU, pull: 'periodic' } });
    const leader = await tab(flock, 'm1', 'lead');
    await leader.trainAndReport(TAU);
    const handle = leader.roles!.localLeader!.handle;
    assert.equal(leader.roles!.isLocalLeader, true);
    const shared = leader.kept.get(TAU)!;
    const [honest, forger, stranger] = [await tab(flock, 'm1', 'f1'), await tab(flock, 'm1', 'f2'), await tab(flock, 'm2', 'x1')];
    /** Commits step TAU naming the leader's copy, then trains the next stretch pulled toward it. */
    const stretch = async (t: ProvingTab) => {
      const order = new MinibatchOrder(TRAIN.count, BATCH, t.assignment!.shuffleSeed);
      const start = replaySegment({ spec: TINY_SPEC, rates, train: TRAIN, order, from: 0, to: TAU, start: t.state, pulls: { local: null, global: null }, pull: 'periodic' });
      // claims above the leader's, so the leader keeps its machine
      const named = { local: { leader: handle, step: TAU }, global: null };
      t.kept.set(TAU, start);
      assert.ok((await t.report(TAU, 5, { digest: await stateDigest(t.assignment!.runId, t.workerId!, TAU, start), ...named })).ok);
      const end = replaySegment({ spec: TINY_SPEC, rates, train: TRAIN, order, from: TAU, to: 2 * TAU, start, pulls: { local: shared.params, global: null }, pull: 'periodic' });
      t.kept.set(2 * TAU, end);
      const reply = await t.report(2 * TAU, 5, { digest: await stateDigest(t.assignment!.runId, t.workerId!, 2 * TAU, end), local: null, global: null });
      assert.ok(reply.ok);
      return reply.proof;
    };
    const request = (await stretch(honest))!;
    assert.deepEqual(request.local, { leader: handle, step: TAU });
    // without the local copy the proof is refused, and the request stays open
    const short = await honest.prove({ ...request, local: null });
    assert.ok(!short.ok && /expected 6 x \d+ floats/.test(short.error), JSON.stringify(short));
    const passed = await honest.prove(request, undefined, shared);
    assert.ok(passed.ok && passed.passed, JSON.stringify(passed));

    // the same stretch, proved with a local copy other than the one its leader committed
    const forged = await forger.prove((await stretch(forger))!, undefined, { params: shared.params.map((v) => v * 1.001), velocity: shared.velocity });
    assert.ok(forged.ok && !forged.passed, JSON.stringify(forged));
    assert.match(forged.ok ? forged.reason! : '', /the local copy sent is not the state its leader committed at step 5/);

    // a tab of another machine cannot hold that copy: the stretch cannot be replayed, so it is never asked for
    assert.equal(await stretch(stranger), null);
    for (const t of [leader, honest, forger, stranger]) t.close();
  } finally {
    await flock.close();
  }
});

test('bad proofs get a clear error and change nothing; an unanswered request is missed, not failed', async () => {
  const flock = await startTestFlock({ ...everyStretch, proofTimeoutMs: 300 });
  try {
    const runId = await createAndStart(flock, runOf());
    const t = await tab(flock, 'm1', 't1');
    await t.trainAndReport(TAU);
    await t.trainAndReport(TAU);
    const request = t.lastProof!;
    const send = (meta: unknown, bytes: unknown) => t.socket.timeout(5000).emitWithAck('proof', meta as never, bytes as never);
    assert.deepEqual(await send({ runId, challengeId: request.challengeId + 5 }, new Uint8Array(16)), { ok: false, error: 'a proof nobody asked for' });
    const short = await send({ runId, challengeId: request.challengeId }, new Uint8Array(16));
    assert.ok(!short.ok && /expected 4 x \d+ floats/.test(short.error), JSON.stringify(short));
    assert.ok(!(await send({ runId, challengeId: 'x' }, new Uint8Array(16))).ok);
    // the request is still open after those: the honest answer passes
    assert.ok((await t.prove(request)).ok && t.proofs.at(-1)!.ok && (t.proofs.at(-1) as { passed: boolean }).passed);
    await t.trainAndReport(TAU);
    await new Promise((r) => setTimeout(r, 900));
    const tallies = (await api(flock, 'GET', `/api/runs/${runId}/proofs`)).body;
    assert.deepEqual(tallies.map((r: { passed: number; failed: number; missed: number }) => [r.passed, r.failed, r.missed]), [[1, 0, 1]]);
    assert.equal((await t.report(t.step, 1)).ok && t.roles?.quarantined, false);
    t.close();
  } finally {
    await flock.close();
  }
});

test('a volunteer names its machine; a taken or malformed nickname is refused; tabs learn their credit', async () => {
  const flock = await startTestFlock(everyStretch);
  try {
    await createAndStart(flock, runOf());
    const a = await tab(flock, 'm1', 't1');
    const credits: unknown[] = [];
    a.socket.on('credit', (c) => credits.push(c));
    const b = await tab(flock, 'm2', 't2');
    const set = (t: TestWorker, name: unknown) => t.socket.timeout(5000).emitWithAck('nickname', { name } as never);
    const ok = await set(a, '  Ada L. ');
    assert.ok(ok.ok && ok.credit.machine.nickname === 'Ada L.' && ok.credit.machine.name === 'Ada L.', JSON.stringify(ok));
    assert.deepEqual(await set(b, 'ada l.'), { ok: false, error: 'the nickname "ada l." is taken: choose another' });
    for (const bad of ['x', '<script>', 'a'.repeat(25), 42]) assert.equal((await set(b, bad)).ok, false, `nickname ${JSON.stringify(bad)}`);
    await a.trainAndReport(TAU);
    await a.trainAndReport(TAU);
    await a.prove(a.lastProof!);
    await until('a credit message', () => credits.length > 0);
    const board = (await api(flock, 'GET', '/api/leaderboard', undefined, null)).body;
    assert.equal(board.machines[0].name, 'Ada L.');
    assert.match(board.tabs[0].name, /^Ada L\. \/ tab [0-9a-f]{4}$/);
    a.close();
    b.close();
  } finally {
    await flock.close();
  }
});

test('sync-sgd: the gradient a tab sends is its proof; an honest one is credited, a sign-flipped one quarantines', async () => {
  const flock = await startTestFlock(everyStretch);
  try {
    const runId = await createAndStart(flock, { algorithm: 'sync-sgd', hyper: { ...RATES, batch: BATCH, tau: TAU } });
    const honest = await tab(flock, 'm1', 't1');
    const flipper = await tab(flock, 'm2', 't2');
    const model = initialParameters(TINY_SPEC, 3);
    const gradientOf = (t: TestWorker) => Float32Array.from(segmentGradient(TINY_SPEC, TRAIN, new MinibatchOrder(TRAIN.count, BATCH, t.assignment!.shuffleSeed), 0, model));
    const send = (t: TestWorker, g: Float32Array) => t.socket.timeout(5000).emitWithAck('gradient', { runId, step: 0 }, weightsToBytes(g));
    assert.deepEqual(await send(honest, gradientOf(honest)), { ok: true });
    assert.deepEqual(await send(flipper, gradientOf(flipper).map((v) => -v)), { ok: true });
    type Tally = { workerId: string; verifiedSamples: number; passed: number; failed: number };
    let tallies: Tally[] = [];
    for (let i = 0; i < 100 && tallies.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      tallies = (await api(flock, 'GET', `/api/runs/${runId}/proofs`)).body;
    }
    const of = (t: TestWorker) => tallies.find((r) => r.workerId === t.workerId)!;
    assert.deepEqual([of(honest).verifiedSamples, of(honest).passed, of(honest).failed], [BATCH, 1, 0]);
    assert.deepEqual([of(flipper).verifiedSamples, of(flipper).passed, of(flipper).failed], [0, 0, 1]);
    assert.equal((await flipper.report(1, 1)).ok && flipper.roles?.quarantined, true);
    honest.close();
    flipper.close();
  } finally {
    await flock.close();
  }
});

test('easgd: a tab commits to its state after each elastic exchange; honest stretches pass, a pull it skipped fails', async () => {
  const flock = await startTestFlock(everyStretch);
  try {
    await createAndStart(flock, { algorithm: 'easgd', hyper: { ...RATES, alpha: 0.3, batch: BATCH, tau: TAU } });
    const [honest, stubborn] = [await tab(flock, 'm1', 't1'), await tab(flock, 'm2', 't2')];
    /** Trains a stretch, pushes, takes the pull (or not), commits the state after it and keeps the one before. */
    const stretch = async (t: ProvingTab, pull: boolean) => {
      const order = new MinibatchOrder(TRAIN.count, BATCH, t.assignment!.shuffleSeed);
      const end = replaySegment({ spec: TINY_SPEC, rates: { ...RATES, lambdaL: 0, lambdaG: 0 }, train: TRAIN, order, from: t.step, to: t.step + TAU, start: t.state, pulls: { local: null, global: null }, pull: 'periodic' });
      const step = t.step + TAU;
      const [reply, center] = await new Promise<[{ ok: boolean; version?: number }, Float32Array]>((resolve) => {
        t.socket.emit('push', { runId: t.assignment!.runId, step, lossEstimate: 1 }, weightsToBytes(end.params), (r, c) => resolve([r as { ok: boolean; version?: number }, new Float32Array(new Uint8Array(c as Uint8Array).buffer)]));
      });
      assert.ok(reply.ok, JSON.stringify(reply));
      t.state = pull ? { params: Float32Array.from(easgdWorkerPull(end.params, center, 0.3)), velocity: end.velocity } : end;
      t.kept.set(step, t.state);
      const digest = await stateDigest(t.assignment!.runId, t.workerId!, step, t.state);
      const r = await t.report(step, 1, { digest, local: null, global: null, exchange: reply.version! });
      assert.ok(r.ok);
      t.lastProof = r.proof;
      return end;
    };
    await stretch(honest, true);
    for (let i = 0; i < 3; i++) {
      const end = await stretch(honest, true);
      const request = honest.lastProof!;
      const reply = await honest.prove(request, [honest.kept.get(request.from)!, end]);
      assert.deepEqual(reply, { ok: true, passed: true, samples: TAU * BATCH, reason: null });
    }
    await stretch(stubborn, false);
    const end = await stretch(stubborn, false);
    const reply = await stubborn.prove(stubborn.lastProof!, [stubborn.kept.get(stubborn.lastProof!.from)!, end]);
    assert.ok(reply.ok && !reply.passed, JSON.stringify(reply));
    honest.close();
    stubborn.close();
  } finally {
    await flock.close();
  }
});
