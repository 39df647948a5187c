import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialParameters } from '../init.ts';
import { parameterLayout } from '../layout.ts';
import type { ModelSpec } from '../model.ts';
import { MODEL_PRESETS } from '../model_presets.ts';
import { seededNormal, seededRandom } from '../random.ts';
import { logits } from './model.ts';
import { createDecoder, sampleText, sampleToken } from './text_sampler.ts';

const CONTEXT = 12;
const SPEC: ModelSpec = {
  name: 'tiny-text',
  input: { height: 1, width: CONTEXT, channels: 1 },
  classes: 256,
  layers: [
    { kind: 'embedding', dim: 8 },
    { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'attention', heads: 2 }, { kind: 'dropout', rate: 0.1 }] },
    { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'dense', units: 16 }, { kind: 'gelu' }, { kind: 'dense', units: 8 }] },
    { kind: 'layernorm' },
    { kind: 'dense', units: 256 },
  ],
};

/** Every parameter (norm gains and biases too) random, so no op is the identity by chance. */
function randomParams(spec: ModelSpec, seed: number, scale = 0.5): Float32Array {
  const normal = seededNormal(seed);
  return Float32Array.from({ length: parameterLayout(spec).length }, () => normal() * scale);
}

/** Row `t` of logits() of a whole window that starts with `tokens` (the rest, padding, cannot reach row t). */
function windowLogits(spec: ModelSpec, params: ArrayLike<number>, tokens: readonly number[], t: number): Float64Array {
  const x = Array.from({ length: spec.input.width }, (_, i) => tokens[i] ?? 0);
  return logits(spec, params, x, 1).subarray(t * spec.classes, (t + 1) * spec.classes);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

test('incremental logits equal those of the whole window at every position, after a reset too', () => {
  const params = randomParams(SPEC, 1);
  const rnd = seededRandom(2);
  const tokens = Array.from({ length: CONTEXT }, () => Math.floor(rnd() * 256));
  const full = logits(SPEC, params, tokens, 1);
  const decoder = createDecoder(SPEC, params);
  for (let round = 0; round < 2; round++) {
    for (let t = 0; t < CONTEXT; t++) assertClose(decoder.feed(tokens[t]), full.subarray(t * 256, (t + 1) * 256), 1e-9, `round ${round} position ${t}`);
    assert.throws(() => decoder.feed(0), /window of 12 positions is full/);
    decoder.reset();
  }
});

test('greedy decoding picks the argmax of the whole window\'s logits at every step, sliding past the window', () => {
  const params = randomParams(SPEC, 3);
  const prompt = new TextEncoder().encode('hi');
  const length = 3 * CONTEXT + 5;
  const out = sampleText(SPEC, params, prompt, length, 0, () => assert.fail('greedy decoding draws nothing'));
  // the same by the slow way: the whole window again for every byte, sliding to its last half when full
  let window = [...prompt];
  for (let i = 0; i < length; i++) {
    const row = windowLogits(SPEC, params, window, window.length - 1);
    assert.equal(out[i], sampleToken(row, 0, Math.random), `byte ${i}`);
    if (window.length === CONTEXT) window = window.slice(CONTEXT / 2);
    window.push(out[i]);
  }
  assert.ok(new Set(out).size > 1, 'random weights should not emit a single byte over and over');
});

test('a prompt longer than the window slides too', () => {
  const params = randomParams(SPEC, 4);
  const prompt = Uint8Array.from({ length: 2 * CONTEXT + 3 }, (_, i) => 97 + (i % 26));
  const out = sampleText(SPEC, params, prompt, 1, 0, Math.random);
  // fed 27 bytes: slides at the 13th and the 19th and the 25th, so the window holds the last 9
  const tail = [...prompt.subarray(prompt.length - 9)];
  assert.equal(out[0], sampleToken(windowLogits(SPEC, params, tail, tail.length - 1), 0, Math.random));
});

test('the same seed gives the same text; another seed another', () => {
  const params = initialParameters(SPEC, 5);
  const sample = (seed: number) => sampleText(SPEC, params, Uint8Array.of(10), 40, 1, seededRandom(seed));
  assert.deepEqual(sample(6), sample(6));
  assert.notDeepEqual(sample(6), sample(7));
});

test('sampling follows the probabilities: a final bias strongly for "a" gives mostly "a", temperature 0 only "a"', () => {
  const params = initialParameters(SPEC, 8);
  const bias = parameterLayout(SPEC).tensors.at(-1)!;
  params[bias.offset + 97] = 8;
  const text = sampleText(SPEC, params, Uint8Array.of(10), 400, 1, seededRandom(9));
  const share = text.filter((b) => b === 97).length / text.length;
  // initial weights give nearly even logits elsewhere: p(a) = e^8 / (e^8 + 255) = 0.92
  assert.ok(share > 0.85 && share < 0.98, `share of "a": ${share}`);
  assert.ok(sampleText(SPEC, params, Uint8Array.of(10), 50, 0, Math.random).every((b) => b === 97));
});

test('sampleToken draws each token with its softmax probability at the temperature', () => {
  const logit = [0, Math.log(2), Math.log(3), Math.log(4)];
  const draw = (temperature: number) => {
    const counts = [0, 0, 0, 0];
    const rnd = seededRandom(10);
    for (let i = 0; i < 20000; i++) counts[sampleToken(logit, temperature, rnd)]++;
    return counts.map((c) => c / 20000);
  };
  draw(1).forEach((p, i) => assert.ok(Math.abs(p - (i + 1) / 10) < 0.015, `token ${i} at temperature 1: ${p}`));
  // temperature 0.5 squares the odds: 1, 4, 9, 16 out of 30
  draw(0.5).forEach((p, i) => assert.ok(Math.abs(p - (i + 1) ** 2 / 30) < 0.015, `token ${i} at temperature 0.5: ${p}`));
  assert.equal(sampleToken(logit, 0, Math.random), 3);
  assert.throws(() => sampleToken(logit, -1, Math.random), /temperature/);
});

test('an image model or an empty prompt is refused with what to do', () => {
  const mlp = MODEL_PRESETS.mlp;
  assert.throws(() => sampleText(mlp, new Float32Array(parameterLayout(mlp).length), Uint8Array.of(10), 5, 1, Math.random), /not a sequence model/);
  assert.throws(() => sampleText(SPEC, randomParams(SPEC, 1), new Uint8Array(0), 5, 1, Math.random), /at least one byte/);
});

test('the char-transformer preset: 200 bytes, sliding twice, in a few seconds at most', () => {
  const spec = MODEL_PRESETS['char-transformer'];
  const params = initialParameters(spec, 11);
  const start = performance.now();
  const out = sampleText(spec, params, new TextEncoder().encode('To be, or not to be'), 200, 0.8, seededRandom(12));
  assert.equal(out.length, 200);
  assert.ok(performance.now() - start < 5000, `${(performance.now() - start).toFixed(0)} ms`);
});
