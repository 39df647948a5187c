// The plan's forward and backward dispatches for every layer kind (strided convolutions, pools, group and layer
// norm, gelu, dropout, residual blocks including one whose layers work in place, embeddings, causal attention) and
// for the resnet and char-transformer presets on small inputs, against the float64 reference gradient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from '../gpu/node_device.ts';
import { encodeDispatches, PipelineCache } from '../gpu/dispatch.ts';
import { STATS_FLOATS } from '../gpu/softmax_xent.ts';
import { bufferFrom, emptyBuffer, readF32, relativeError } from '../gpu/test_support.ts';
import { buildModelPlan } from './model_plan.ts';
import { initialParameters } from '../../shared/init.ts';
import { parameterLayout } from '../../shared/layout.ts';
import { isSequenceModel, outputPositions, shapeSize, type ModelSpec } from '../../shared/model.ts';
import { seededRandom } from '../../shared/random.ts';
import { dropoutSeed } from '../../shared/reference/dropout.ts';
import { lossAndGradient } from '../../shared/reference/model.ts';
import { LAYER_TEST_SPECS, PRESET_TEST_SPECS } from '../../shared/reference/test_specs.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);
const BATCH = 5;

async function planGradient(spec: ModelSpec, params: Float32Array, x: Float32Array, labels: Uint32Array, draw: { seed: number; step: number }) {
  const layout = parameterLayout(spec);
  const buffers = {
    x: bufferFrom(device, x),
    labels: bufferFrom(device, labels),
    params: bufferFrom(device, params),
    grads: bufferFrom(device, new Float32Array(layout.length).fill(NaN)),
    stats: emptyBuffer(device, STATS_FLOATS),
  };
  const plan = buildModelPlan(cache, spec, layout, BATCH, buffers, () => 'vec4');
  for (const d of plan.dropoutSeeds) device.queue.writeBuffer(d.buffer, 0, Uint32Array.of(dropoutSeed(draw.seed, draw.step, d.op)));
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encodeDispatches(pass, [...plan.forward, ...plan.loss, ...plan.backward]);
  pass.end();
  device.queue.submit([encoder.finish()]);
  const grads = await readF32(device, buffers.grads, layout.length);
  const stats = await readF32(device, buffers.stats, STATS_FLOATS);
  plan.destroy();
  return { grads, stats };
}

for (const spec of [...LAYER_TEST_SPECS, ...PRESET_TEST_SPECS]) {
  test(`${spec.name}: the plan's loss and every tensor's gradient match the reference`, async () => {
    const layout = parameterLayout(spec);
    const r = seededRandom(23);
    const sequence = isSequenceModel(spec);
    const x = Float32Array.from({ length: BATCH * shapeSize(spec.input) }, () => (sequence ? Math.floor(r() * spec.classes) : r()));
    const labels = Uint32Array.from({ length: BATCH * outputPositions(spec) }, () => Math.floor(r() * spec.classes));
    const params = initialParameters(spec, 3);
    // move biases, norm gains and shifts off their initial values so their paths are exercised
    for (const t of layout.tensors) {
      if (t.role === 'bias' || t.role === 'gamma' || t.role === 'beta') for (let i = 0; i < t.length; i++) params[t.offset + i] += (r() - 0.5) * 0.2;
    }
    const draw = { seed: 7, step: 3 };
    const { grads, stats } = await planGradient(spec, params, x, labels, draw);
    const ref = lossAndGradient(spec, params, x, labels, BATCH, draw);
    const rows = BATCH * outputPositions(spec);
    assert.ok(Math.abs(stats[0] / rows - ref.loss) < 1e-4 * Math.max(1, ref.loss), `loss ${stats[0] / rows} vs ${ref.loss}`);
    assert.equal(stats[2], rows);
    for (const t of layout.tensors) {
      const err = relativeError(grads.subarray(t.offset, t.offset + t.length), ref.grad.subarray(t.offset, t.offset + t.length));
      assert.ok(err < 5e-4, `${t.name}: relative gradient error ${err}`);
    }
  });
}
