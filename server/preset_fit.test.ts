// Presets fit the dataset a run is created on: resnet takes a CIFAR upload's 32x32 colour images and classes as they
// are, char-transformer takes an uploaded text, and a preset that cannot train on a dataset is refused with why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cifarBatch, uploadBody } from '../shared/dataset_fixtures.ts';
import { modelOps, type ModelSpec } from '../shared/model.ts';
import { api, runBody, startTestFlock, TEST_TOKEN } from './test_support.ts';

async function upload(url: string, name: string, format: 'cifar100' | 'text', files: Parameters<typeof uploadBody>[1]): Promise<void> {
  const { body, query } = uploadBody(format, files);
  const res = await fetch(`${url}/api/datasets?${new URLSearchParams({ name, format, files: query })}`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/octet-stream' }, body,
  });
  assert.equal(res.status, 201, await res.text());
}

test('resnet fits a CIFAR-100 upload and char-transformer a text upload; a preset that cannot train on a dataset is refused', async () => {
  const flock = await startTestFlock();
  try {
    await upload(flock.url, 'colour', 'cifar100', { 'train-batches': [cifarBatch([3, 1, 4, 1, 5, 9, 2, 6], [0, 0, 0, 0, 0, 0, 0, 0])], 'test-batches': [cifarBatch([5, 3], [0, 0])] });
    await upload(flock.url, 'prose', 'text', { text: [new TextEncoder().encode('The quick brown fox jumps over the lazy dog. '.repeat(40))] });

    const resnet = await api(flock, 'POST', '/api/runs', runBody({ dataset: 'colour', model: 'resnet' }));
    assert.equal(resnet.status, 201, JSON.stringify(resnet.body));
    const spec = resnet.body.config.model as ModelSpec;
    assert.deepEqual(spec.input, { height: 32, width: 32, channels: 3 });
    assert.equal(spec.classes, 100);
    assert.deepEqual(modelOps(spec).at(-1)!.output, { height: 1, width: 1, channels: 100 });

    const text = await api(flock, 'POST', '/api/runs', runBody({ dataset: 'prose', model: 'char-transformer', hyper: { lr: 0.003, momentum: 0.9, optimizer: 'adamw', batch: 4, tau: 5, lambdaL: 0.1, lambdaG: 0.1 } }));
    assert.equal(text.status, 201, JSON.stringify(text.body));
    // the preset fits text as it is, so the run keeps its name
    assert.equal(text.body.config.model, 'char-transformer');

    const refusals: [string, unknown, RegExp][] = [
      ['colour', 'char-transformer', /trains on a text dataset/],
      ['prose', 'resnet', /classifies images/],
      ['colour', 'mlp', /use resnet/],
      ['prose', { name: 'images-on-text', input: { height: 1, width: 8, channels: 1 }, classes: 256, layers: [{ kind: 'flatten' }, { kind: 'dense', units: 256 }] }, /prose is text/],
    ];
    for (const [dataset, model, why] of refusals) {
      const res = await api(flock, 'POST', '/api/runs', runBody({ dataset, model }));
      assert.equal(res.status, 400, `${dataset} with ${JSON.stringify(model)}`);
      assert.match(res.body.issues[0].reason, why);
      assert.equal(res.body.issues[0].field, 'model');
    }
  } finally {
    await flock.close();
  }
});
