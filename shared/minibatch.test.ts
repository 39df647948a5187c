import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MinibatchOrder } from './minibatch.ts';

test('each epoch is a permutation in whole batches, named by the step alone', () => {
  const order = new MinibatchOrder(103, 10, 42);
  assert.equal(order.stepsPerEpoch, 10);
  for (const epoch of [0, 1, 7]) {
    const seen = new Set<number>();
    for (let s = 0; s < 10; s++) for (const i of order.indices(epoch * 10 + s)) seen.add(i);
    assert.equal(seen.size, 100, `epoch ${epoch}: 100 distinct samples (3 dropped)`);
    assert.ok([...seen].every((i) => i < 103));
  }
  // asked out of order, or by another instance, a step names the same samples
  const late = Array.from(new MinibatchOrder(103, 10, 42).indices(75));
  order.indices(3);
  assert.deepEqual(Array.from(order.indices(75)), late);
  assert.notDeepEqual(Array.from(order.indices(5)), Array.from(order.indices(15)), 'epochs are shuffled afresh');
  assert.notDeepEqual(Array.from(new MinibatchOrder(103, 10, 43).indices(75)), late, 'another seed, another order');
});

test('impossible orders and steps are refused with a reason', () => {
  assert.throws(() => new MinibatchOrder(5, 10, 1), /at least that many samples/);
  assert.throws(() => new MinibatchOrder(50, 0, 1), /minibatches of 0/);
  assert.throws(() => new MinibatchOrder(50, 10, 1).indices(-1), /whole numbers/);
  assert.throws(() => new MinibatchOrder(50, 10, 1).indices(1.5), /whole numbers/);
});
