import { test } from 'node:test';
import assert from 'node:assert/strict';
import { elect, leaderChanges, type Candidate, type Leaders } from './election.ts';

const none: Leaders = { local: new Map(), global: null };
const c = (workerId: string, groupId: string, loss: number | null, eligible = true): Candidate => ({ workerId, groupId, loss, eligible });

test('each group gets its lowest-loss worker and the global leader is the lowest of all', () => {
  const r = elect([c('a1', 'A', 2), c('a2', 'A', 1.5), c('a3', 'A', 3), c('b1', 'B', 1.2), c('b2', 'B', 0.9), c('b3', 'B', 1)], none);
  assert.deepEqual(Object.fromEntries(r.local), { A: 'a2', B: 'b2' });
  assert.equal(r.global, 'b2');
});

test('ineligible workers and workers that have not reported are never elected', () => {
  const r = elect([c('a1', 'A', 0.1, false), c('a2', 'A', null), c('a3', 'A', 2), c('b1', 'B', null)], none);
  assert.deepEqual(Object.fromEntries(r.local), { A: 'a3' });
  assert.equal(r.global, 'a3');
  assert.deepEqual(elect([c('x', 'X', null)], none), { local: new Map(), global: null });
});

test('ties break by worker id so every election over the same data agrees', () => {
  const r = elect([c('b', 'G', 1), c('a', 'G', 1), c('c', 'H', 1)], none);
  assert.equal(r.global, 'a');
  assert.equal(r.local.get('G'), 'a');
});

test('hysteresis keeps an incumbent against a challenger that is only slightly better', () => {
  const incumbents: Leaders = { local: new Map([['A', 'a1']]), global: 'a1' };
  const slightly = elect([c('a1', 'A', 1), c('a2', 'A', 0.97)], incumbents, 0.05);
  assert.equal(slightly.global, 'a1');
  assert.equal(slightly.local.get('A'), 'a1');
  const clearly = elect([c('a1', 'A', 1), c('a2', 'A', 0.9)], incumbents, 0.05);
  assert.equal(clearly.global, 'a2');
  assert.equal(clearly.local.get('A'), 'a2');
});

test('a leader that drops out is replaced by the next best', () => {
  const before = elect([c('a1', 'A', 1), c('a2', 'A', 2), c('b1', 'B', 3)], none);
  const after = elect([c('a1', 'A', 1, false), c('a2', 'A', 2), c('b1', 'B', 3)], before, 0.5);
  assert.equal(after.global, 'a2');
  assert.deepEqual(leaderChanges(before, after), { groups: ['A'], global: true });
});

test('the global leader always leads its own group, even against a kept local incumbent', () => {
  const incumbents: Leaders = { local: new Map([['A', 'a1']]), global: 'b1' };
  const r = elect([c('a1', 'A', 1), c('a2', 'A', 0.5), c('b1', 'B', 2)], incumbents, 0.6);
  assert.equal(r.global, 'a2');
  assert.equal(r.local.get('A'), 'a2');
});
