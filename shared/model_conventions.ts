// What a downloaded model means, stated for someone running it outside Flock: the input scaling, the activation and
// weight layouts, what each layer kind computes, and what comes out. Generated from the spec and its parameter
// layout, so it describes every model, preset or custom, exactly as shared/reference/model.ts computes it.
import { z } from 'zod';
import { parameterLayout, TENSOR_ALIGN_FLOATS } from './layout.ts';
import { isSequenceModel, modelOps, NORM_EPS, OP_KINDS, outputPositions, type ModelSpec, type Op, type TensorShape } from './model.ts';

const int = z.number().int();
const hwcSchema = z.tuple([int, int, int]).describe("one sample's [height, width, channels]; a flat vector of n values is [1, 1, n]");

export const tensorConventionSchema = z.object({
  name: z.string().describe("the name in the safetensors file and in the manifest's layout"),
  shape: z.array(int),
  axes: z.array(z.string()).describe('what each axis of shape indexes, outermost first'),
});

export const layerConventionSchema = z.object({
  index: int,
  kind: z.enum(OP_KINDS),
  path: z.string(),
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
  output: z.object({ shape: z.array(int), meaning: z.string(), prediction: z.string(), classNames: z.array(z.string()).nullable().describe('classNames[k] names class k') }),
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

function describeOp(op: Op): Omit<LayerConvention, 'tensors'> {
  const base = { index: op.index, path: op.path, kind: op.kind, input: hwc(op.input), output: hwc(op.output) };
  const input = op.input;
  switch (op.kind) {
    case 'dense': {
      if (op.positions > 1) return { ...base, operation: 'y[t, o] = bias[o] + sum_i x[t, i] * weight[i, o], at every position t' };
      const flattens = input.height > 1 || input.width > 1;
      return {
        ...base,
        operation: `y[o] = bias[o] + sum_i x[i] * weight[i, o]${flattens ? `, x flattened first: x[${flatIndex(input)}] = input[h, w, c]` : ''}`,
      };
    }
    case 'conv2d':
      return {
        ...base,
        operation: `cross-correlation (the kernel is not flipped): y[h, w, o] = bias[o] + sum_{i, j, c} x[${op.stride} h + i - ${op.padding}, ${op.stride} w + j - ${op.padding}, c] * weight[i, j, c, o], x = 0 outside the image`,
        kernel: [op.kernel, op.kernel],
        stride: op.stride,
        padding: `${op.padding} zero row(s) and column(s) on every side`,
      };
    case 'relu':
      return { ...base, operation: 'y = max(x, 0), elementwise' };
    case 'gelu':
      return { ...base, operation: 'y = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), elementwise (the tanh approximation of GELU)' };
    case 'maxpool':
    case 'avgpool':
      return {
        ...base,
        operation: `y[h, w, c] = ${op.kind === 'maxpool' ? 'max' : 'mean'} of x[${op.size} h + i, ${op.size} w + j, c] over 0 <= i, j < ${op.size}, per channel`,
        kernel: [op.size, op.size],
        stride: op.size,
        padding: `none: a last partial window is dropped (output floor(height / ${op.size}) x floor(width / ${op.size}))`,
      };
    case 'globalavgpool':
      return { ...base, operation: 'y[c] = mean over h, w of x[h, w, c]' };
    case 'flatten':
      return { ...base, operation: `y[${flatIndex(input)}] = x[h, w, c]: the NHWC data in memory order, nothing moves` };
    case 'norm': {
      const over = op.groups === 0 ? "each position's channels" : `each group of ${input.channels / op.groups} consecutive channels over all positions of the sample (${op.groups} groups)`;
      return { ...base, operation: `y = (x - mean) / sqrt(var + ${NORM_EPS}) * gamma[c] + beta[c], mean and (biased) variance over ${over}` };
    }
    case 'dropout':
      return { ...base, operation: `training only: each value kept with probability ${1 - op.rate} and scaled by 1 / ${1 - op.rate}; y = x when running the model` };
    case 'residualBegin':
      return { ...base, operation: 'y = x: the start of a residual block, whose input is added to its output' };
    case 'residualEnd':
      return { ...base, operation: `y = x + (the input of op ${op.begin}, where this residual block begins)` };
    case 'embedding':
      return { ...base, operation: `y[t, c] = tokens[x[t], c] + positions[t, c]: x[t] is the byte at position t (0..${op.vocab - 1})` };
    case 'attend': {
      const d = op.output.channels / op.heads;
      return {
        ...base,
        operation: `causal multi-head self-attention core, ${op.heads} heads of ${d}: x[t] = [q | k | v] (each ${op.output.channels} wide, head h at columns ${d} h ..); y[t, ${d} h + j] = sum_{u <= t} softmax_u(q_h[t] . k_h[u] / sqrt(${d})) v_h[u, j]`,
      };
    }
  }
}

const AXES: Record<string, string[]> = {
  'dense.weight': ['in', 'out'],
  'dense.bias': ['out'],
  'conv2d.weight': ['kh', 'kw', 'in', 'out'],
  'conv2d.bias': ['out'],
  'norm.gamma': ['channel'],
  'norm.beta': ['channel'],
  'embedding.tokens': ['token', 'channel'],
  'embedding.positions': ['position', 'channel'],
};

/** The conventions of `spec`; `classNames[k]` names class k when the dataset has names for its classes. */
export function modelConventions(spec: ModelSpec, classNames: readonly string[] | null = null): ModelConventions {
  const layout = parameterLayout(spec);
  if (classNames && classNames.length !== spec.classes) throw new Error(`model ${spec.name}: ${classNames.length} class names for ${spec.classes} classes`);
  const layers = modelOps(spec).map((op) => ({
    ...describeOp(op),
    tensors: layout.tensors.filter((t) => t.layer === op.index).map((t) => ({ name: t.name, shape: t.shape, axes: AXES[`${op.kind}.${t.role}`] })),
  }));
  const { channels } = spec.input;
  const sequence = isSequenceModel(spec);
  return {
    activationLayout: 'NHWC: a batch of samples, each row-major over height, width, then channels (channels last)',
    layerShapes: "each layer's input and output are one sample's [height, width, channels]; a flat vector of n values is [1, 1, n]",
    input: sequence ? {
      shape: hwc(spec.input),
      dtype: 'uint8 bytes of UTF-8 text, one token per byte',
      scaling: 'none: x[t] is the byte value 0..255 itself, an index into the token embedding',
      normalization: 'none',
      layout: `a window of ${spec.input.width} consecutive bytes`,
      channelOrder: 'one token per position',
    } : {
      shape: hwc(spec.input),
      dtype: 'uint8 pixels, converted to float before scaling',
      scaling: 'x = pixel / 255, so 0..255 becomes 0..1',
      normalization: 'none: no mean is subtracted and nothing is divided by a standard deviation',
      layout: 'NHWC: rows top to bottom, columns left to right, channels interleaved per pixel',
      channelOrder: channels === 1 ? 'one grey channel' : `${channels} channels, in the order the dataset stores them per pixel`,
    },
    output: sequence ? {
      shape: [outputPositions(spec), spec.classes],
      meaning: 'logits for the next byte at every position: position t has seen bytes 0..t of the window (causal attention); softmax gives the probabilities',
      prediction: 'the next byte is the argmax of the last position\'s logits, or a sample from their softmax (what Flock\'s text samples do)',
      classNames: null,
    } : {
      shape: [spec.classes],
      meaning: 'logits: the model was trained with softmax cross-entropy, so softmax(logits) are the class probabilities',
      prediction: 'the class is the argmax of the logits (the first maximum on a tie)',
      classNames: classNames && [...classNames],
    },
    flattenOrder: 'NHWC row-major: index (h * width + w) * channels + c, as numpy x.reshape(n, -1) of an (n, h, w, c) array; PyTorch, being NCHW, flattens in another order',
    arithmetic: `weights are float32; the coordinator evaluates in float64; norms use eps ${NORM_EPS}`,
    parameters:
      'the safetensors file holds each tensor contiguously under its name (F32, little-endian, row-major over its shape). ' +
      "The manifest's layout offsets and flatLength index the trainer's flat parameter vector instead, where each tensor " +
      `starts on a ${TENSOR_ALIGN_FLOATS}-float (${TENSOR_ALIGN_FLOATS * 4}-byte) boundary and the gaps are zero: they are not offsets into the file`,
    layers,
  };
}
