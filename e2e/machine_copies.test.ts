// One download per machine, in real headless Chromium: 2 machines x 3 tabs train an LSGD mlp whose copies travel
// as f16. Local copies stay inside each browser (BroadcastChannel), each global copy is downloaded once per machine
// (a Web Lock and Cache Storage), and still every tab pulls toward both of its leaders, proves what it trained, and
// a tab that joins late gets the current copies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright';
import { launchBrowser } from './browser.ts';
import { buildClient } from '../server/client_build.ts';
import { adminGet, E2E_TOKEN, startE2eFlock, until } from './flock_server.ts';
import { openSwarm, openTab, tabState, type Swarm, type SwarmTab } from './swarm.ts';
import type { Flock } from '../server/app.ts';
import { encodedByteLength } from '../shared/copy_encoding.ts';

const MACHINES = 2;
const TABS = 3;
let flock: Flock;
let browser: Browser;
let swarm: Swarm;

const api = <T>(path: string) => adminGet<T>(flock.url, path);

async function post<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${flock.url}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${E2E_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

before(async () => {
  await buildClient();
  flock = await startE2eFlock({ heartbeatMs: 1000, heartbeatTimeoutMs: 5000, proofProbability: 0.3 });
  browser = await launchBrowser();
  swarm = await openSwarm({ url: `${flock.url}/`, machines: MACHINES, tabs: TABS, browser });
});

after(async () => {
  await swarm?.close();
  await browser?.close();
  await flock?.close();
});

/** Whether a tab's last report pulled toward what its roles call for: a follower toward both leaders, a local leader
 *  toward the global one, the global leader toward nothing. */
async function pullsBoth(t: SwarmTab): Promise<boolean> {
  const s = await tabState(t.page);
  const local = /this machine's leader/.test(s.following);
  const global = /the global copy v\d+/.test(s.following);
  if (s.globalLeader) return true;
  if (s.localLeader) return global;
  return local && global;
}

test('2 machines x 3 tabs: the server sends each global copy once per machine, and every tab pulls toward both leaders', async () => {
  for (const t of swarm.tabs) await t.page.locator('#status', { hasText: 'waiting for a run' }).waitFor({ timeout: 60_000 });
  const run = await post<{ id: number; paramLength: number }>('/api/runs', {
    name: 'e2e machine copies', model: 'mlp', dataset: 'mnist', algorithm: 'lsgd', copyEncoding: 'f16',
    hyper: { lr: 0.05, momentum: 0.9, batch: 64, tau: 10, lambdaL: 0.1, lambdaG: 0.1, pull: 'periodic' }, stop: { minutes: 30 }, seed: 1,
  });
  await post(`/api/runs/${run.id}/start`);
  for (const t of swarm.tabs) await t.page.locator('#status', { hasText: /^training$/ }).waitFor({ timeout: 300_000 });

  await until('every tab pulling toward its leaders', async () => (await Promise.all(swarm.tabs.map(pullsBoth))).every(Boolean), 180_000);
  type Round = { round: number; downloads: number; bytesDown: number };
  await until('6 rounds', async () => (await api<{ rounds: Round[] }>(`/api/runs/${run.id}/metrics`)).rounds.length >= 6, 180_000);

  // a tab that joins machine 0 late is told of the current global copy and gets its machine's local copy
  const late = await openTab(swarm.contexts[0], `${flock.url}/`, 0, TABS);
  swarm.tabs.push(late);
  await until('the late tab pulling toward both leaders', () => pullsBoth(late), 120_000);

  await post(`/api/runs/${run.id}/stop`);
  await new Promise((r) => setTimeout(r, 2000));
  const { rounds } = await api<{ rounds: Round[] }>(`/api/runs/${run.id}/metrics`);
  const copyBytes = encodedByteLength(run.paramLength, 'f16');
  const downloads = rounds.reduce((n, r) => n + r.downloads, 0);
  const bytesDown = rounds.reduce((n, r) => n + r.bytesDown, 0);
  // every round's copy is fetched by both machines (the last ones may have been cut short by the stop); without the
  // sharing it would be once per follower: 5 (or 6) a round
  const summary = JSON.stringify({ machines: MACHINES, tabs: MACHINES * TABS + 1, rounds: rounds.length, copy_bytes: copyBytes, downloads, bytes_down: bytesDown, downloads_per_round: rounds.map((r) => r.downloads) });
  console.log(summary);
  assert.equal(bytesDown, downloads * copyBytes, `only f16 copies went down: ${summary}`);
  assert.ok(downloads <= MACHINES * rounds.length, `at most one download per machine a round: ${summary}`);
  assert.ok(downloads >= MACHINES * (rounds.length - 2), `both machines fetched every round's copy: ${summary}`);

  // the stretches that pulled toward local copies (carried in their proofs) and f16 global copies replayed right
  type Tally = { workerId: string; passed: number; failed: number };
  const tallies = await api<Tally[]>(`/api/runs/${run.id}/proofs`);
  assert.ok(tallies.reduce((n, r) => n + r.passed, 0) >= 3, JSON.stringify(tallies));
  const failures = (await api<{ kind: string; message: string }[]>(`/api/runs/${run.id}/events?limit=10000`)).filter((e) => e.kind === 'proof-failed');
  for (const r of tallies) assert.equal(r.failed, 0, `honest tab ${r.workerId}: ${JSON.stringify(r)}; ${JSON.stringify(failures)}`);
});
