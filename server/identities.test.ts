import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identities } from './identities.ts';

const secret = (c: string) => c.repeat(64);

test('a fresh hello is issued a tab and a machine; resuming needs the tab secret and its machine', () => {
  const ids = new Identities({ perAddressPerMinute: 10 });
  const first = ids.admit({}, '10.0.0.1', 0);
  assert.ok(first.ok && first.credentials && !first.resumed);
  const { machine, tab } = first.credentials;
  assert.match(machine.secret, /^[0-9a-f]{64}$/);
  assert.notEqual(machine.secret, tab.secret);
  const again = ids.admit({ machine, tab }, '10.0.0.2', 1);
  assert.ok(again.ok && again.resumed && again.tabId === tab.id && again.credentials === null);
  assert.deepEqual(ids.admit({ machine, tab: { ...tab, secret: secret('0') } }, '10.0.0.1', 2), { ok: false, refused: 'credential', error: `wrong credential for tab ${tab.id}` });
  assert.equal(ids.admit({ tab }, '10.0.0.1', 3).ok, false, 'a tab without its machine credential');
});

test('a second tab joins the machine with its credential; a wrong machine secret is refused', () => {
  const ids = new Identities({ perAddressPerMinute: 10 });
  const first = ids.admit({}, 'a', 0);
  assert.ok(first.ok && first.credentials);
  const second = ids.admit({ machine: first.credentials.machine }, 'a', 1);
  assert.ok(second.ok && second.machineId === first.machineId && second.tabId !== first.tabId);
  const forged = ids.admit({ machine: { id: first.machineId, secret: secret('f') } }, 'b', 2);
  assert.equal(forged.ok, false);
});

test('credentials the coordinator no longer knows (a restart, an expiry) are taken up again, so a browser stays one machine', () => {
  const before = new Identities({ perAddressPerMinute: 10 });
  const a = before.admit({}, 'x', 0);
  assert.ok(a.ok && a.credentials);
  const b = before.admit({ machine: a.credentials.machine }, 'x', 0);
  assert.ok(b.ok && b.credentials);
  const after = new Identities({ perAddressPerMinute: 10 });
  const a2 = after.admit(a.credentials, 'x', 1);
  const b2 = after.admit(b.credentials, 'x', 1);
  assert.ok(a2.ok && b2.ok);
  assert.equal(a2.tabId, a.tabId);
  assert.equal(b2.machineId, a2.machineId);
  // and once taken up, the secret is needed again
  assert.equal(after.admit({ machine: a.credentials.machine, tab: { id: a.tabId, secret: secret('1') } }, 'y', 2).ok, false);
});

test('each address is issued at most perAddressPerMinute new tabs a minute; resuming is not limited', () => {
  const ids = new Identities({ perAddressPerMinute: 3 });
  const got = Array.from({ length: 5 }, (_, i) => ids.admit({}, 'flood', i));
  assert.deepEqual(got.map((g) => g.ok), [true, true, true, false, false]);
  assert.match((got[3] as { error: string }).error, /too many new tabs from flood/);
  assert.equal(ids.admit({}, 'other', 5).ok, true, 'another address is not affected');
  const first = got[0];
  assert.ok(first.ok && first.credentials);
  assert.equal(ids.admit(first.credentials, 'flood', 6).ok, true);
  assert.equal(ids.admit({}, 'flood', 60_010).ok, true, 'a minute later');
});

test('forgotten tabs free their machine once it has been idle; sweeping bounds the state', () => {
  const ids = new Identities({ perAddressPerMinute: 1000 });
  for (let i = 0; i < 100; i++) {
    const a = ids.admit({}, 'churn', i);
    assert.ok(a.ok);
    ids.forget(a.tabId);
  }
  assert.deepEqual(ids.size, { tabs: 0, machines: 100 });
  ids.sweep(70_000, 1000);
  assert.deepEqual(ids.size, { tabs: 0, machines: 0 });
});
