// The presets' costs worked out by hand from their layers, and the README's examples. That the memory matches the
// buffers a GPU plan really creates is checked in client/admin/model_memory.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parameterLayout } from './layout.ts';
import type { ModelSpec } from './model.ts';
import { modelSummary, stepBufferBytes } from './model_summary.ts';
import { MODEL_PRESETS, presetFor } from './model_presets.ts';
import { modelSpecSchema } from './run_config.ts';

/** A dense layer's weights and bias; a 3x3 conv's; a norm's gamma and beta. */
const dense = (inputs: number, units: number) => inputs * units + units;
const conv3 = (cin: number, filters: number) => 9 * cin * filters + filters;
const norm = (channels: number) => 2 * channels;

test('mlp: parameters, training FLOPs and memory per tab', () => {
  const s = modelSummary(MODEL_PRESETS.mlp, 64, 'momentum');
  assert.equal(s.parameters, dense(784, 256) + dense(256, 128) + dense(128, 10));
  // the first layer has no input gradient to compute: forward and weight gradient only
  assert.equal(s.flopsPerSample, 2 * (2 * 784 * 256 + 3 * 256 * 128 + 3 * 128 * 10));
  // padded vector: 784*256 + 256 + 256*128 + 128 + 128*10 + 10 -> 64 floats
  const vector = 200704 + 256 + 32768 + 128 + 1280 + 64;
  assert.equal(parameterLayout(MODEL_PRESETS.mlp).length, vector);
  assert.equal(s.memoryPerTabBytes.parameters, vector * 4 * 5);
  const f = 4 * 64;
  const step = [
    784 * f, // x
    f, // labels
    Math.ceil((785 * 4) / 16) * 16, // the first layer's zero-column list
    256 * f, 128 * f, 10 * f, // dense outputs (relu is fused into them)
    10 * f, // dlogits
    128 * f, 256 * f, // input gradients of the last two dense layers
  ];
  assert.deepEqual([...stepBufferBytes(MODEL_PRESETS.mlp, 64)].sort((a, b) => a - b), step.sort((a, b) => a - b));
  assert.equal(s.memoryPerTabBytes.activations, step.reduce((a, b) => a + b));
  assert.equal(s.memoryPerTabBytes.total, s.memoryPerTabBytes.parameters + s.memoryPerTabBytes.activations);
});

test('adamw keeps one more parameter-sized vector than momentum SGD', () => {
  const momentum = modelSummary(MODEL_PRESETS.cnn, 32, 'momentum').memoryPerTabBytes;
  const adamw = modelSummary(MODEL_PRESETS.cnn, 32, 'adamw').memoryPerTabBytes;
  assert.equal(adamw.parameters - momentum.parameters, parameterLayout(MODEL_PRESETS.cnn).length * 4);
  assert.equal(adamw.activations, momentum.activations);
});

test('resnet on 28x28 grey images: parameters and training FLOPs', () => {
  const s = modelSummary(MODEL_PRESETS.resnet, 64, 'momentum');
  const residual = (c: number) => 2 * (conv3(c, c) + norm(c));
  assert.equal(s.parameters, conv3(1, 24) + norm(24) + residual(24) + conv3(24, 48) + norm(48) + residual(48) + dense(7 * 7 * 48, 10));
  // output pixels x filters x 9 x input channels per conv; the first conv computes no input gradient
  const macs = { first: 28 * 28 * 24 * 9 * 1, block24: 14 * 14 * 24 * 9 * 24, widen: 7 * 7 * 48 * 9 * 24, block48: 7 * 7 * 48 * 9 * 48, head: 7 * 7 * 48 * 10 };
  assert.equal(s.flopsPerSample, 2 * (2 * macs.first + 3 * (2 * macs.block24 + macs.widen + 2 * macs.block48 + macs.head)));
  assert.equal(s.flopsPerSample, 28_252_224);
});

test('resnet fitted to 32x32 colour images into 100 classes', () => {
  const spec = presetFor('resnet', { kind: 'images', sampleShape: { height: 32, width: 32, channels: 3 }, classes: 100 });
  const s = modelSummary(spec, 64, 'adamw');
  const residual = (c: number) => 2 * (conv3(c, c) + norm(c));
  assert.equal(s.parameters, conv3(3, 24) + norm(24) + residual(24) + conv3(24, 48) + norm(48) + residual(48) + dense(8 * 8 * 48, 100));
  const macs = { first: 32 * 32 * 24 * 9 * 3, block24: 16 * 16 * 24 * 9 * 24, widen: 8 * 8 * 48 * 9 * 24, block48: 8 * 8 * 48 * 9 * 48, head: 8 * 8 * 48 * 100 };
  assert.equal(s.flopsPerSample, 2 * (2 * macs.first + 3 * (2 * macs.block24 + macs.widen + 2 * macs.block48 + macs.head)));
});

test('char-transformer: parameters and training FLOPs', () => {
  const s = modelSummary(MODEL_PRESETS['char-transformer'], 32, 'adamw');
  const [context, width, vocab] = [128, 128, 256];
  const block = norm(width) + dense(width, 3 * width) + dense(width, width) + norm(width) + dense(width, 4 * width) + dense(4 * width, width);
  assert.equal(s.parameters, vocab * width + context * width + 2 * block + norm(width) + dense(width, vocab));
  assert.equal(s.parameters, 478_976);
  // every dense layer acts on each of the 128 positions, and all of them compute input gradients (the embedding
  // before them has parameters); attention's products cover the causal triangle, 7 of them forward and backward
  const denseMacs = context * (2 * (width * 3 * width + width * width + width * 4 * width + 4 * width * width) + width * vocab);
  const attention = 2 * 7 * ((context * (context + 1)) / 2) * width;
  assert.equal(s.flopsPerSample, 6 * denseMacs + 2 * attention);
});

test('a sequence model: outputs, saved statistics, residual copies and scratch, buffer by buffer', () => {
  const spec: ModelSpec = {
    name: 'tiny-lm',
    input: { height: 1, width: 8, channels: 1 },
    classes: 32,
    layers: [
      { kind: 'embedding', dim: 16 },
      { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'attention', heads: 2 }] },
      { kind: 'residual', layers: [{ kind: 'dense', units: 16 }, { kind: 'relu' }] },
      { kind: 'residual', layers: [{ kind: 'dropout', rate: 0.1 }, { kind: 'dense', units: 16 }] },
      { kind: 'dense', units: 32 },
    ],
  };
  const batch = 40;
  const rows = batch * 8;
  const f = (floats: number) => floats * 4;
  const act = f(rows * 16);
  // layer norm over 320 rows: partial sums of 18 chunks of 18 rows, two halves of 18 x 16 floats rounded up to 64s
  const normScratch = f(2 * 320);
  const step = [
    f(rows), f(rows), // x, labels
    act, // the embedding's output
    act, f(rows), f(rows), f(rows * 48), act, f(batch * 2 * 8), act, // norm output, mean, rstd, qkv, attention, lse, out
    act, act, // a dense output with its relu fused, and the block's sum: relu's backward reads the output it gave
    act, 16, act, // dropout's copy of the block's input, which the skip adds later, its seed, a dense output
    f(rows * 32), f(rows * 32), f(2 * rows), // logits, dlogits, the loss's partial sums
    act, // the head's input gradient
    act, // the third block's dense input gradient (dropout scales it in place)
    act, act, // the second block's own copy of its output gradient (relu works on it in place), its dense input gradient
    act, f(rows * 48), f(batch * 2 * 8), act, act, normScratch, // out, dqkv, attention scratch, qkv, layer norm, its scratch
  ];
  assert.deepEqual([...stepBufferBytes(spec, batch)].sort((a, b) => a - b), step.sort((a, b) => a - b));
});

test("the README's example specs are valid, with the costs it quotes", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Define a model'), readme.indexOf('\n## ', readme.indexOf('## Define a model') + 1));
  const specs = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => modelSpecSchema.parse(JSON.parse(m[1])) as ModelSpec);
  assert.equal(specs.length, 2);
  for (const [spec, batch, optimizer] of [[specs[0], 64, 'momentum'], [specs[1], 32, 'adamw']] as const) {
    const s = modelSummary(spec, batch, optimizer);
    const mib = (s.memoryPerTabBytes.total / 2 ** 20).toFixed(1);
    assert.ok(section.includes(`${s.parameters.toLocaleString('en-US')}`) && section.includes(`≈ ${mib} MiB`), `${spec.name}: ${s.parameters} parameters, ${mib} MiB`);
  }
});
