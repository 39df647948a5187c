import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parameterCount, parameterLayout, TENSOR_ALIGN_FLOATS } from './layout.ts';
import { initialParameters } from './init.ts';
import { modelOps, trainingFlopsPerSample, type ModelSpec } from './model.ts';
import { MODEL_PRESETS } from './model_presets.ts';

test('the presets have the parameter counts of their architectures', () => {
  assert.equal(parameterCount(parameterLayout(MODEL_PRESETS.mlp)), 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  assert.equal(parameterCount(parameterLayout(MODEL_PRESETS.cnn)), 9 * 16 + 16 + 9 * 16 * 32 + 32 + 7 * 7 * 32 * 10 + 10);
  assert.deepEqual(modelOps(MODEL_PRESETS.cnn).at(-2)!.output, { height: 1, width: 1, channels: 1568 });
});

test('tensors are 256-byte aligned, in order, and do not overlap', () => {
  for (const spec of Object.values(MODEL_PRESETS)) {
    const layout = parameterLayout(spec);
    let end = 0;
    for (const t of layout.tensors) {
      assert.equal(t.offset % TENSOR_ALIGN_FLOATS, 0);
      assert.ok(t.offset >= end);
      assert.equal(t.length, t.shape.reduce((a, b) => a * b, 1));
      end = t.offset + t.length;
    }
    assert.ok(layout.length >= end && layout.length % TENSOR_ALIGN_FLOATS === 0);
  }
});

test('initialisation is deterministic per seed, He-scaled, with zero biases and padding', () => {
  const spec = MODEL_PRESETS.mlp;
  const a = initialParameters(spec, 42);
  assert.deepEqual(a, initialParameters(spec, 42));
  assert.notDeepEqual(a, initialParameters(spec, 43));
  const layout = parameterLayout(spec);
  const w0 = layout.tensors[0];
  let sq = 0;
  for (let i = 0; i < w0.length; i++) sq += a[w0.offset + i] ** 2;
  const std = Math.sqrt(sq / w0.length);
  assert.ok(Math.abs(std - Math.sqrt(2 / 784)) < 0.05 * Math.sqrt(2 / 784), `std ${std}`);
  for (const t of layout.tensors.filter((t) => t.role === 'bias')) assert.ok(a.subarray(t.offset, t.offset + t.length).every((v) => v === 0));
});

test('a spec that does not end in a dense layer over the classes is refused', () => {
  const bad: ModelSpec = { name: 'bad', input: { height: 4, width: 4, channels: 1 }, classes: 10, layers: [{ kind: 'flatten' }, { kind: 'dense', units: 7 }] };
  assert.throws(() => parameterLayout(bad), /last layer must be dense with 10 units/);
});

test('training FLOPs per sample count forward, weight and input gradients', () => {
  const mlp = 784 * 256 + 256 * 128 + 128 * 10;
  assert.equal(trainingFlopsPerSample(MODEL_PRESETS.mlp), 2 * (2 * 784 * 256 + 3 * (256 * 128 + 128 * 10)));
  assert.ok(trainingFlopsPerSample(MODEL_PRESETS.mlp) < 6 * mlp);
});
