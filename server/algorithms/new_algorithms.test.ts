import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelSpec } from '../../shared/model.ts';
import { seededNormal } from '../../shared/random.ts';
import { grawaCenter } from '../../shared/reference/grawa.ts';
import { parleReference } from '../../shared/reference/parle.ts';
import { pushSumExchange } from '../../shared/reference/sgp.ts';
import type { Hyper } from '../../shared/run_config.ts';
import { boundedGradNorms, Grawa, GRAWA_NORM_FLOOR } from './grawa.ts';
import type { AlgorithmHost, Member } from './host.ts';
import { Parle } from './parle.ts';
import type { PushAnswer } from './push_exchange.ts';
import { Sgp } from './sgp.ts';

const HYPER: Hyper = { lr: 0.1, momentum: 0, batch: 8, tau: 4, lambdaL: 0, lambdaG: 0 } as Hyper;
const SPEC: ModelSpec = { name: 'small', input: { height: 1, width: 1, channels: 1 }, classes: 2, layers: [{ kind: 'dense', units: 2 }] };

/** A host over a member list the test edits, recording what the algorithm asks of it. */
function fakeHost(members: Member[]) {
  const log = { down: 0, rounds: [] as number[], models: [] as { weights: Float32Array; source: string }[], evaluations: 0 };
  const host: AlgorithmHost = {
    runId: 1, paramLength: 3, hyper: HYPER, spec: SPEC,
    heldOut: () => ({ count: 0, pixels: new Uint8Array(0), labels: new Uint8Array(0) }),
    members: () => members,
    countUp: () => {},
    countDown: (_, b) => void (log.down += b),
    closeRound: (step) => void log.rounds.push(step),
    setModel: (weights, _, source) => void log.models.push({ weights, source }),
    evaluateModel: () => void log.evaluations++,
    broadcastGradient: () => assert.fail('no aggregates here'),
    requestUpload: () => assert.fail('no uploads here'),
  };
  return { host, log };
}

const membersOf = (...ids: string[]): Member[] => ids.map((workerId) => ({ workerId, loss: 1 }));
const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) => Array.from(b).forEach((v, i) => assert.ok(Math.abs(a[i] - v) <= tol, `[${i}] ${a[i]} vs ${v}`));
const answer = (got: PushAnswer | string): PushAnswer => {
  if (typeof got === 'string') assert.fail(got);
  return got;
};
const vec = (...v: number[]) => Float32Array.from(v);

test('sgp: a push leaves half with the peer\'s mailbox and takes what its own mailbox gathered, worked by hand', () => {
  const { host, log } = fakeHost(membersOf('b', 'a'));
  const sgp = new Sgp(host);
  const xa = vec(2, 0, 4);
  const xb = vec(0, 6, 2);
  // a (rank 0 of 2) pushes to b; its mailbox is empty: it keeps (x_a, 1/2)
  const first = answer(sgp.onPush('a', xa, 4));
  near(first.weights, xa);
  assert.equal(first.weight, 0.5);
  // b keeps (x_b / 2, 1/2) and adds a's half (x_a / 2, 1/2): the mean, with weight 1
  const second = answer(sgp.onPush('b', xb, 4));
  near(second.weights, [1, 3, 3]);
  assert.equal(second.weight, 1);
  // a again: (x_a' / 4, 1/4) plus b's half (x_b / 2, 1/2)
  const xa2 = vec(4, 4, 4);
  const third = answer(sgp.onPush('a', xa2, 8));
  const want = pushSumExchange(xa2, 0.5, { z: Float64Array.from(xb, (v) => v / 2), w: 0.5 });
  near(third.weights, want.x);
  assert.equal(third.weight, 0.75);
  assert.equal(sgp.weightOf('a'), 0.75);
  assert.deepEqual([first.version, second.version, third.version], [1, 2, 3]);
  assert.deepEqual(log.rounds, [4, 4, 8]);
  assert.equal(log.down, 3 * 3 * 4);
  assert.equal(log.models.at(-1)!.weights, third.weights);
});

test('sgp: members that push back what they were given keep the total mass and all reach the average of their starts', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const { host } = fakeHost(membersOf(...ids));
  const sgp = new Sgp(host);
  const normal = seededNormal(41);
  const x = new Map<string, Float32Array>(ids.map((id) => [id, Float32Array.from({ length: 3 }, normal)]));
  const average = [0, 1, 2].map((i) => ids.reduce((s, id) => s + x.get(id)![i], 0) / ids.length);
  const order = seededNormal(42);
  for (let k = 0; k < 400; k++) {
    const id = ids[Math.floor(Math.abs(order() * 1000)) % ids.length];
    x.set(id, answer(sgp.onPush(id, x.get(id)!, k)).weights);
  }
  // then in turn: halves still in mailboxes are taken and spread
  for (let round = 0; round < 12; round++) for (const id of ids) x.set(id, answer(sgp.onPush(id, x.get(id)!, 400 + round)).weights);
  for (const id of ids) near(x.get(id)!, average, 1e-4);
});

test('sgp: a worker that is not a member is refused and changes nothing; alone, a worker keeps all it has; leavers are forgotten', () => {
  const members = membersOf('a');
  const { host, log } = fakeHost(members);
  const sgp = new Sgp(host);
  assert.match(sgp.onPush('z', vec(1, 1, 1), 1) as string, /not a member now/);
  assert.equal(log.rounds.length, 0);
  const alone = answer(sgp.onPush('a', vec(1, 2, 3), 4));
  near(alone.weights, [1, 2, 3]);
  assert.equal(alone.weight, 1);
  members.push({ workerId: 'b', loss: 1 });
  answer(sgp.onPush('a', vec(1, 2, 3), 8));
  assert.equal(sgp.weightOf('a'), 0.5);
  members.splice(0, 1);
  sgp.membershipChanged();
  assert.equal(sgp.weightOf('a'), 1, 'a left: its weight went with it');
  // b's mailbox, with a's half, went nowhere: b takes it at its push
  const b = answer(sgp.onPush('b', vec(3, 2, 1), 8));
  near(b.weights, [3, 2, 1]);
});

test('parle: the reference answered is the mean of every member\'s latest replica', () => {
  const members = membersOf('a', 'b');
  const { host, log } = fakeHost(members);
  const parle = new Parle(host, vec(0, 0, 0));
  near(answer(parle.onPush('a', vec(2, 4, 6), 4)).weights, [2, 4, 6]);
  near(answer(parle.onPush('b', vec(0, 2, 0), 4)).weights, [1, 3, 3]);
  const third = answer(parle.onPush('a', vec(4, 0, 2), 8));
  near(third.weights, parleReference([vec(4, 0, 2), vec(0, 2, 0)]));
  near(parle.weights, third.weights);
  assert.deepEqual(log.models.map((m) => m.source), ['reference', 'reference', 'reference']);
  // a leaves: its replica no longer counts
  members.splice(0, 1);
  near(answer(parle.onPush('b', vec(1, 1, 1), 8)).weights, [1, 1, 1]);
  assert.match(parle.onPush('a', vec(9, 9, 9), 12) as string, /not a member now/);
  near(parle.weights, [1, 1, 1]);
  assert.equal(log.down, 4 * 3 * 4);
  parle.evaluationDue();
  assert.equal(log.evaluations, 1);
});

test('grawa: the center weights each member\'s latest weights by the inverse of its gradient norm', () => {
  const { host, log } = fakeHost(membersOf('a', 'b'));
  const grawa = new Grawa(host, vec(0, 0, 0));
  near(answer(grawa.onPush('a', vec(0, 0, 3), 4, { gradNorm: 1 })).weights, [0, 0, 3]);
  // weights 1 and 1/2
  near(answer(grawa.onPush('b', vec(3, 6, 0), 4, { gradNorm: 2 })).weights, [1, 2, 2]);
  const third = answer(grawa.onPush('a', vec(6, 0, 0), 8, { gradNorm: 0.5 }));
  near(third.weights, grawaCenter([{ x: vec(6, 0, 0), gradNorm: 0.5 }, { x: vec(3, 6, 0), gradNorm: 2 }]));
  assert.deepEqual(log.rounds, [4, 4, 8]);
  assert.match(grawa.onPush('a', vec(1, 1, 1), 12, {}) as string, /needs the gradient norm/);
  assert.match(grawa.onPush('a', vec(1, 1, 1), 12, { gradNorm: 0 }) as string, /gradNorm > 0/);
  assert.match(grawa.onPush('z', vec(1, 1, 1), 12, { gradNorm: 1 }) as string, /not a member now/);
  near(grawa.weights, third.weights);
});

test('grawa: a tab claiming a tiny gradient norm weighs at most 1 / GRAWA_NORM_FLOOR times the median tab', () => {
  assert.deepEqual(boundedGradNorms([1, 1, 1, 1e-12]), [1, 1, 1, GRAWA_NORM_FLOOR]);
  assert.deepEqual(boundedGradNorms([2, 4, 1e6]), [2, 4, 1e6]);
  assert.deepEqual(boundedGradNorms([]), []);
  const { host } = fakeHost(membersOf('a', 'b', 'c', 'liar'));
  const grawa = new Grawa(host, vec(0, 0, 0));
  for (const id of ['a', 'b', 'c']) grawa.onPush(id, vec(0, 0, 0), 4, { gradNorm: 1 });
  const center = answer(grawa.onPush('liar', vec(13, 13, 13), 4, { gradNorm: 1e-12 })).weights;
  // weights 1, 1, 1 and 10: the liar's share is 10 / 13
  near(center, [10, 10, 10], 1e-4);
});
