// Real volunteers in real headless Chromium: 2 machines x 2 tabs train an LSGD mlp on MNIST that an admin
// created and started by clicking through the dashboard; leaders, failover, reload, download, no-WebGPU.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright';
import { launchBrowser } from './browser.ts';
import { buildClient } from '../server/client_build.ts';
import { adminGet, E2E_TOKEN, startE2eFlock, until } from './flock_server.ts';
import { openSwarm, tabState, type Swarm } from './swarm.ts';
import type { Flock } from '../server/app.ts';
import { loadDataset } from '../server/datasets/catalog.ts';
import { MODEL_PRESETS } from '../shared/model_presets.ts';
import { evaluate } from '../shared/reference/model.ts';
import { decodeSafetensors, modelFromSafetensors } from '../shared/safetensors.ts';
import { WEBGPU_MISSING } from '../client/gpu/device.ts';

const artifacts = join(import.meta.dirname, 'artifacts');
const EVAL_SAMPLES = 2000;
let flock: Flock;
let browser: Browser;
let swarm: Swarm;
let admin: Page;
let runId = 0;

const api = <T>(path: string) => adminGet<T>(flock.url, path);

const liveTabs = () => swarm.tabs.filter((t) => !t.page.isClosed());

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  await buildClient();
  flock = await startE2eFlock({ evalSamples: EVAL_SAMPLES, evalEveryRounds: 2, checkpointEveryRounds: 2, heartbeatMs: 1000, heartbeatTimeoutMs: 5000, proofProbability: 0.3 });
  browser = await launchBrowser();
  swarm = await openSwarm({ url: `${flock.url}/`, machines: 2, tabs: 2, browser });
  admin = await (await browser.newContext()).newPage();
});

after(async () => {
  await swarm?.close();
  await browser?.close();
  await flock?.close();
});

test('the admin creates and starts an mlp run in the dashboard; 4 tabs train it, 2 local leaders and 1 global leader, accuracy passes 80%', async () => {
  for (const t of swarm.tabs) await t.page.locator('#status', { hasText: 'waiting for a run' }).waitFor({ timeout: 60_000 });
  await admin.goto(`${flock.url}/admin`);
  await admin.fill('#token', E2E_TOKEN);
  await admin.click('#login');
  await admin.click('[data-action="new-run"]');
  await admin.selectOption('#preset', 'mnist-mlp');
  await admin.fill('#f-name', 'e2e volunteers');
  await admin.fill('[name="stop.targetAccuracy"]', '');
  await admin.click('[data-action="create"]');
  await admin.click('[data-action="start"]');
  await admin.locator('#run-state', { hasText: 'running' }).waitFor({ timeout: 30_000 });
  runId = (await api<{ id: number; state: string }[]>('/api/runs')).find((r) => r.state === 'running')!.id;

  for (const t of swarm.tabs) await t.page.locator('#status', { hasText: /^training$/ }).waitFor({ timeout: 120_000 });
  await admin.locator('#machines-summary', { hasText: /2 local leaders/ }).waitFor({ timeout: 60_000 });
  await admin.locator('#machines-summary', { hasText: /1 global leader/ }).waitFor({ timeout: 60_000 });
  const states = await Promise.all(swarm.tabs.map((t) => tabState(t.page)));
  assert.equal(states.filter((s) => s.globalLeader).length, 1, 'exactly one tab shows the global-leader badge');
  for (const machine of [0, 1]) {
    const badges = swarm.tabs.filter((t, i) => t.machine === machine && (states[i].localLeader || states[i].globalLeader));
    assert.ok(badges.length >= 1, `machine ${machine} has a leader badge`);
  }

  const accuracy = await until('the global leader to pass 80% test accuracy', async () => {
    const text = await admin.locator('[data-summary="best-accuracy"]').innerText();
    const v = Number.parseFloat(text);
    return v > 80 ? v : null;
  }, 240_000);
  assert.ok(accuracy > 80);
  await admin.screenshot({ path: join(artifacts, 'dashboard-training.png'), fullPage: true });
  await swarm.tabs[0].page.screenshot({ path: join(artifacts, 'volunteer-training.png'), fullPage: true });
});

test('closing the global leader tab hands the lead to another tab and training goes on', async () => {
  const states = await Promise.all(liveTabs().map((t) => tabState(t.page)));
  const leader = liveTabs()[states.findIndex((s) => s.globalLeader)];
  assert.ok(leader, 'one tab is the global leader');
  const stepBefore = (await api<{ step: number }>(`/api/runs/${runId}`)).step;
  await leader.page.close();
  const successor = await until('another tab to become global leader', async () => {
    for (const t of liveTabs()) if ((await tabState(t.page)).globalLeader) return t;
    return null;
  }, 60_000);
  assert.notEqual(successor, leader);
  await until('the run to keep stepping', async () => (await api<{ step: number }>(`/api/runs/${runId}`)).step > stepBefore, 60_000);
});

test('every tab passes every proof of work it is asked for; the leaderboard on the volunteer page and the dashboard shows verified samples only, under nicknames', async () => {
  type Tally = { workerId: string; name: string; verifiedSamples: number; passed: number; failed: number; missed: number };
  const tallies = await until('proofs from at least 3 tabs', async () => {
    const rows = await api<Tally[]>(`/api/runs/${runId}/proofs`);
    return rows.filter((r) => r.passed >= 2).length >= 3 ? rows : null;
  }, 180_000);
  const failures = (await api<{ kind: string; message: string }[]>(`/api/runs/${runId}/events?limit=10000`)).filter((e) => e.kind.startsWith('proof-'));
  for (const r of tallies) assert.deepEqual([r.failed, r.missed], [0, 0], `honest tab ${r.workerId}: ${JSON.stringify(r)}; ${JSON.stringify(failures)}`);

  const tab = liveTabs().find((t) => t.machine === 1)!;
  await tab.page.fill('#nickname', 'Grace H');
  await tab.page.click('#nickname-form button');
  await tab.page.locator('#nickname-result', { hasText: 'saved' }).waitFor({ timeout: 30_000 });
  const sibling = liveTabs().find((t) => t.machine === 1 && t !== tab);
  if (sibling) await sibling.page.locator('#machine-name', { hasText: 'Grace H' }).waitFor({ timeout: 30_000 });

  // the volunteer page's board and the dashboard's are the public leaderboard, which is the proofs' sums
  // proofs go on meanwhile: the board lies between the proofs' sums just before and just after it
  const provedBy = async () => new Map((await api<Tally[]>(`/api/runs/${runId}/proofs`)).map((r) => [r.name, r.verifiedSamples]));
  const before = await provedBy();
  const board = await api<{ machines: { name: string; verifiedSamples: number }[]; tabs: { name: string; machine: string; verifiedSamples: number }[] }>('/api/leaderboard?limit=10');
  const afterwards = await provedBy();
  for (const row of board.tabs) {
    assert.ok((before.get(row.name) ?? 0) <= row.verifiedSamples && row.verifiedSamples <= afterwards.get(row.name)!, `tab ${row.name}: the board shows what proofs verified (${before.get(row.name)} <= ${row.verifiedSamples} <= ${afterwards.get(row.name)})`);
  }
  assert.ok(board.machines.some((m) => m.name === 'Grace H'), JSON.stringify(board.machines));
  const claimed = await api<{ workerId: string; step: number | null }[]>(`/api/runs/${runId}/workers`);
  const proofed = [...afterwards.values()].reduce((n, v) => n + v, 0);
  assert.ok(proofed > 0 && proofed < claimed.reduce((n, w) => n + (w.step ?? 0), 0) * 64, 'verified samples are those proved, not those claimed');
  // the page shows the board it fetched last, exactly: watch what it fetches, then read its table
  let fetched: { tabs: { name: string; verifiedSamples: number }[] } | null = null;
  tab.page.on('response', async (r) => {
    if (r.url().includes('/api/leaderboard') && r.ok()) fetched = await r.json();
  });
  await tab.page.reload();
  await tab.page.locator('#status', { hasText: /^training$/ }).waitFor({ timeout: 120_000 });
  const shown = await until('the volunteer page to show the board it fetched', async () => {
    const seen = fetched;
    const rows = await tab.page.locator('#board-tabs tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const expected = seen?.tabs.map((r, i) => [String(i + 1), r.name, r.verifiedSamples.toLocaleString('en-US')]);
    return seen === fetched && expected && expected.length > 1 && JSON.stringify(rows.map((r) => [r[0], r[1], Number(r[2].replace(/\D/g, '')).toLocaleString('en-US')])) === JSON.stringify(expected) ? rows : null;
  }, 60_000);
  assert.ok(shown.length > 1);
  assert.ok(await tab.page.locator('#board-machines tr.mine', { hasText: 'Grace H' }).count() === 1, 'the page marks its own browser');
  await admin.locator('#admin-board-machines tbody tr', { hasText: 'Grace H' }).waitFor({ timeout: 30_000 });
  await admin.locator('#proofs-summary', { hasText: / 0 failed, 0 missed/ }).waitFor({ timeout: 30_000 });
  await tab.page.screenshot({ path: join(artifacts, 'volunteer-leaderboard.png'), fullPage: true });
});

test('a reloaded tab rejoins as the same tab and keeps its verified samples', async () => {
  const tab = liveTabs()[0];
  const tabIdOf = () => tab.page.evaluate(() => (JSON.parse(sessionStorage.getItem('flock.tab') ?? 'null') as { id: string } | null)?.id);
  const tabId = await tabIdOf();
  assert.ok(tabId, 'the tab keeps the credential the coordinator issued');
  await until('verified samples for the tab', async () => (await tabState(tab.page)).verifiedSamples > 0, 180_000);
  const before = (await tabState(tab.page)).verifiedSamples;
  const workersBefore = (await api<unknown[]>(`/api/runs/${runId}/workers`)).length;
  await tab.page.reload();
  await tab.page.locator('#status', { hasText: /^training$/ }).waitFor({ timeout: 120_000 });
  assert.equal(await tabIdOf(), tabId);
  await until('the coordinator to tell the reloaded tab its credit', async () => (await tabState(tab.page)).verifiedSamples >= before, 30_000);
  assert.equal((await api<unknown[]>(`/api/runs/${runId}/workers`)).length, workersBefore, 'no new worker identity after the reload');
});

test('the downloaded model parses as safetensors and scores the dashboard accuracy on the reference', async () => {
  const manifestDownload = admin.waitForEvent('download');
  await admin.click('[data-action="download-manifest"]');
  const manifest = JSON.parse(await readFile(await (await manifestDownload).path(), 'utf8'));
  const modelDownload = admin.waitForEvent('download');
  await admin.click('[data-action="download-model"]');
  const bytes = new Uint8Array(await readFile(await (await modelDownload).path()));
  const file = decodeSafetensors(bytes);
  assert.ok(file.tensors.has('layers.1.weight'));
  const params = modelFromSafetensors(MODEL_PRESETS.mlp, bytes);
  const mnist = await loadDataset('mnist');
  const measured = evaluate(MODEL_PRESETS.mlp, params, mnist.test.pixels, mnist.test.labels, EVAL_SAMPLES);
  const reported = manifest.test?.accuracy;
  assert.equal(typeof reported, 'number', `manifest reports an accuracy: ${JSON.stringify(manifest).slice(0, 300)}`);
  assert.ok(Math.abs(measured.accuracy - reported) < 1e-9, `reference accuracy ${measured.accuracy} vs reported ${reported}`);
  assert.ok(measured.accuracy > 0.8);
});

test('a browser without WebGPU shows which browsers work, and nothing starts', async () => {
  const plain = await launchBrowser({ webgpu: false });
  try {
    const page = await plain.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${flock.url}/`);
    // Chromium may expose navigator.gpu without an adapter: then pressing Start reports the missing adapter.
    const message = page.locator('#no-webgpu');
    if (await message.isHidden()) {
      await page.click('#start');
      await page.locator('#error').waitFor({ state: 'visible', timeout: 60_000 });
      assert.match(await page.locator('#error').innerText(), /WebGPU is not available/);
    } else {
      assert.equal(await message.innerText(), WEBGPU_MISSING);
      assert.equal(await page.locator('#start').isDisabled(), true);
    }
    assert.deepEqual(errors, []);
  } finally {
    await plain.close();
  }
});

