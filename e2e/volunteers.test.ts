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
import { MODEL_PRESETS } from '../shared/model.ts';
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
  flock = await startE2eFlock({ evalSamples: EVAL_SAMPLES, evalEveryRounds: 2, checkpointEveryRounds: 2, heartbeatMs: 1000, heartbeatTimeoutMs: 5000 });
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
  await admin.fill('[name="name"]', 'e2e volunteers');
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

test('a reloaded tab rejoins as the same tab and keeps its contributed samples', async () => {
  const tab = liveTabs()[0];
  const tabIdOf = () => tab.page.evaluate(() => (JSON.parse(sessionStorage.getItem('flock.tab') ?? 'null') as { id: string } | null)?.id);
  const tabId = await tabIdOf();
  assert.ok(tabId, 'the tab keeps the credential the coordinator issued');
  await until('samples to be counted', async () => (await tabState(tab.page)).samplesSession > 0, 30_000);
  const totalBefore = Number((await tab.page.locator('#samples-total').innerText()).replace(/\D/g, ''));
  const workersBefore = (await api<unknown[]>(`/api/runs/${runId}/workers`)).length;
  await tab.page.reload();
  await tab.page.locator('#status', { hasText: /^training$/ }).waitFor({ timeout: 120_000 });
  assert.equal(await tabIdOf(), tabId);
  const totalAfter = Number((await tab.page.locator('#samples-total').innerText()).replace(/\D/g, ''));
  assert.ok(totalAfter >= totalBefore && totalBefore > 0, `total samples ${totalBefore} -> ${totalAfter}`);
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

