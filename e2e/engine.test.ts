// The engine in real headless Chromium: WebGPU training in the Web Worker makes the loss fall, and a
// browser without WebGPU gets the clear message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright';
import { launchBrowser } from './browser.ts';
import { buildClient } from '../server/client_build.ts';
import { startE2eFlock } from './flock_server.ts';
import type { Flock } from '../server/app.ts';
import { runEnginePage } from '../bench/engine_page.ts';
import { WEBGPU_MISSING } from '../client/gpu/device.ts';

let server: Flock;
let browser: Browser;

before(async () => {
  await buildClient();
  server = await startE2eFlock();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('training the mlp for a fraction of an epoch in a tab makes the loss fall and beats chance', async () => {
  const page = await browser.newPage();
  const lines = await runEnginePage(page, `${server.url}/engine.html?model=mlp&epochs=0.6&evalEvery=1&readback=5&lr=0.05`, 180_000);
  const progress = lines.filter((l) => 'samplesPerSec' in l);
  assert.ok(progress.length >= 10, `expected progress reports, got ${progress.length}`);
  const first = progress[0].loss as number;
  const last = progress.at(-1)!.loss as number;
  assert.ok(first > 1.5, `the first loss ${first} should be near ln(10) for a fresh model`);
  assert.ok(last < first * 0.6, `loss should fall: first ${first}, last ${last}`);
  const evaluation = lines.findLast((l) => 'accuracy' in l && !('samplesPerSec' in l))!;
  assert.ok((evaluation.accuracy as number) > 0.7, `test accuracy ${evaluation.accuracy} after 0.6 epochs`);
  assert.match((await page.locator('#adapter').textContent()) ?? '', /\S/);
  await page.close();
});

test('a browser without WebGPU shows which browsers work', async () => {
  const plain = await launchBrowser({ webgpu: false });
  try {
    const page = await plain.newPage();
    await page.goto(`${server.url}/engine.html?model=mlp&epochs=1`);
    await page.waitForFunction(() => document.body.dataset.state === 'error', undefined, { timeout: 60_000 });
    const message = (await page.locator('#error').textContent()) ?? '';
    assert.ok(message.includes(WEBGPU_MISSING), `message was: ${message}`);
  } finally {
    await plain.close();
  }
});
