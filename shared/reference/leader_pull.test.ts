import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globalPullDue, leaderPull } from './leader_pull.ts';

test('the pull interpolates toward the local leader, then toward the global one', () => {
  const x = [1, -2, 4];
  const local = [3, 0, 4];
  const global = [0, 0, 0];
  const got = leaderPull(x, local, global, { lambdaL: 0.5, lambdaG: 0.1 });
  // after the local pull: [2, -1, 4]; after the global: 0.9 of that
  assert.deepEqual([...got].map((v) => +v.toFixed(12)), [1.8, -0.9, 3.6]);
  assert.deepEqual([...leaderPull(x, null, null, { lambdaL: 0.5, lambdaG: 0.1 })], x, 'no leader, no move');
  assert.deepEqual([...leaderPull(x, local, null, { lambdaL: 1, lambdaG: 0 })], local, 'lambda 1 jumps to the leader');
});

test('float32 rounding follows a tab buffer; a leader of another length is refused', () => {
  const got = leaderPull([0.1], [0.7], null, { lambdaL: 0.3, lambdaG: 0 }, true);
  assert.equal(got[0], Math.fround(got[0]));
  assert.throws(() => leaderPull([1, 2], [1], null, { lambdaL: 0.1, lambdaG: 0 }), /local leader has 1 values, params has 2/);
});

test('the global pull is due once per tauG steps, at the first communication step at or past each multiple', () => {
  assert.equal(globalPullDue(0, 10, 10), true);
  assert.equal(globalPullDue(10, 20, 40), false);
  assert.equal(globalPullDue(30, 40, 40), true);
  assert.equal(globalPullDue(38, 48, 40), true, 'a tab that joined at step 38 reports at 48');
  assert.equal(globalPullDue(48, 58, 40), false);
  const due = [];
  for (let s = 10; s <= 200; s += 10) if (globalPullDue(s - 10, s, 50)) due.push(s);
  assert.deepEqual(due, [50, 100, 150, 200]);
});
