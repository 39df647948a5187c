// The models an operator can pick by name. mlp and cnn are fixed 28x28 grey classifiers; resnet and char-transformer
// fit the dataset they train on (presetFor): resnet any image size and channel count (its head is sized for the input),
import { isSequenceModel, type Layer, type ModelSpec, type TensorShape } from './model.ts';

const GREY_28: TensorShape = { height: 28, width: 28, channels: 1 };
/** char-transformer's window of bytes. */
export const CHAR_CONTEXT = 128;
/** Byte-level text: every byte value is a token. */
export const BYTE_VOCAB = 256;

/** conv 3x3, group norm (8 groups), in a residual pair with relu between: the resnet's building block. */
const convNorm = (filters: number): Layer[] => [
  { kind: 'conv2d', filters, kernel: 3 },
  { kind: 'groupnorm', groups: 8 },
];
const residualPair = (filters: number): Layer => ({ kind: 'residual', layers: [...convNorm(filters), { kind: 'relu' }, ...convNorm(filters)] });

/** Two stages (a residual pair each, at a half and a quarter of the input's size), narrow enough that one SwiftShader
 *  tab trains Fashion-MNIST to 92% within the hour. */
function resnet(input: TensorShape, classes: number, widths: [number, number] = [24, 48]): ModelSpec {
  return {
    name: 'resnet',
    input,
    classes,
    layers: [
      ...convNorm(widths[0]),
      { kind: 'relu' },
      { kind: 'maxpool2' },
      residualPair(widths[0]),
      { kind: 'relu' },
      { kind: 'maxpool2' },
      ...convNorm(widths[1]),
      { kind: 'relu' },
      residualPair(widths[1]),
      { kind: 'relu' },
      { kind: 'flatten' },
      { kind: 'dense', units: classes },
    ],
  };
}

/** Pre-norm transformer blocks: x + attention(layernorm(x)), then x + mlp(layernorm(x)). */
export function charTransformer(context: number, width = 128, heads = 4, blocks = 2): ModelSpec {
  const block: Layer[] = [
    { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'attention', heads }] },
    { kind: 'residual', layers: [{ kind: 'layernorm' }, { kind: 'dense', units: 4 * width }, { kind: 'gelu' }, { kind: 'dense', units: width }] },
  ];
  return {
    name: 'char-transformer',
    input: { height: 1, width: context, channels: 1 },
    classes: BYTE_VOCAB,
    layers: [{ kind: 'embedding', dim: width }, ...Array.from({ length: blocks }, () => block).flat(), { kind: 'layernorm' }, { kind: 'dense', units: BYTE_VOCAB }],
  };
}

export const MODEL_PRESETS = {
  mlp: {
    name: 'mlp',
    input: GREY_28,
    classes: 10,
    layers: [
      { kind: 'flatten' },
      { kind: 'dense', units: 256 },
      { kind: 'relu' },
      { kind: 'dense', units: 128 },
      { kind: 'relu' },
      { kind: 'dense', units: 10 },
    ],
  },
  cnn: {
    name: 'cnn',
    input: GREY_28,
    classes: 10,
    layers: [
      { kind: 'conv2d', filters: 16, kernel: 3 },
      { kind: 'relu' },
      { kind: 'maxpool2' },
      { kind: 'conv2d', filters: 32, kernel: 3 },
      { kind: 'relu' },
      { kind: 'maxpool2' },
      { kind: 'flatten' },
      { kind: 'dense', units: 10 },
    ],
  },
  resnet: resnet(GREY_28, 10),
  'char-transformer': charTransformer(CHAR_CONTEXT),
} satisfies Record<string, ModelSpec>;

export type ModelPresetName = keyof typeof MODEL_PRESETS;
export const MODEL_PRESET_NAMES = Object.keys(MODEL_PRESETS) as [ModelPresetName, ...ModelPresetName[]];

export function isModelPresetName(name: string): name is ModelPresetName {
  return Object.hasOwn(MODEL_PRESETS, name);
}

/** What a preset needs to know of its dataset. */
export interface PresetData {
  kind: 'images' | 'text';
  sampleShape: TensorShape;
  classes: number;
}

/** The preset `name` fitted to a dataset; throws with what does not fit (a text model on images, say). */
export function presetFor(name: ModelPresetName, data: PresetData): ModelSpec {
  if (name === 'char-transformer') {
    if (data.kind !== 'text') throw new Error('char-transformer trains on a text dataset (byte-level language modelling); pick a text dataset');
    return charTransformer(CHAR_CONTEXT);
  }
  if (data.kind === 'text') throw new Error(`${name} classifies images; a text dataset needs char-transformer or a sequence model`);
  if (name === 'resnet') return resnet(data.sampleShape, data.classes);
  const fixed = structuredClone(MODEL_PRESETS[name]) as ModelSpec;
  const { height, width, channels } = data.sampleShape;
  if (fixed.input.height !== height || fixed.input.width !== width || fixed.input.channels !== channels || fixed.classes !== data.classes) {
    throw new Error(`${name} takes 28x28x1 images into 10 classes; this dataset is ${height}x${width}x${channels} with ${data.classes}: use resnet, which fits any image size`);
  }
  return fixed;
}

/** Why `spec` cannot train on a dataset (null when it can): an image model must take its samples' shape into its
 *  classes; a sequence model needs text and a vocabulary of every byte. */
export function datasetMismatch(spec: ModelSpec, data: PresetData, name: string): string | null {
  const { height, width, channels } = data.sampleShape;
  if (isSequenceModel(spec)) {
    if (data.kind !== 'text') return `${spec.name} is a sequence model (its first layer is embedding); ${name} holds images, not text`;
    if (spec.classes !== BYTE_VOCAB) return `${spec.name}: a byte-level text model has a vocabulary of ${BYTE_VOCAB} (classes), not ${spec.classes}`;
    return null;
  }
  if (data.kind === 'text') return `${spec.name} classifies images; ${name} is text: use a sequence model (first layer embedding), such as the char-transformer preset`;
  if (spec.input.height !== height || spec.input.width !== width || spec.input.channels !== channels || spec.classes !== data.classes) {
    return `model takes ${spec.input.height}x${spec.input.width}x${spec.input.channels} into ${spec.classes} classes; ${name} is ${height}x${width}x${channels} with ${data.classes}`;
  }
  return null;
}
