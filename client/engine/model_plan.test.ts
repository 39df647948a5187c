// The plan's forward and backward dispatches with each matmul variant forced, against the float64 reference
// gradient: in particular the first dense layer's skipping of input columns that are zero across the batch,
// which only the variants that use the nonzero hint switch on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from '../gpu/node_device.ts';
import { encodeDispatches, PipelineCache } from '../gpu/dispatch.ts';
import { MATMUL_VARIANTS, variantSkipsZeros } from '../gpu/matmul.ts';
import { STATS_FLOATS } from '../gpu/softmax_xent.ts';
import { bufferFrom, emptyBuffer, readF32, relativeError } from '../gpu/test_support.ts';
import { buildModelPlan } from './model_plan.ts';
import { initialParameters } from '../../shared/init.ts';
import { parameterLayout } from '../../shared/layout.ts';
import type { ModelSpec } from '../../shared/model.ts';
import { seededRandom } from '../../shared/random.ts';
import { lossAndGradient } from '../../shared/reference/model.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

const spec: ModelSpec = {
  name: 'small-mlp',
  input: { height: 6, width: 7, channels: 1 },
  classes: 5,
  layers: [{ kind: 'flatten' }, { kind: 'dense', units: 37 }, { kind: 'relu' }, { kind: 'dense', units: 5 }],
};
const BATCH = 33;

for (const variant of MATMUL_VARIANTS) {
  test(`plan with every matmul ${variant}: the gradient matches the reference when input columns are zero across the batch`, async () => {
    const layout = parameterLayout(spec);
    const size = 42;
    const r = seededRandom(17);
    // A blank border and every third column empty in every sample; the rest sparse, like digits.
    const blank = (c: number) => c < 7 || c % 3 === 0;
    const x = Float32Array.from({ length: BATCH * size }, (_, i) => (blank(i % size) || r() < 0.5 ? 0 : r()));
    const labels = Uint32Array.from({ length: BATCH }, () => Math.floor(r() * spec.classes));
    const params = initialParameters(spec, 3);
    const buffers = {
      x: bufferFrom(device, x),
      labels: bufferFrom(device, labels),
      params: bufferFrom(device, params),
      grads: bufferFrom(device, new Float32Array(layout.length).fill(NaN)),
      stats: emptyBuffer(device, STATS_FLOATS),
    };
    const plan = buildModelPlan(cache, spec, layout, BATCH, buffers, () => variant);
    const listed = plan.forward.some((d) => d.label === 'active columns');
    assert.equal(listed, variantSkipsZeros(variant), `the zero columns are listed only for a variant that skips them`);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, [...plan.forward, ...plan.loss, ...plan.backward]);
    pass.end();
    device.queue.submit([encoder.finish()]);
    const grads = await readF32(device, buffers.grads, layout.length);
    plan.destroy();
    const ref = lossAndGradient(spec, params, x, labels, BATCH);
    for (const t of layout.tensors) {
      const err = relativeError(grads.subarray(t.offset, t.offset + t.length), ref.grad.subarray(t.offset, t.offset + t.length));
      assert.ok(err < 2e-4, `${variant}, ${t.name}: relative gradient error ${err}`);
    }
  });
}
