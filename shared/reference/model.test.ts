import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, lossAndGradient, logits } from './model.ts';
import { initialParameters } from '../init.ts';
import { parameterLayout } from '../layout.ts';
import { isSequenceModel, outputPositions, type ModelSpec } from '../model.ts';
import { LAYER_TEST_SPECS, PRESET_TEST_SPECS } from './test_specs.ts';
import { seededRandom } from '../random.ts';

const tinyMlp: ModelSpec = {
  name: 'tiny-mlp',
  input: { height: 3, width: 3, channels: 1 },
  classes: 3,
  layers: [{ kind: 'flatten' }, { kind: 'dense', units: 5 }, { kind: 'relu' }, { kind: 'dense', units: 3 }],
};

const tinyCnn: ModelSpec = {
  name: 'tiny-cnn',
  input: { height: 6, width: 5, channels: 2 },
  classes: 4,
  layers: [
    { kind: 'conv2d', filters: 3, kernel: 3 },
    { kind: 'relu' },
    { kind: 'maxpool2' },
    { kind: 'conv2d', filters: 2, kernel: 1 },
    { kind: 'relu' },
    { kind: 'flatten' },
    { kind: 'dense', units: 4 },
  ],
};

function randomBatch(spec: ModelSpec, batch: number, seed: number) {
  const r = seededRandom(seed);
  const size = spec.input.height * spec.input.width * spec.input.channels;
  const sequence = isSequenceModel(spec);
  const x = Float64Array.from({ length: batch * size }, () => (sequence ? Math.floor(r() * spec.classes) : r()));
  const labels = Uint32Array.from({ length: batch * outputPositions(spec) }, () => Math.floor(r() * spec.classes));
  return { x, labels };
}

/** The worst relative error of the analytic gradient against central differences, over `pick` of each tensor's
 *  entries (all of them by default). Biases, norm shifts and gains are moved off their initial values first. */
function worstGradientError(spec: ModelSpec, batch: number, pick = (length: number) => Array.from({ length }, (_, i) => i)): number {
  const params = Float64Array.from(initialParameters(spec, 7));
  const r = seededRandom(11);
  const layout = parameterLayout(spec);
  for (const t of layout.tensors) {
    if (t.role === 'bias' || t.role === 'beta' || t.role === 'gamma') for (let i = 0; i < t.length; i++) params[t.offset + i] += (r() - 0.5) * 0.2;
  }
  const { x, labels } = randomBatch(spec, batch, 3);
  const draw = { seed: 5, step: 9 };
  const { grad } = lossAndGradient(spec, params, x, labels, batch, draw);
  const h = 1e-6;
  let worst = 0;
  for (const t of layout.tensors) {
    for (const j of pick(t.length)) {
      const i = t.offset + j;
      const saved = params[i];
      params[i] = saved + h;
      const up = lossAndGradient(spec, params, x, labels, batch, draw).loss;
      params[i] = saved - h;
      const down = lossAndGradient(spec, params, x, labels, batch, draw).loss;
      params[i] = saved;
      const numeric = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(numeric - grad[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(grad[i])));
    }
  }
  return worst;
}

for (const spec of [tinyMlp, tinyCnn, ...LAYER_TEST_SPECS]) {
  test(`${spec.name}: every parameter's gradient matches central finite differences (float64)`, () => {
    const worst = worstGradientError(spec, 3);
    assert.ok(worst < 1e-5, `worst relative gradient error ${worst}`);
  });
}

// The presets themselves, on small inputs (their layers unchanged), at a few entries of every tensor.
for (const spec of PRESET_TEST_SPECS) {
  test(`preset ${spec.name}: gradients match central finite differences at three entries of every tensor`, () => {
    const r = seededRandom(17);
    const worst = worstGradientError(spec, 2, (length) => Array.from({ length: Math.min(3, length) }, () => Math.floor(r() * length)));
    assert.ok(worst < 1e-5, `worst relative gradient error ${worst}`);
  });
}

test('dropout draws the same masks for the same seed and step, and none when evaluating', () => {
  const spec = LAYER_TEST_SPECS[1];
  const params = initialParameters(spec, 2);
  const { x, labels } = randomBatch(spec, 2, 4);
  const a = lossAndGradient(spec, params, x, labels, 2, { seed: 1, step: 3 });
  assert.deepEqual(lossAndGradient(spec, params, x, labels, 2, { seed: 1, step: 3 }).grad, a.grad);
  assert.notDeepEqual(lossAndGradient(spec, params, x, labels, 2, { seed: 1, step: 4 }).grad, a.grad);
  assert.notEqual(lossAndGradient(spec, params, x, labels, 2).loss, a.loss);
});

test('padding between tensors gets no gradient', () => {
  const spec = tinyCnn;
  const layout = parameterLayout(spec);
  const { x, labels } = randomBatch(spec, 2, 5);
  const { grad } = lossAndGradient(spec, initialParameters(spec, 1), x, labels, 2);
  const inTensor = new Uint8Array(layout.length);
  for (const t of layout.tensors) inTensor.fill(1, t.offset, t.offset + t.length);
  for (let i = 0; i < layout.length; i++) if (!inTensor[i]) assert.equal(grad[i], 0);
});

test('evaluate agrees with the logits of the same samples', () => {
  const spec = tinyMlp;
  const params = initialParameters(spec, 3);
  const count = 10;
  const r = seededRandom(9);
  const pixels = Uint8Array.from({ length: count * 9 }, () => Math.floor(r() * 256));
  const labels = Uint8Array.from({ length: count }, () => Math.floor(r() * 3));
  const out = logits(spec, params, Float64Array.from(pixels, (p) => p / 255), count);
  let correct = 0;
  let loss = 0;
  for (let s = 0; s < count; s++) {
    const row = Array.from(out.subarray(s * 3, s * 3 + 3));
    const max = Math.max(...row);
    if (row.indexOf(max) === labels[s]) correct++;
    loss += Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) + max - row[labels[s]];
  }
  const ev = evaluate(spec, params, pixels, labels, count, 4);
  assert.ok(Math.abs(ev.loss - loss / count) < 1e-9);
  assert.equal(ev.accuracy, correct / count);
});
