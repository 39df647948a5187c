// Downloading a copy: hash-checked, retried after a lost connection or a server error, never after a 4xx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { downloadCopy } from './copy_fetch.ts';
import type { CopyNotice } from './protocol.ts';

const bytes = Uint8Array.from({ length: 64 }, (_, i) => i);
const notice: CopyNotice = { runId: 1, version: 2, step: 10, encoding: 'f32', bytes: 64, sha256: createHash('sha256').update(bytes).digest('hex') };

/** A server that answers the n-th request with `answers[n]` (the last one from then on); returns its origin. */
async function serve(answers: ((res: ServerResponse, req: IncomingMessage) => void)[], t: { after: (f: () => void) => void }): Promise<{ origin: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    answers[Math.min(requests.length, answers.length) - 1](res, req);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const ok = (res: ServerResponse) => res.end(bytes);
const status = (code: number) => (res: ServerResponse) => res.writeHead(code).end('no');
const drop = (res: ServerResponse) => res.socket!.destroy();

test('a copy is fetched from its URL for the tab that asks, and its bytes must hash as the notice says', async (t) => {
  const { origin, requests } = await serve([ok], t);
  assert.deepEqual(await downloadCopy(origin, notice, 't-1'), bytes);
  assert.equal(requests[0].url, '/api/runs/1/copies/2');
  assert.equal(requests[0].headers['x-flock-tab'], 't-1');
  await assert.rejects(downloadCopy(origin, { ...notice, sha256: '0'.repeat(64) }, 't-1'), /hash to .*not the 0{64} its notice gave/);
});

test('a dropped connection or a 5xx is retried; a 404 is final', async (t) => {
  const flaky = await serve([drop, status(503), ok], t);
  assert.deepEqual(await downloadCopy(flaky.origin, notice, 't-1'), bytes);
  assert.equal(flaky.requests.length, 3);
  const gone = await serve([status(404), ok], t);
  await assert.rejects(downloadCopy(gone.origin, notice, 't-1'), /HTTP 404/);
  assert.equal(gone.requests.length, 1);
  const down = await serve([status(500)], t);
  await assert.rejects(downloadCopy(down.origin, notice, 't-1'), /HTTP 500/);
  assert.equal(down.requests.length, 3);
});
