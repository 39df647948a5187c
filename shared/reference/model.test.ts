import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, lossAndGradient, logits } from './model.ts';
import { initialParameters } from '../init.ts';
import { parameterLayout } from '../layout.ts';
import type { ModelSpec } from '../model.ts';
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
  const x = Float64Array.from({ length: batch * size }, () => r());
  const labels = Uint32Array.from({ length: batch }, () => Math.floor(r() * spec.classes));
  return { x, labels };
}

for (const spec of [tinyMlp, tinyCnn]) {
  test(`${spec.name}: every parameter's gradient matches central finite differences (float64)`, () => {
    const batch = 3;
    const params = Float64Array.from(initialParameters(spec, 7));
    // Biases start at zero; move them so the check also covers non-trivial bias paths.
    const r = seededRandom(11);
    for (const t of parameterLayout(spec).tensors) {
      if (t.role === 'bias') for (let i = 0; i < t.length; i++) params[t.offset + i] = (r() - 0.5) * 0.2;
    }
    const { x, labels } = randomBatch(spec, batch, 3);
    const { grad } = lossAndGradient(spec, params, x, labels, batch);
    const h = 1e-6;
    let worst = 0;
    for (const t of parameterLayout(spec).tensors) {
      for (let i = t.offset; i < t.offset + t.length; i++) {
        const saved = params[i];
        params[i] = saved + h;
        const up = lossAndGradient(spec, params, x, labels, batch).loss;
        params[i] = saved - h;
        const down = lossAndGradient(spec, params, x, labels, batch).loss;
        params[i] = saved;
        const numeric = (up - down) / (2 * h);
        worst = Math.max(worst, Math.abs(numeric - grad[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(grad[i])));
      }
    }
    assert.ok(worst < 1e-5, `worst relative gradient error ${worst}`);
  });
}

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
