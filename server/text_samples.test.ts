import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialParameters } from '../shared/init.ts';
import type { ModelSpec } from '../shared/model.ts';
import { weightsToBytes } from '../shared/protocol.ts';
import { seededRandom } from '../shared/random.ts';
import { sampleText } from '../shared/reference/text_sampler.ts';
import { textDataset } from '../shared/text_dataset.ts';
import { API_ROUTES } from './api_routes.ts';
import { configSchema } from './config.ts';
import { DatasetService } from './dataset_service.ts';
import type { LeaderEvaluator } from './evaluator.ts';
import type { ActiveRun } from './live_state.ts';
import { retentionPolicy } from './retention.ts';
import { Store } from './store.ts';
import { api, createAndStart, runBody, shiftedBiases, startTestFlock, TestWorker, TINY_SPEC, until } from './test_support.ts';
import { SAMPLE_BYTES, SAMPLE_EVERY_MS, SAMPLE_TEMPERATURE, SAMPLES_KEPT, samplePrompt, TextSamples } from './text_samples.ts';

const TEXT_SPEC: ModelSpec = {
  name: 'tiny-text',
  input: { height: 1, width: 16, channels: 1 },
  classes: 256,
  layers: [
    { kind: 'embedding', dim: 8 },
    { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'attention', heads: 2 }] },
    { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'dense', units: 16 }, { kind: 'gelu' }, { kind: 'dense', units: 8 }] },
    { kind: 'layernorm' },
    { kind: 'dense', units: 256 },
  ],
};

/** 2,000 bytes: its validation split (the last 5%, from byte 1,900) starts inside a two-byte "é", which the prompt skips. */
const text = () => new TextEncoder().encode(`${'x'.repeat(1899)}é${'Le café est chaud. '.repeat(5)}`).slice(0, 2000);
const PROMPT = 'Le café est chaud. Le café est';

/** Every copy measures the same: the gate relays a leader's copies, and the test needs nothing else of it. */
const evenEvaluator: LeaderEvaluator = {
  async evaluate(_spec, _weights, split, _start, count) {
    const n = Math.min(count, split.count);
    return { loss: 1, accuracy: 0, samples: n, losses: new Float64Array(n).fill(1), correct: new Float64Array(n) };
  },
  async close() {},
};

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test('the prompt is the start of the validation text, cut at characters, or a newline', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(decode(samplePrompt(Uint8Array.of(0xa9, ...enc('abc')))), 'abc');
  assert.equal(decode(samplePrompt(enc(`${'x'.repeat(31)}é and more`))), 'x'.repeat(31));
  assert.equal(decode(samplePrompt(enc('y'.repeat(40)))), 'y'.repeat(32));
  assert.deepEqual(samplePrompt(new Uint8Array(0)), Uint8Array.of(10));
  assert.deepEqual(samplePrompt(Uint8Array.of(0x80, 0x80)), Uint8Array.of(10));
});

test('a text run\'s global copy is sampled when it changes, at most every SAMPLE_EVERY_MS, and its last when it ends; the latest is stored', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-samples-'));
  const store = new Store(dataDir, retentionPolicy(configSchema.parse({})));
  const datasets = new DatasetService({ names: ['text'], load: async () => textDataset('text', text()) }, 1000, 100);
  const validation = (await datasets.dataset('text')).validation;
  let clock = 1_000_000;
  const samples = new TextSamples(store, datasets, () => clock);
  const weights = initialParameters(TEXT_SPEC, 3);
  const a = { run: { id: 7, config: { dataset: 'text' } }, spec: TEXT_SPEC, globalCopy: null } as unknown as ActiveRun;
  try {
    samples.tick(a);
    assert.deepEqual(samples.list(7), [], 'no copy, no sample');

    a.globalCopy = { leaderId: 'w', version: 1, step: 10, weights };
    samples.tick(a);
    await until('the first sample', () => samples.list(7).length === 1);
    const [first] = samples.list(7);
    const prompt = samplePrompt(validation.pixels);
    assert.equal(decode(prompt), PROMPT, 'the validation text\'s start, after the cut "é"');
    assert.deepEqual(first, {
      version: 1, step: 10, t: clock, prompt: decode(prompt),
      text: decode(sampleText(TEXT_SPEC, weights, prompt, SAMPLE_BYTES, SAMPLE_TEMPERATURE, seededRandom(1))),
    });
    assert.deepEqual(store.textSample(7), first);

    // a new copy waits for SAMPLE_EVERY_MS; the same copy is not sampled again
    a.globalCopy = { leaderId: 'w', version: 2, step: 20, weights: shiftedBiases(weights, 0.5, TEXT_SPEC) };
    clock += SAMPLE_EVERY_MS - 1;
    samples.tick(a);
    clock += 1;
    samples.tick(a);
    await until('the second sample', () => samples.list(7).length === 2);
    assert.deepEqual(samples.list(7).map((s) => [s.version, s.step, s.t]), [[1, 10, 1_000_000], [2, 20, clock]]);
    clock += SAMPLE_EVERY_MS;
    samples.tick(a);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(samples.list(7).length, 2);

    for (let v = 3; v < 3 + SAMPLES_KEPT; v++) {
      a.globalCopy = { leaderId: 'w', version: v, step: 10 * v, weights };
      clock += SAMPLE_EVERY_MS;
      samples.tick(a);
      await until(`sample ${v}`, () => samples.list(7).at(-1)!.version === v);
    }
    assert.deepEqual(samples.list(7).map((s) => s.version), [3, 4, 5, 6, 7], `the last ${SAMPLES_KEPT}`);

    // the run ends: its last copy is sampled at once, after a sample under way; an ended run's sampled copy is not again
    a.globalCopy = { leaderId: 'w', version: 8, step: 80, weights };
    clock += SAMPLE_EVERY_MS;
    samples.tick(a);
    a.globalCopy = { leaderId: 'w', version: 9, step: 90, weights: shiftedBiases(weights, 0.25, TEXT_SPEC) };
    samples.ended(a);
    await until('the last copy\'s sample', () => samples.list(7).at(-1)!.version === 9);
    assert.deepEqual(samples.list(7).map((s) => s.version), [5, 6, 7, 8, 9]);
    assert.equal(store.textSample(7)!.version, 9);
    samples.ended(a);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(samples.list(7).map((s) => s.version), [5, 6, 7, 8, 9]);

    // an image model writes no text
    const image = { run: { id: 8, config: { dataset: 'text' } }, spec: TINY_SPEC, globalCopy: { leaderId: 'w', version: 1, step: 1, weights: initialParameters(TINY_SPEC, 3) } } as unknown as ActiveRun;
    clock += SAMPLE_EVERY_MS;
    samples.tick(image);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(samples.list(8), []);
  } finally {
    await samples.close();
    store.close();
  }
  const reopened = new Store(dataDir, retentionPolicy(configSchema.parse({})));
  try {
    const latest = new TextSamples(reopened, datasets, () => clock).list(7);
    assert.deepEqual(latest.map((s) => s.version), [9], 'the latest survives a restart');
  } finally {
    reopened.close();
  }
});

test('GET /api/runs/:id/samples: the relayed copy\'s text for a text run (admin only), kept across a restart; 404 for an image run', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-samples-api-'));
  let flock = await startTestFlock({}, dataDir, textDataset('synthetic', text()), evenEvaluator);
  const initial = initialParameters(TEXT_SPEC, 3);
  let copies = 0;
  const weights = () => weightsToBytes(shiftedBiases(initial, 1e-3 * ++copies, TEXT_SPEC));
  const a = new TestWorker(flock.url, 'A', 'a', weights);
  let runId: number;
  try {
    runId = await createAndStart(flock, { model: TEXT_SPEC });
    assert.deepEqual((await api(flock, 'GET', `/api/runs/${runId}/samples`)).body, [], 'no global copy yet');
    await a.hello();
    await a.report(5, 0.5);
    await until('a sample of the global copy', () => flock.coordinator.textSamples(runId).length > 0, 10_000);
    const res = await api(flock, 'GET', `/api/runs/${runId}/samples`);
    assert.equal(res.status, 200);
    assert.deepEqual(API_ROUTES.samples.responses[200].schema.parse(res.body), res.body, 'the reply is what the docs say, no more');
    assert.equal(res.body.length, 1);
    const [sample] = res.body;
    assert.equal(sample.version, 1);
    assert.equal(sample.step, 5);
    assert.equal(sample.prompt, PROMPT);
    assert.ok(sample.text.length > 0);
    assert.equal((await api(flock, 'GET', `/api/runs/${runId}/samples`, undefined, null)).status, 401);
    assert.equal((await api(flock, 'GET', '/api/runs/999/samples')).status, 404);
  } finally {
    a.close();
    await flock.close();
  }

  flock = await startTestFlock({}, dataDir, textDataset('synthetic', text()), evenEvaluator);
  try {
    assert.deepEqual((await api(flock, 'GET', `/api/runs/${runId}/samples`)).body.map((s: { version: number }) => s.version), [1]);
  } finally {
    await flock.close();
  }
  const images = await startTestFlock();
  try {
    const imageRun = (await api(images, 'POST', '/api/runs', runBody())).body.id as number;
    const res = await api(images, 'GET', `/api/runs/${imageRun}/samples`);
    assert.equal(res.status, 404);
    assert.match(res.body.error, /image model/);
  } finally {
    await images.close();
  }
});
