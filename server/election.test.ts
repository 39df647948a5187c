import { test } from 'node:test';
import assert from 'node:assert/strict';
import { electLocal, type Candidate } from './election.ts';

const none = new Map<string, string>();
const c = (workerId: string, groupId: string, loss: number | null, eligible = true): Candidate => ({ workerId, groupId, loss, eligible });

test('each group gets its lowest-loss worker', () => {
  const r = electLocal([c('a1', 'A', 2), c('a2', 'A', 1.5), c('a3', 'A', 3), c('b1', 'B', 1.2), c('b2', 'B', 0.9), c('b3', 'B', 1)], none);
  assert.deepEqual(Object.fromEntries(r), { A: 'a2', B: 'b2' });
});

test('ineligible workers and workers that have not reported are never elected', () => {
  const r = electLocal([c('a1', 'A', 0.1, false), c('a2', 'A', null), c('a3', 'A', 2), c('b1', 'B', null)], none);
  assert.deepEqual(Object.fromEntries(r), { A: 'a3' });
  assert.deepEqual(electLocal([c('x', 'X', null)], none), new Map());
});

test('ties break by worker id so every election over the same data agrees', () => {
  const r = electLocal([c('b', 'G', 1), c('a', 'G', 1), c('c', 'H', 1)], none);
  assert.equal(r.get('G'), 'a');
});

test('hysteresis keeps an incumbent against a challenger that is only slightly better', () => {
  const incumbents = new Map([['A', 'a1']]);
  assert.equal(electLocal([c('a1', 'A', 1), c('a2', 'A', 0.97)], incumbents, 0.05).get('A'), 'a1');
  assert.equal(electLocal([c('a1', 'A', 1), c('a2', 'A', 0.9)], incumbents, 0.05).get('A'), 'a2');
});

test('a leader that drops out is replaced by the next best', () => {
  const before = electLocal([c('a1', 'A', 1), c('a2', 'A', 2), c('b1', 'B', 3)], none);
  const after = electLocal([c('a1', 'A', 1, false), c('a2', 'A', 2), c('b1', 'B', 3)], before, 0.5);
  assert.equal(after.get('A'), 'a2');
});
