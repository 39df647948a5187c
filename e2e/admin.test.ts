// The admin dashboard in real Chromium against the real coordinator: log in, create a run through the form
// (with a client-side and a server-side field error), start/pause/resume/stop/delete it, watch scripted
// socket workers in the live view, and download the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright';
import { startFlock, type Flock } from '../server/app.ts';
import { configSchema } from '../server/config.ts';
import { linearEvaluator, syntheticDataset, TEST_TOKEN, TestWorker, TINY_SPEC } from '../server/test_support.ts';
import { decodeSafetensors, modelFromSafetensors } from '../shared/safetensors.ts';
import { launchBrowser } from './browser.ts';
import { buildClient } from '../server/client_build.ts';

const root = resolve(import.meta.dirname, '..');
const artifacts = join(root, 'e2e', 'artifacts');

async function startServer(): Promise<Flock> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-admin-e2e-'));
  const config = configSchema.parse({
    port: 0, host: '127.0.0.1', dataDir, adminToken: TEST_TOKEN, buildClient: false, heartbeatMs: 500, heartbeatTimeoutMs: 3000,
    electionHysteresis: 0, evalSamples: 100, checkpointEveryRounds: 1, evalEveryRounds: 1,
  });
  const data = syntheticDataset();
  return startFlock(config, { names: ['synthetic'], load: async () => data }, join(root, 'dist'), linearEvaluator);
}

/** Two machines x two tabs reporting scripted, slowly falling losses every 200 ms until stopped. */
function simulateWorkers(url: string) {
  const losses: Record<string, number> = { a1: 1.4, a2: 1.2, b1: 1.1, b2: 1.3 };
  const workers = Object.keys(losses).map((id) => new TestWorker(url, `machine-${id[0]}`, id));
  let running = true;
  const loop = (async () => {
    for (const w of workers) await w.hello();
    for (let round = 1; running; round++) {
      for (const w of workers) {
        // a paused run may refuse or ignore reports; the loop just carries on
        await w.report(round * 5, losses[w.tab] * Math.exp(-round / 40)).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    /** The identities the coordinator issued them, once they said hello. */
    ids: () => workers.map((w) => w.workerId).filter((id): id is string => id !== null),
    async stop() {
      running = false;
      await loop;
      for (const w of workers) w.close();
    },
  };
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();

async function waitForText(page: Page, selector: string, pattern: RegExp, timeout = 15000): Promise<void> {
  await page.locator(selector).filter({ hasText: pattern }).first().waitFor({ timeout });
}

test('the admin creates, runs, watches, downloads and deletes a run through the dashboard', { timeout: 90_000 }, async () => {
  mkdirSync(artifacts, { recursive: true });
  await buildClient();
  const flock = await startServer();
  const browser = await launchBrowser({ webgpu: false });
  let workers: ReturnType<typeof simulateWorkers> | null = null;
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  try {
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${flock.url}/admin`);

    // login: a wrong token is refused at once, the right one opens the dashboard
    await page.fill('#token', 'not-the-token-at-all');
    await page.click('#login');
    await waitForText(page, '#login-error', /Wrong token/);
    await page.fill('#token', TEST_TOKEN);
    await page.click('#login');
    await page.locator('#app').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('flock.adminToken')), TEST_TOKEN);

    // create: a client-side error next to its field, then the server's own 400 next to another
    await page.click('[data-action="new-run"]');
    await page.selectOption('#preset', 'mnist-mlp');
    await page.fill('#f-name', 'e2e run');
    await page.fill('[name="hyper.lr"]', '-1');
    await page.click('[data-action="create"]');
    await waitForText(page, '[data-error-for="hyper.lr"]', />0/);
    assert.equal(await page.getAttribute('[name="hyper.lr"]', 'aria-invalid'), 'true');
    await page.fill('[name="hyper.lr"]', '0.1');
    assert.equal(await text(page, '[data-error-for="hyper.lr"]'), '');
    // sync-sgd's aggregate and f show only for sync-sgd; an f its aggregate does not use is refused next to f
    assert.equal(await page.isVisible('[name="hyper.byzantine"]'), false);
    await page.selectOption('[name="algorithm"]', 'sync-sgd');
    await page.selectOption('[name="hyper.aggregate"]', 'median');
    await page.fill('[name="hyper.byzantine"]', '1');
    await page.click('[data-action="create"]');
    await waitForText(page, '[data-error-for="hyper.byzantine"]', /trimmed-mean, cge, zeno/);
    await page.selectOption('[name="algorithm"]', 'lsgd');
    assert.equal(await page.isVisible('[name="hyper.byzantine"]'), false);
    await page.click('[data-action="create"]');
    await waitForText(page, '[data-error-for="model"]', /dataset is 4x4x1/);
    await page.selectOption('[name="model"]', 'custom');
    await page.fill('[name="modelSpec"]', JSON.stringify(TINY_SPEC));
    await page.fill('[name="hyper.batch"]', '8');
    await page.fill('[name="hyper.tau"]', '5');
    await page.fill('[name="stop.targetAccuracy"]', '');
    // the scripted workers upload the seed-3 initial weights, which must sit within the norm bound of the run's start
    await page.fill('[name="seed"]', '3');
    await page.click('[data-action="create"]');
    await waitForText(page, '#run-state', /^created$/);
    await waitForText(page, '#runs-table tbody tr', /e2e run.*created/s);
    await page.screenshot({ path: join(artifacts, 'admin-created.png'), fullPage: true });

    // start, and watch scripted workers train
    await page.click('[data-action="start"]');
    await waitForText(page, '#run-state', /^running$/);
    workers = simulateWorkers(flock.url);
    await waitForText(page, '#machines-summary', /2 machines · 4 tabs · 2 local leaders · 1 global leader/);
    // the scripted copies all measure alike, so the first one measured leads: which tab that is does not matter here
    await page.locator('[data-worker] [data-badge="global"]').first().waitFor();
    await page.locator('[data-worker] [data-badge="local"]').first().waitFor();
    await waitForText(page, '#event-log', /global-leader/);
    await waitForText(page, '#traffic-summary', /all-reduce would have moved/);
    await page.locator('#loss-chart canvas').waitFor();
    await page.locator('#accuracy-chart canvas').waitFor();
    await waitForText(page, '[data-summary="accuracy"]', /%/);
    const series = await page.locator('#loss-chart .u-legend .u-series').allInnerTexts();
    for (const label of [...workers.ids(), 'global leader']) assert.ok(series.some((s) => s.includes(label)), `loss chart has ${label}: ${series.join(' | ')}`);
    await page.screenshot({ path: join(artifacts, 'admin-training.png'), fullPage: true });

    // pause and resume
    await page.click('[data-action="pause"]');
    await waitForText(page, '#run-state', /^paused$/);
    await page.click('[data-action="resume"]');
    await waitForText(page, '#run-state', /^running$/);

    // download: the file decodes as safetensors holding the model's layout tensors
    const downloadPromise = page.waitForEvent('download');
    await page.click('[data-action="download-model"]');
    const download = await downloadPromise;
    assert.match(download.suggestedFilename(), /^flock-\d+-e2e-run-step\d+\.safetensors$/);
    const file = join(artifacts, download.suggestedFilename());
    await download.saveAs(file);
    const bytes = new Uint8Array(readFileSync(file));
    assert.deepEqual([...decodeSafetensors(bytes).tensors.keys()].sort(), ['layers.1.bias', 'layers.1.weight']);
    assert.equal(modelFromSafetensors(TINY_SPEC, bytes).length, 128);
    await waitForText(page, '#download-status', /Saved/);
    const manifestPromise = page.waitForEvent('download');
    await page.click('[data-action="download-manifest"]');
    const manifestDownload = await manifestPromise;
    assert.equal(manifestDownload.suggestedFilename(), download.suggestedFilename().replace(/\.safetensors$/, '.json'));
    const manifest = JSON.parse(readFileSync(await manifestDownload.path(), 'utf8'));
    assert.equal(manifest.file, download.suggestedFilename());
    assert.equal(manifest.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(typeof manifest.test.accuracy, 'number');

    // stop asks first; cancelling keeps it running
    await page.click('[data-action="stop"]');
    await page.click('#confirm [data-action="cancel"]');
    await waitForText(page, '#run-state', /^running$/);
    await page.click('[data-action="stop"]');
    await page.click('#confirm [data-action="confirm"]');
    await waitForText(page, '#run-state', /^stopped$/);
    await waitForText(page, '#runs-table tbody tr', /e2e run.*stopped/s);
    await workers.stop();
    workers = null;

    // delete, after a confirmation
    await page.click('[data-action="delete"]');
    await page.click('#confirm [data-action="confirm"]');
    await page.locator('#runs-empty').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#run-view').isHidden(), true);
    assert.deepEqual(pageErrors, []);
  } catch (err) {
    await page.screenshot({ path: join(artifacts, 'admin-failure.png'), fullPage: true });
    throw err;
  } finally {
    await workers?.stop();
    await browser.close();
    await flock.close();
  }
});
