// The text path end to end in real Chromium: the admin uploads a UTF-8 text through the dashboard, creates a
// char-transformer run on it with the create form, 2 machines x 2 tabs train it on WebGPU, the loss falls, and the
// run view shows text sampled from the coordinator's verified global copy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright';
import { launchBrowser } from './browser.ts';
import { buildClient } from '../server/client_build.ts';
import { adminGet, E2E_TOKEN, startE2eFlock, until } from './flock_server.ts';
import { openSwarm, type Swarm } from './swarm.ts';
import type { Flock } from '../server/app.ts';
import { loadFortunes } from '../server/datasets/fortunes.ts';
import type { LeaderMetric, WorkerMetric } from '../shared/records.ts';

const TEXT_BYTES = 40_000;
let flock: Flock;
let browser: Browser;
let swarm: Swarm;
let admin: Page;

before(async () => {
  await buildClient();
  // proofs of a transformer's steps cost seconds of CPU each on this machine: a few are enough to exercise them
  // a tab answers an upload request after the steps it has queued, seconds each for a transformer on a busy CPU
  flock = await startE2eFlock({ heartbeatMs: 1000, heartbeatTimeoutMs: 60_000, proofProbability: 0.05 });
  browser = await launchBrowser();
  swarm = await openSwarm({ url: `${flock.url}/`, machines: 2, tabs: 2, browser });
  admin = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
});

after(async () => {
  await swarm?.close();
  await browser?.close();
  await flock?.close();
});

/** The first TEXT_BYTES of Debian's fortunes, cut at a line end so the UTF-8 stays whole. */
async function sampleText(): Promise<Buffer> {
  const { train } = await loadFortunes();
  const head = train.pixels.subarray(0, TEXT_BYTES);
  return Buffer.from(head.subarray(0, head.lastIndexOf(10) + 1));
}

test('an uploaded text trains a char-transformer on 2 machines x 2 tabs: the loss falls and sampled text appears', { timeout: 900_000 }, async () => {
  const errors: string[] = [];
  admin.on('pageerror', (e) => errors.push(e.message));
  // seconds from the start to each phase, printed at the end: where this long test spends its time
  const started = Date.now();
  const phases: Record<string, number> = {};
  const reached = (phase: string) => (phases[phase] = Math.round((Date.now() - started) / 1000));
  await admin.goto(`${flock.url}/admin`);
  await admin.fill('#token', E2E_TOKEN);
  await admin.click('#login');
  await admin.locator('#app').waitFor({ state: 'visible' });

  // upload through the dashboard's datasets view
  await admin.click('#open-datasets');
  await admin.fill('#u-name', 'fortunes-head');
  await admin.selectOption('#u-format', 'text');
  await admin.setInputFiles('#u-text', { name: 'fortunes-head.txt', mimeType: 'text/plain', buffer: await sampleText() });
  await admin.click('#upload-submit');
  await admin.locator('#datasets-table tr[data-dataset="fortunes-head"]').waitFor({ timeout: 60_000 });
  assert.equal(await admin.locator('#upload-error').innerText(), '');

  // a char-transformer run on it through the create form
  await admin.click('[data-action="new-run"]');
  await admin.selectOption('#preset', 'fortunes-char-transformer');
  await admin.fill('#f-name', 'e2e text');
  await admin.selectOption('#f-dataset', 'fortunes-head');
  await admin.selectOption('#f-model', 'char-transformer');
  await admin.fill('#f-lr', '0.003');
  await admin.fill('#f-batch', '4');
  await admin.fill('#f-tau', '4');
  await admin.fill('#f-steps', '');
  await admin.fill('#f-minutes', '30');
  await admin.click('[data-action="create"]');
  await admin.locator('#run-state', { hasText: /^created$/ }).waitFor({ timeout: 30_000 });
  const runs = await adminGet<{ id: number; config: { model: unknown; dataset: string; hyper: { optimizer?: string } } }[]>(flock.url, '/api/runs');
  const run = runs.find((r) => r.config.dataset === 'fortunes-head');
  assert.ok(run, 'the run was created on the uploaded dataset');
  assert.equal(run.config.model, 'char-transformer');
  assert.equal(run.config.hyper.optimizer, 'adamw');
  await admin.click('[data-action="start"]');
  await admin.locator('#run-state', { hasText: /^running$/ }).waitFor({ timeout: 30_000 });
  reached('started');

  // each tab compiles the transformer's pipelines and times matmul variants first: minutes on a busy 2-core machine
  for (const t of swarm.tabs) await t.page.locator('#status', { hasText: /^training$/ }).waitFor({ timeout: 600_000 });
  reached('training');

  // the loss falls: every tab's latest report is half a nat under the first report (the mean of a tab's first
  // steps, already under the uniform guess of ln 256 = 5.55 nats) and under 3.3 nats (a byte's frequencies alone)
  type Metrics = { workers: WorkerMetric[]; leaders: LeaderMetric[] };
  const metrics = () => adminGet<Metrics>(flock.url, `/api/runs/${run.id}/metrics`);
  const first = await until('a first reported loss', async () => (await metrics()).workers[0]?.loss, 300_000);
  assert.ok(first < Math.log(256) + 0.5, `the first loss ${first} is no worse than a uniform guess`);
  reached('first_loss');
  const fallen = await until('the loss to fall', async () => {
    const latest = new Map<string, number>();
    for (const w of (await metrics()).workers) latest.set(w.workerId, w.loss);
    const recent = [...latest.values()];
    return recent.length === 4 && Math.max(...recent) < Math.min(first - 0.5, 3.3) && recent;
  }, 600_000);
  reached('loss_fallen');

  // text sampled from the verified global copy: the coordinator makes it, the run view shows it
  type Event = { kind: string; message: string };
  const made = await until('a text sample from the coordinator', async () => (await adminGet<{ text: string }[]>(flock.url, `/api/runs/${run.id}/samples`)).at(-1), 300_000).catch(async (err: Error) => {
    const events = await adminGet<Event[]>(flock.url, `/api/runs/${run.id}/events`);
    throw new Error(`${err.message}; the run's last events: ${JSON.stringify(events.slice(-15).map((e) => `${e.kind}: ${e.message}`))}`);
  });
  assert.ok(made.text.length > 0);
  reached('sample');
  await admin.locator('#samples').waitFor({ state: 'visible', timeout: 60_000 });
  const sample = await until('the text sample in the run view', async () => (await admin.locator('#sample-text').innerText()).trim(), 60_000);
  assert.ok(sample.length >= 50, `a sample of ${sample.length} characters: ${JSON.stringify(sample)}`);
  // the run view states the evaluated global copy's loss in bits per byte, under the 8 bits of a uniform guess
  const bits = Number(await until('the test bits per byte in the run view', async () => {
    const shown = await admin.locator('[data-summary="bits-per-byte"]').innerText();
    return /^\d+\.\d{3}$/.test(shown) && shown;
  }, 120_000));
  assert.ok(bits > 0 && bits < 8, `${bits} bits per byte`);
  reached('bits_per_byte');
  console.log(JSON.stringify({ first_loss: first, recent_losses: fallen, sample: sample.slice(0, 120), seconds: phases }));
  assert.deepEqual(errors, []);
});
