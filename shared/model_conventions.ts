// What a downloaded model means, stated for someone running it outside Flock: the input scaling, the activation and
// weight layouts, what each layer kind computes, and what comes out. Generated from the spec and its parameter
// layout, so it describes every model, preset or custom, exactly as shared/reference/model.ts computes it.
import { z } from 'zod';
import { parameterLayout, TENSOR_ALIGN_FLOATS } from './layout.ts';
import { layerOutputShapes, type Layer, type ModelSpec, type TensorShape } from './model.ts';

const int = z.number().int();
const hwcSchema = z.tuple([int, int, int]).describe("one sample's [height, width, channels]; a flat vector of n values is [1, 1, n]");

export const tensorConventionSchema = z.object({
  name: z.string().describe("the name in the safetensors file and in the manifest's layout"),
  shape: z.array(int),
  axes: z.array(z.string()).describe('what each axis of shape indexes, outermost first'),
});

export const layerConventionSchema = z.object({
  index: int,
  kind: z.enum(['dense', 'relu', 'conv2d', 'maxpool2', 'flatten']),
  input: hwcSchema,
  output: hwcSchema,
  operation: z.string().describe('what the layer computes, in index notation over one sample'),
  tensors: z.array(tensorConventionSchema),
  kernel: z.tuple([int, int]).optional(),
  stride: int.optional(),
  padding: z.string().optional(),
});

/** How to run the model outside Flock. */
export const modelConventionsSchema = z.object({
  activationLayout: z.string(),
  layerShapes: z.string(),
  input: z.object({ shape: hwcSchema, dtype: z.string(), scaling: z.string(), normalization: z.string(), layout: z.string(), channelOrder: z.string() }),
  output: z.object({ shape: z.tuple([int]), meaning: z.string(), prediction: z.string(), classNames: z.array(z.string()).nullable().describe('classNames[k] names class k') }),
  flattenOrder: z.string(),
  arithmetic: z.string(),
  parameters: z.string(),
  layers: z.array(layerConventionSchema),
});

export type HwcShape = z.infer<typeof hwcSchema>;
export type LayerConvention = z.infer<typeof layerConventionSchema>;
export type ModelConventions = z.infer<typeof modelConventionsSchema>;

const hwc = (s: TensorShape): HwcShape => [s.height, s.width, s.channels];

/** Where x[h, w, c] of `s` lands when flattened: NHWC memory order. */
const flatIndex = (s: TensorShape) => `(h * ${s.width} + w) * ${s.channels} + c`;

function describeLayer(layer: Layer, index: number, input: TensorShape, output: TensorShape): Omit<LayerConvention, 'tensors'> {
  const base = { index, kind: layer.kind, input: hwc(input), output: hwc(output) };
  switch (layer.kind) {
    case 'dense': {
      const flattens = input.height > 1 || input.width > 1;
      return {
        ...base,
        operation: `y[o] = bias[o] + sum_i x[i] * weight[i, o]${flattens ? `, x flattened first: x[${flatIndex(input)}] = input[h, w, c]` : ''}`,
      };
    }
    case 'conv2d': {
      const pad = Math.floor(layer.kernel / 2);
      return {
        ...base,
        operation: `cross-correlation (the kernel is not flipped): y[h, w, o] = bias[o] + sum_{i, j, c} x[h + i - ${pad}, w + j - ${pad}, c] * weight[i, j, c, o], x = 0 outside the image`,
        kernel: [layer.kernel, layer.kernel],
        stride: 1,
        padding: `same: ${pad} zero row(s) and column(s) on every side, so the output keeps the input's height and width`,
      };
    }
    case 'relu':
      return { ...base, operation: 'y = max(x, 0), elementwise' };
    case 'maxpool2':
      return {
        ...base,
        operation: 'y[h, w, c] = max(x[2h, 2w, c], x[2h, 2w + 1, c], x[2h + 1, 2w, c], x[2h + 1, 2w + 1, c]), per channel',
        kernel: [2, 2],
        stride: 2,
        padding: 'none: an odd last row or column is dropped (output floor(height / 2) x floor(width / 2))',
      };
    case 'flatten':
      return { ...base, operation: `y[${flatIndex(input)}] = x[h, w, c]: the NHWC data in memory order, nothing moves` };
  }
}

const AXES: Record<string, string[]> = {
  'dense.weight': ['in', 'out'],
  'dense.bias': ['out'],
  'conv2d.weight': ['kh', 'kw', 'in', 'out'],
  'conv2d.bias': ['out'],
};

/** The conventions of `spec`; `classNames[k]` names class k when the dataset has names for its classes. */
export function modelConventions(spec: ModelSpec, classNames: readonly string[] | null = null): ModelConventions {
  const shapes = layerOutputShapes(spec);
  const layout = parameterLayout(spec);
  if (classNames && classNames.length !== spec.classes) throw new Error(`model ${spec.name}: ${classNames.length} class names for ${spec.classes} classes`);
  const layers = spec.layers.map((layer, i) => ({
    ...describeLayer(layer, i, i === 0 ? spec.input : shapes[i - 1], shapes[i]),
    tensors: layout.tensors.filter((t) => t.layer === i).map((t) => ({ name: t.name, shape: t.shape, axes: AXES[`${layer.kind}.${t.role}`] })),
  }));
  const { channels } = spec.input;
  return {
    activationLayout: 'NHWC: a batch of samples, each row-major over height, width, then channels (channels last)',
    layerShapes: "each layer's input and output are one sample's [height, width, channels]; a flat vector of n values is [1, 1, n]",
    input: {
      shape: hwc(spec.input),
      dtype: 'uint8 pixels, converted to float before scaling',
      scaling: 'x = pixel / 255, so 0..255 becomes 0..1',
      normalization: 'none: no mean is subtracted and nothing is divided by a standard deviation',
      layout: 'NHWC: rows top to bottom, columns left to right, channels interleaved per pixel',
      channelOrder: channels === 1 ? 'one grey channel' : `${channels} channels, in the order the dataset stores them per pixel`,
    },
    output: {
      shape: [spec.classes],
      meaning: 'logits: the model was trained with softmax cross-entropy, so softmax(logits) are the class probabilities',
      prediction: 'the class is the argmax of the logits (the first maximum on a tie)',
      classNames: classNames && [...classNames],
    },
    flattenOrder: 'NHWC row-major: index (h * width + w) * channels + c, as numpy x.reshape(n, -1) of an (n, h, w, c) array; PyTorch, being NCHW, flattens in another order',
    arithmetic: 'weights are float32; the coordinator evaluates in float64',
    parameters:
      'the safetensors file holds each tensor contiguously under its name (F32, little-endian, row-major over its shape). ' +
      "The manifest's layout offsets and flatLength index the trainer's flat parameter vector instead, where each tensor " +
      `starts on a ${TENSOR_ALIGN_FLOATS}-float (${TENSOR_ALIGN_FLOATS * 4}-byte) boundary and the gaps are zero: they are not offsets into the file`,
    layers,
  };
}
