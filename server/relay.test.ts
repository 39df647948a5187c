import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterDelivery, leadersToAsk, planDeliveries, type CurrentCopies, type Follower } from './relay.ts';

test('a leader is asked to upload when it has no copy or its copy is tau steps old, once at a time', () => {
  const asked = leadersToAsk(
    [
      { workerId: 'new', reportedStep: 10, copyStep: null, uploadPending: false },
      { workerId: 'fresh', reportedStep: 19, copyStep: 10, uploadPending: false },
      { workerId: 'stale', reportedStep: 20, copyStep: 10, uploadPending: false },
      { workerId: 'pending', reportedStep: 50, copyStep: 10, uploadPending: true },
    ],
    10,
  );
  assert.deepEqual(asked, ['new', 'stale']);
});

const f = (workerId: string, groupId: string, heldLocal = 0, heldGlobal = 0): Follower => ({ workerId, groupId, heldLocal, heldGlobal });

// Machines A (a1 leads, also global) and B (b1 leads).
const current: CurrentCopies = {
  local: new Map([
    ['A', { leaderId: 'a1', version: 3, step: 30 }],
    ['B', { leaderId: 'b1', version: 2, step: 20 }],
  ]),
  global: { leaderId: 'a1', version: 3, step: 30 },
  localLeaders: new Map([['A', 'a1'], ['B', 'b1']]),
  globalLeader: 'a1',
};

test('followers get exactly the copies whose version they lack; leaders get none of their own', () => {
  const plan = planDeliveries([f('a1', 'A'), f('a2', 'A'), f('a3', 'A', 3, 3), f('b1', 'B'), f('b2', 'B'), f('b3', 'B', 2, 0)], current, { local: true, global: true });
  const byKey = Object.fromEntries(plan.map((d) => [`${d.kind}:${d.copy.version}`, d.workerIds.sort()]));
  assert.deepEqual(byKey, {
    'both:3': ['a2'],
    'local:2': ['b2'],
    'global:3': ['b1', 'b2', 'b3'],
  });
});

test('a zero lambda turns its pull and its downloads off', () => {
  const plan = planDeliveries([f('a2', 'A'), f('b2', 'B')], current, { local: false, global: true });
  assert.deepEqual(plan.map((d) => [d.kind, d.workerIds]), [['global', ['a2', 'b2']]]);
  assert.deepEqual(planDeliveries([f('a2', 'A'), f('b2', 'B')], current, { local: false, global: false }), []);
});

test('after delivery a follower is up to date and nothing is planned again', () => {
  let followers = [f('a2', 'A'), f('b2', 'B')];
  for (const d of planDeliveries(followers, current, { local: true, global: true })) {
    followers = followers.map((x) => (d.workerIds.includes(x.workerId) ? afterDelivery(x, d) : x));
  }
  assert.deepEqual(planDeliveries(followers, current, { local: true, global: true }), []);
});
