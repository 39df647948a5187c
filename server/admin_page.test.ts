import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startTestFlock } from './test_support.ts';

test('/admin leads to the dashboard page, whose login checks the token', async () => {
  const flock = await startTestFlock();
  try {
    const res = await fetch(`${flock.url}/admin`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/admin.html');
    assert.equal((await api(flock, 'GET', '/api/admin/session')).status, 200);
    assert.equal((await api(flock, 'GET', '/api/admin/session', undefined, 'wrong-token')).status, 401);
  } finally {
    await flock.close();
  }
});
