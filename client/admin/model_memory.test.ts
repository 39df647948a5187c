// The dashboard shows a model's memory per tab before any tab runs it (shared/model_summary.ts counts it from the
// spec): here that count meets the buffers buildModelPlan really creates on a device, buffer by buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from '../gpu/node_device.ts';
import { PipelineCache } from '../gpu/dispatch.ts';
import type { MatmulShape, MatmulVariant } from '../gpu/matmul.ts';
import { STATS_FLOATS } from '../gpu/softmax_xent.ts';
import { emptyBuffer } from '../gpu/test_support.ts';
import { buildModelPlan } from '../engine/model_plan.ts';
import { parameterLayout } from '../../shared/layout.ts';
import { outputPositions, shapeSize, type ModelSpec } from '../../shared/model.ts';
import { MODEL_PRESETS } from '../../shared/model_presets.ts';
import { modelSummary, stepBufferBytes } from '../../shared/model_summary.ts';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

/** The sizes of the buffers created while `build` runs: by model_plan.ts itself, or by a kernel wrapper for its own
 *  partial sums (which the summary leaves out). */
function allocations(build: () => void): { plan: number[]; kernels: number[] } {
  const sizes = { plan: [] as number[], kernels: [] as number[] };
  const createBuffer = device.createBuffer;
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const caller = new Error().stack!.split('\n')[2] ?? '';
    (caller.includes('model_plan.ts') ? sizes.plan : sizes.kernels).push(descriptor.size);
    return createBuffer.call(device, descriptor);
  };
  try {
    build();
  } finally {
    device.createBuffer = createBuffer;
  }
  return sizes;
}

/** Builds the training plan of `spec` for `batch` samples, with the minibatch buffers a trainer makes, and compares
 *  what it allocates with stepBufferBytes. Returns the bytes of the kernels' own partial sums, left out of it. */
function checkPlan(spec: ModelSpec, batch: number, variantFor: (s: MatmulShape) => MatmulVariant = () => 'vec4'): number {
  const layout = parameterLayout(spec);
  const x = emptyBuffer(device, batch * shapeSize(spec.input));
  const labels = emptyBuffer(device, batch * outputPositions(spec));
  const buffers = { x, labels, params: emptyBuffer(device, layout.length), grads: emptyBuffer(device, layout.length), stats: emptyBuffer(device, STATS_FLOATS) };
  let destroy = () => {};
  const made = allocations(() => {
    destroy = buildModelPlan(cache, spec, layout, batch, buffers, variantFor).destroy;
  });
  destroy();
  for (const b of Object.values(buffers)) b.destroy();
  const sorted = (sizes: number[]) => [...sizes].sort((a, b) => a - b);
  assert.deepEqual(sorted([x.size, labels.size, ...made.plan]), sorted(stepBufferBytes(spec, batch)), `${spec.name}: the plan's buffers`);
  return made.kernels.reduce((a, b) => a + b, 0);
}

test('mlp: the summary counts every buffer of the plan, the zero-column list included', () => {
  const batch = 64;
  // a variant that skips zero columns on the first layer's product, so the plan lists them
  checkPlan(MODEL_PRESETS.mlp, batch, (s) => (s.k === 784 && !s.transA ? 'wide' : 'vec4'));
});

test('an image model with residual blocks, group norm, pools and dropout', (t) => {
  const spec: ModelSpec = {
    name: 'small-resnet',
    input: { height: 12, width: 12, channels: 3 },
    classes: 5,
    layers: [
      { kind: 'conv2d', filters: 8, kernel: 3 },
      { kind: 'groupnorm', groups: 4 },
      { kind: 'relu' },
      { kind: 'maxpool2' },
      { kind: 'residual', layers: [{ kind: 'conv2d', filters: 8, kernel: 3 }, { kind: 'groupnorm', groups: 4 }, { kind: 'relu' }, { kind: 'conv2d', filters: 8, kernel: 3 }, { kind: 'groupnorm', groups: 4 }] },
      { kind: 'residual', layers: [{ kind: 'relu' }, { kind: 'dropout', rate: 0.25 }] },
      { kind: 'avgpool', size: 2 },
      { kind: 'globalavgpool' },
      { kind: 'dense', units: 5 },
    ],
  };
  const batch = 24;
  const kernels = checkPlan(spec, batch);
  t.diagnostic(`activations ${modelSummary(spec, batch, 'momentum').memoryPerTabBytes.activations} bytes; the kernels' own partial sums ${kernels} more`);
});

test('a small sequence model: attention, layer norm past one pass of rows, gelu and dropout', (t) => {
  const spec: ModelSpec = {
    name: 'small-lm',
    input: { height: 1, width: 16, channels: 1 },
    classes: 256,
    layers: [
      { kind: 'embedding', dim: 16 },
      { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'attention', heads: 2 }] },
      { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'dense', units: 64 }, { kind: 'gelu' }, { kind: 'dense', units: 16 }, { kind: 'dropout', rate: 0.1 }] },
      { kind: 'layernorm' },
      { kind: 'dense', units: 256 },
    ],
  };
  const batch = 20;
  const kernels = checkPlan(spec, batch);
  t.diagnostic(`activations ${modelSummary(spec, batch, 'adamw').memoryPerTabBytes.activations} bytes; the kernels' own partial sums ${kernels} more`);
});
