// Small specs that together use every layer kind, and the presets shrunk to small inputs with their layers
// unchanged: what the gradient checks of the CPU reference and of the GPU plan both run.
import type { ModelSpec } from '../model.ts';
import { charTransformer, presetFor } from '../model_presets.ts';

/** Every image layer kind: strided and padded convolutions, both pools, group and layer norm, gelu, dropout, and
 *  residual blocks (one nested, one whose layers work in place on its input). */
const tinyResidual: ModelSpec = {
  name: 'tiny-residual',
  input: { height: 11, width: 10, channels: 3 },
  classes: 3,
  layers: [
    { kind: 'conv2d', filters: 4, kernel: 3, stride: 2, padding: 1 },
    { kind: 'groupnorm', groups: 2 },
    { kind: 'relu' },
    { kind: 'residual', layers: [{ kind: 'conv2d', filters: 4, kernel: 3 }, { kind: 'layernorm' }, { kind: 'gelu' }, { kind: 'residual', layers: [{ kind: 'dropout', rate: 0.3 }, { kind: 'relu' }] }] },
    { kind: 'maxpool', size: 2 },
    { kind: 'conv2d', filters: 5, kernel: 2, padding: 1 },
    { kind: 'avgpool', size: 2 },
    { kind: 'globalavgpool' },
    { kind: 'dense', units: 3 },
  ],
};

/** Every sequence layer kind: embeddings, pre-norm attention and mlp blocks, dropout, next-byte prediction. */
const tinySequence: ModelSpec = {
  name: 'tiny-sequence',
  input: { height: 1, width: 5, channels: 1 },
  classes: 11,
  layers: [
    { kind: 'embedding', dim: 8 },
    { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'attention', heads: 2 }, { kind: 'dropout', rate: 0.2 }] },
    { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'dense', units: 12 }, { kind: 'gelu' }, { kind: 'dense', units: 8 }] },
    { kind: 'layernorm' },
    { kind: 'dense', units: 11 },
  ],
};

export const LAYER_TEST_SPECS: ModelSpec[] = [tinyResidual, tinySequence];

export const PRESET_TEST_SPECS: ModelSpec[] = [
  presetFor('resnet', { kind: 'images', sampleShape: { height: 8, width: 8, channels: 3 }, classes: 4 }),
  charTransformer(6, 16, 4, 2),
];
