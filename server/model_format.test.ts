// The README's numpy loader, run on models the export routes serve: it must compute what the coordinator computes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { initialParameters } from '../shared/init.ts';
import { parameterLayout } from '../shared/layout.ts';
import { modelOps, shapeSize, type ModelSpec } from '../shared/model.ts';
import { charTransformer, MODEL_PRESETS } from '../shared/model_presets.ts';
import { modelConventions, modelConventionsSchema, type HwcShape, type LayerConvention } from '../shared/model_conventions.ts';
import { seededRandom } from '../shared/random.ts';
import { evaluate, logits } from '../shared/reference/model.ts';
import { relativeError } from '../shared/relative_error.ts';
import { runConfigSchema } from '../shared/run_config.ts';
import { loadDataset } from './datasets/catalog.ts';
import { api, startTestFlock, TEST_TOKEN } from './test_support.ts';

const SAMPLES = 100;

/** A preset-free spec: an odd-sized maxpool (7 -> 3) and a dense layer straight on an image, no flatten. */
const ODD_SPEC: ModelSpec = {
  name: 'odd', input: { height: 28, width: 28, channels: 1 }, classes: 10,
  layers: [
    { kind: 'conv2d', filters: 4, kernel: 5 }, { kind: 'maxpool2' }, { kind: 'maxpool2' }, { kind: 'relu' },
    { kind: 'maxpool2' }, { kind: 'conv2d', filters: 6, kernel: 3 }, { kind: 'dense', units: 10 },
  ],
};

/** Every image layer kind: strided and padded convolutions, max and average pools of other sizes, group and layer
 *  norm, gelu, dropout (the identity in evaluation), nested residual blocks, a global average pool. */
const ALL_IMAGE_LAYERS: ModelSpec = {
  name: 'all-image-layers', input: { height: 28, width: 28, channels: 1 }, classes: 10,
  layers: [
    { kind: 'conv2d', filters: 4, kernel: 3, stride: 2, padding: 1 }, { kind: 'groupnorm', groups: 2 }, { kind: 'relu' },
    { kind: 'residual', layers: [{ kind: 'conv2d', filters: 4, kernel: 3 }, { kind: 'layernorm' }, { kind: 'gelu' }, { kind: 'residual', layers: [{ kind: 'dropout', rate: 0.3 }, { kind: 'relu' }] }] },
    { kind: 'maxpool', size: 3 }, { kind: 'conv2d', filters: 5, kernel: 2, padding: 1 }, { kind: 'avgpool', size: 2 },
    { kind: 'globalavgpool' }, { kind: 'dense', units: 10 },
  ],
};

const MODELS: [string, ModelSpec][] = [
  ['mlp', MODEL_PRESETS.mlp], ['cnn', MODEL_PRESETS.cnn], ['resnet', MODEL_PRESETS.resnet], ['odd', ODD_SPEC], ['all-image-layers', ALL_IMAGE_LAYERS],
];
const configModel = (model: string, spec: ModelSpec) => (model in MODEL_PRESETS ? model : spec);

function python(args: string[], cwd: string): string {
  const r = spawnSync('python3', args, { cwd, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`python3 ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

function requireNumpy(): void {
  const r = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    assert.fail(`this test runs the README's loader with python3 and numpy, which are missing (${r.error?.message ?? r.stderr.trim()}): apt-get install -y python3-numpy`);
  }
}

/** The one python block of the README's "The model format" section. */
function readmeLoader(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('The model format\n'));
  const blocks = [...(section ?? '').matchAll(/^```python\n([\s\S]*?)^```$/gm)];
  assert.equal(blocks.length, 1, 'README.md: the "## The model format" section must hold exactly one ```python block');
  return blocks[0][1];
}

/** An IDX file (the MNIST format) of uint8 values. */
function idx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint8(2, 0x08);
  view.setUint8(3, dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Seeded weights with nonzero biases, so no two logits tie by construction. */
function weightsFor(spec: ModelSpec): Float32Array {
  const params = initialParameters(spec, 11);
  const rnd = seededRandom(5);
  for (const t of parameterLayout(spec).tensors) {
    if (t.role === 'bias') for (let i = 0; i < t.length; i++) params[t.offset + i] = (rnd() - 0.5) * 0.2;
  }
  return params;
}

function argmaxRows(x: ArrayLike<number>, classes: number): number[] {
  return Array.from({ length: x.length / classes }, (_, r) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (x[r * classes + c] > x[r * classes + best]) best = c;
    return best;
  });
}

/** A scratch folder holding the README's loader as flock_model.py (python3 with numpy required). */
function loaderDir(): string {
  requireNumpy();
  const dir = mkdtempSync(join(tmpdir(), 'flock-model-format-'));
  writeFileSync(join(dir, 'flock_model.py'), readmeLoader());
  return dir;
}

/** The run's model as the export route serves it, saved as `<dir>/<name>.safetensors`. */
async function downloadModel(flock: { url: string }, runId: number, dir: string, name: string): Promise<void> {
  const res = await fetch(`${flock.url}/api/runs/${runId}/model.safetensors`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  assert.equal(res.status, 200);
  writeFileSync(join(dir, `${name}.safetensors`), new Uint8Array(await res.arrayBuffer()));
}

test("the README's numpy loader computes the coordinator's logits and reported accuracy on exported models", async () => {
  const dir = loaderDir();
  const mnist = (await loadDataset('mnist')).test;
  const size = shapeSize(MODEL_PRESETS.mlp.input);
  const pixels = mnist.pixels.subarray(0, SAMPLES * size);
  const labels = mnist.labels.subarray(0, SAMPLES);
  // the images gzipped as Fashion-MNIST ships them, the labels plain: the loader reads both
  writeFileSync(join(dir, 'images.gz'), gzipSync(idx([SAMPLES, 28, 28], pixels)));
  writeFileSync(join(dir, 'labels'), idx([SAMPLES], labels));

  const flock = await startTestFlock({ evalSamples: SAMPLES });
  try {
    for (const [model, spec] of MODELS) {
      const config = runConfigSchema.parse({
        name: `format ${model}`, model: configModel(model, spec), dataset: 'mnist',
        hyper: { lr: 0.1, momentum: 0.9, batch: 8, tau: 5, lambdaL: 0, lambdaG: 0.1 }, stop: { steps: 10 },
      });
      const run = flock.store.createRun(config, parameterLayout(spec).length, Date.now());
      const weights = weightsFor(spec);
      const checkpoint = flock.store.addCheckpoint(run.id, { t: Date.now(), step: 10, round: 2, version: 2, workerId: 'w', final: true, weights });
      // what the evaluator thread computes for a checkpoint: the reference on the first evalSamples test images
      const reported = evaluate(spec, weights, pixels, labels, SAMPLES);
      flock.store.setCheckpointEval(checkpoint, reported.loss, reported.accuracy);
      await downloadModel(flock, run.id, dir, model);
      const manifest = (await api(flock, 'GET', `/api/runs/${run.id}/model.json`)).body;
      assert.equal(manifest.test.accuracy, reported.accuracy);

      const printed = python(['flock_model.py', `${model}.safetensors`, 'images.gz', 'labels', String(SAMPLES)], dir);
      const m = /^accuracy (\S+) \((\d+) of (\d+) test images\)$/m.exec(printed);
      assert.ok(m, `${model}: unexpected output ${JSON.stringify(printed)}`);
      assert.equal(Number(m[1]), manifest.test.accuracy, `${model}: the loader's accuracy vs the reported one`);
      assert.equal(Number(m[3]), SAMPLES);

      python(['-c', `import flock_model as f; f.logits(f.load_model('${model}.safetensors'), f.load_idx('images.gz')).astype('<f8').tofile('${model}.logits')`], dir);
      const got = new Float64Array(new Uint8Array(readFileSync(join(dir, `${model}.logits`))).buffer);
      const x = Float64Array.from(pixels, (p) => p / 255);
      const expected = logits(spec, weights, x, SAMPLES);
      assert.equal(got.length, expected.length, `${model}: logits count`);
      const error = relativeError(got, expected);
      assert.ok(error < 1e-4, `${model}: logits differ from the reference by ${error} (relative)`);
      assert.deepEqual(argmaxRows(got, spec.classes), argmaxRows(expected, spec.classes), `${model}: predicted classes`);
    }
  } finally {
    await flock.close();
  }
});

/** Byte-level sequence models: a small char-transformer and one with every sequence layer kind. */
const SEQUENCE_MODELS: ModelSpec[] = [
  charTransformer(16, 16, 4, 2),
  {
    name: 'all-sequence-layers', input: { height: 1, width: 12, channels: 1 }, classes: 256,
    layers: [
      { kind: 'embedding', dim: 16 },
      { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'attention', heads: 2 }, { kind: 'dropout', rate: 0.2 }] },
      { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'dense', units: 24 }, { kind: 'relu' }, { kind: 'dense', units: 16 }] },
      { kind: 'gelu' }, { kind: 'layernorm' }, { kind: 'dense', units: 256 },
    ],
  },
];

test("the README's numpy loader computes the coordinator's next-byte logits and bits per byte on exported sequence models", async () => {
  const dir = loaderDir();
  const text = new TextEncoder().encode('Flock trains on volunteers\' browsers; every byte is a token. '.repeat(8) + 'The end.\n');
  writeFileSync(join(dir, 'text.txt'), text);
  const flock = await startTestFlock();
  try {
    for (const spec of SEQUENCE_MODELS) {
      const context = spec.input.width;
      const windows = Math.floor((text.length - 1) / context);
      const config = runConfigSchema.parse({
        name: `format ${spec.name}`, model: spec, dataset: 'fortunes',
        hyper: { lr: 0.003, momentum: 0.9, batch: 4, tau: 5, lambdaL: 0, lambdaG: 0.1, optimizer: 'adamw' }, stop: { steps: 10 },
      });
      const run = flock.store.createRun(config, parameterLayout(spec).length, Date.now());
      const weights = weightsFor(spec);
      flock.store.addCheckpoint(run.id, { t: Date.now(), step: 10, round: 2, version: 2, workerId: 'w', final: true, weights });
      await downloadModel(flock, run.id, dir, spec.name);

      // a text split holds each byte with the next one as its label, as the coordinator evaluates it
      const reported = evaluate(spec, weights, text.subarray(0, -1), text.subarray(1), windows * context);
      const printed = python(['flock_model.py', `${spec.name}.safetensors`, 'text.txt'], dir);
      const m = /^bits per byte (\S+) \(next byte right (\S+), (\d+) windows of (\d+) bytes\)$/m.exec(printed);
      assert.ok(m, `${spec.name}: unexpected output ${JSON.stringify(printed)}`);
      assert.deepEqual([Number(m[3]), Number(m[4])], [windows, context]);
      assert.ok(Math.abs(Number(m[1]) - reported.loss / Math.LN2) < 1e-9, `${spec.name}: ${m[1]} bits per byte vs the reference's ${reported.loss / Math.LN2}`);
      assert.ok(Math.abs(Number(m[2]) - reported.accuracy) < 1e-12, `${spec.name}: next-byte accuracy ${m[2]} vs ${reported.accuracy}`);

      python(['-c', `import flock_model as f; f.logits(f.load_model('${spec.name}.safetensors'), f.text_windows('text.txt', ${context})[0]).astype('<f8').tofile('${spec.name}.logits')`], dir);
      const got = new Float64Array(new Uint8Array(readFileSync(join(dir, `${spec.name}.logits`))).buffer);
      const expected = logits(spec, weights, Float64Array.from(text.subarray(0, windows * context)), windows);
      assert.equal(got.length, expected.length, `${spec.name}: logits count`);
      const error = relativeError(got, expected);
      assert.ok(error < 1e-9, `${spec.name}: logits differ from the reference by ${error} (relative)`);
    }
  } finally {
    await flock.close();
  }
});

function checkLayers(spec: ModelSpec, layers: LayerConvention[]): void {
  const ops = modelOps(spec);
  const hwc = (s: { height: number; width: number; channels: number }): HwcShape => [s.height, s.width, s.channels];
  assert.equal(layers.length, ops.length, `${spec.name}: one convention per op`);
  layers.forEach((l, i) => {
    assert.equal(l.index, i);
    assert.equal(l.kind, ops[i].kind);
    assert.deepEqual(l.input, hwc(ops[i].input), `${spec.name} op ${i} input`);
    assert.deepEqual(l.output, hwc(ops[i].output), `${spec.name} op ${i} output`);
    for (const t of l.tensors) assert.equal(t.axes.length, t.shape.length, `${t.name}: an axis name per dimension`);
  });
  const named = layers.flatMap((l) => l.tensors.map((t) => [t.name, t.shape]));
  assert.deepEqual(named, parameterLayout(spec).tensors.map((t) => [t.name, t.shape]), `${spec.name}: every tensor of the layout, once, in order`);
}

test('the manifest states the conventions of its spec: every layer, its shapes, its tensors and their axes', async () => {
  const flock = await startTestFlock();
  try {
    for (const [model, spec] of MODELS) {
      const config = runConfigSchema.parse({
        name: `conventions ${model}`, model: configModel(model, spec), dataset: 'fashion-mnist',
        hyper: { lr: 0.1, momentum: 0.9, batch: 8, tau: 5, lambdaL: 0, lambdaG: 0.1 }, stop: { steps: 10 },
      });
      const run = flock.store.createRun(config, parameterLayout(spec).length, Date.now());
      flock.store.addCheckpoint(run.id, { t: 1, step: 1, round: 1, version: 1, workerId: 'w', final: false, weights: new Float32Array(parameterLayout(spec).length) });
      const { conventions } = (await api(flock, 'GET', `/api/runs/${run.id}/model.json`)).body;
      // parsing drops keys the schema does not name, so equality also says there are none
      assert.deepEqual(modelConventionsSchema.parse(conventions), conventions);
      checkLayers(spec, conventions.layers);
      assert.deepEqual(conventions.input.shape, [28, 28, 1]);
      assert.deepEqual(conventions.output.shape, [10]);
      assert.equal(conventions.output.classNames[9], 'Ankle boot');
    }
  } finally {
    await flock.close();
  }
  const cnn = modelConventions(MODEL_PRESETS.cnn);
  assert.equal(cnn.output.classNames, null);
  const conv = cnn.layers[0];
  assert.deepEqual(conv.tensors[0], { name: 'layers.0.weight', shape: [3, 3, 1, 16], axes: ['kh', 'kw', 'in', 'out'] });
  assert.deepEqual([conv.kernel, conv.stride], [[3, 3], 1]);
  assert.match(conv.operation, /^cross-correlation/);
  assert.deepEqual(cnn.layers[7].tensors[0], { name: 'layers.7.weight', shape: [7 * 7 * 32, 10], axes: ['in', 'out'] });
  assert.deepEqual([cnn.layers[2].kernel, cnn.layers[2].stride], [[2, 2], 2]);
  assert.throws(() => modelConventions(MODEL_PRESETS.cnn, ['a', 'b']), /2 class names for 10 classes/);
});
