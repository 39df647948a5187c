// Model specs: JSON an operator writes or picks from presets (shared/model_presets.ts). Two families:
// - image models: input [height, width, channels] of pixels, one label per sample over `classes` (a dense layer on a
//   spatial input sees the whole sample flattened);
// - sequence models (the first layer is `embedding`): input [1, context, 1] of byte tokens, the next byte predicted at
//   every position over `classes` = the vocabulary (a dense layer acts on each position's channels).
// Activations are NHWC; a sequence is [1, context, channels]. Residual blocks and attention are expanded into a flat
// list of ops (modelOps), which the CPU reference, the GPU plan and the parameter layout all walk.

export type Layer =
  | { kind: 'dense'; units: number }
  | { kind: 'relu' }
  | { kind: 'gelu' }
  | { kind: 'conv2d'; filters: number; kernel: number; stride?: number; padding?: number }
  | { kind: 'maxpool2' }
  | { kind: 'maxpool'; size: number }
  | { kind: 'avgpool'; size: number }
  | { kind: 'globalavgpool' }
  | { kind: 'flatten' }
  | { kind: 'groupnorm'; groups: number }
  | { kind: 'layernorm' }
  | { kind: 'dropout'; rate: number }
  | { kind: 'residual'; layers: Layer[] }
  | { kind: 'embedding'; dim: number }
  | { kind: 'attention'; heads: number };

export type LayerKind = Layer['kind'];

export interface TensorShape {
  height: number;
  width: number;
  channels: number;
}

export interface ModelSpec {
  name: string;
  input: TensorShape;
  classes: number;
  layers: Layer[];
}

export const NORM_EPS = 1e-5;
/** The widest attention head the kernels take. */
export const MAX_HEAD_DIM = 64;

/** One step of the expanded model. `path` names its tensors (`layers.<path>.<role>`): the spec layer's index, with
 *  the index inside a residual body after a dot ("3.1"), and ".qkv" / ".out" for an attention layer's projections. */
export type OpBody =
  | { kind: 'dense'; units: number; /** rows per sample: positions for a sequence, 1 for an image (flattened) */ positions: number }
  | { kind: 'relu' }
  | { kind: 'gelu' }
  | { kind: 'conv2d'; filters: number; kernel: number; stride: number; padding: number }
  | { kind: 'maxpool'; size: number }
  | { kind: 'avgpool'; size: number }
  | { kind: 'globalavgpool' }
  | { kind: 'flatten' }
  /** groups 0: layer norm (each position's channels); otherwise group norm over all positions of a sample */
  | { kind: 'norm'; groups: number }
  | { kind: 'dropout'; rate: number }
  /** residualEnd adds the input of op `begin` (a residualBegin, which passes its input through) to its input */
  | { kind: 'residualBegin' }
  | { kind: 'residualEnd'; begin: number }
  | { kind: 'embedding'; dim: number; vocab: number; context: number }
  | { kind: 'attend'; heads: number };

export type Op = OpBody & { index: number; path: string; input: TensorShape; output: TensorShape };

export const OP_KINDS = ['dense', 'relu', 'gelu', 'conv2d', 'maxpool', 'avgpool', 'globalavgpool', 'flatten', 'norm', 'dropout', 'residualBegin', 'residualEnd', 'embedding', 'attend'] as const satisfies readonly Op['kind'][];

export const PARAMETER_OPS: readonly Op['kind'][] = ['dense', 'conv2d', 'norm', 'embedding'];

export function shapeSize(s: TensorShape): number {
  return s.height * s.width * s.channels;
}

/** A sequence model predicts the next token at every position. */
export function isSequenceModel(spec: Pick<ModelSpec, 'layers'>): boolean {
  return spec.layers[0]?.kind === 'embedding';
}

/** Outputs per sample that the loss scores: the positions of a sequence, one for an image. */
export function outputPositions(spec: ModelSpec): number {
  return isSequenceModel(spec) ? spec.input.width : 1;
}

const IMAGE_ONLY: readonly LayerKind[] = ['conv2d', 'maxpool2', 'maxpool', 'avgpool', 'globalavgpool', 'flatten', 'groupnorm'];
const SEQUENCE_ONLY: readonly LayerKind[] = ['embedding', 'attention'];

/** The spec expanded into ops, each with its input and output shape; throws with the layer's path on a spec that does
 *  not fit together. */
export function modelOps(spec: ModelSpec): Op[] {
  const sequence = isSequenceModel(spec);
  const ops: Op[] = [];
  const fail = (path: string, why: string): never => {
    throw new Error(`layer ${path}: ${why}`);
  };
  if (sequence && (spec.input.height !== 1 || spec.input.channels !== 1)) {
    throw new Error(`model ${spec.name}: a sequence model (first layer embedding) takes input [1, context, 1], got [${spec.input.height}, ${spec.input.width}, ${spec.input.channels}]`);
  }
  const push = (body: OpBody, path: string, input: TensorShape, output: TensorShape): TensorShape => {
    ops.push({ ...body, index: ops.length, path, input, output });
    return output;
  };
  const walk = (layers: Layer[], prefix: string, s: TensorShape): TensorShape => {
    layers.forEach((layer, i) => {
      const path = `${prefix}${i}`;
      if (sequence && IMAGE_ONLY.includes(layer.kind)) fail(path, `${layer.kind} is for image models; a sequence model (first layer embedding) uses dense, attention, layernorm, gelu, relu, dropout and residual`);
      if (!sequence && SEQUENCE_ONLY.includes(layer.kind)) fail(path, `${layer.kind} needs a sequence model: make embedding the first layer`);
      const spatial = s.height > 1 || s.width > 1;
      switch (layer.kind) {
        case 'dense':
          s = sequence
            ? push({ kind: 'dense', units: layer.units, positions: s.width }, path, s, { ...s, channels: layer.units })
            : push({ kind: 'dense', units: layer.units, positions: 1 }, path, s, { height: 1, width: 1, channels: layer.units });
          break;
        case 'relu':
        case 'gelu':
        case 'layernorm':
        case 'globalavgpool':
        case 'flatten': {
          const out =
            layer.kind === 'globalavgpool' ? { height: 1, width: 1, channels: s.channels } : layer.kind === 'flatten' ? { height: 1, width: 1, channels: shapeSize(s) } : s;
          if (layer.kind === 'globalavgpool' && !spatial) fail(path, 'globalavgpool needs a spatial input, got a flat one');
          s = push(layer.kind === 'layernorm' ? { kind: 'norm', groups: 0 } : { kind: layer.kind }, path, s, out);
          break;
        }
        case 'groupnorm':
          if (s.channels % layer.groups !== 0) fail(path, `groupnorm: ${s.channels} channels do not split into ${layer.groups} groups`);
          s = push({ kind: 'norm', groups: layer.groups }, path, s, s);
          break;
        case 'dropout':
          if (!(layer.rate >= 0 && layer.rate < 1)) fail(path, `dropout rate must be in [0, 1), got ${layer.rate}`);
          s = push({ kind: 'dropout', rate: layer.rate }, path, s, s);
          break;
        case 'conv2d': {
          if (!spatial && ops.length > 0) fail(path, 'conv2d needs a spatial input, got a flat one');
          const stride = layer.stride ?? 1;
          const padding = layer.padding ?? Math.floor(layer.kernel / 2);
          if (layer.padding === undefined && layer.kernel % 2 !== 1) fail(path, `conv2d: an even kernel (${layer.kernel}) needs an explicit padding`);
          if (padding >= layer.kernel) fail(path, `conv2d: padding ${padding} must be smaller than the kernel ${layer.kernel}`);
          const height = Math.floor((s.height + 2 * padding - layer.kernel) / stride) + 1;
          const width = Math.floor((s.width + 2 * padding - layer.kernel) / stride) + 1;
          if (height < 1 || width < 1) fail(path, `conv2d: kernel ${layer.kernel} with padding ${padding} does not fit a ${s.height}x${s.width} input`);
          s = push({ kind: 'conv2d', filters: layer.filters, kernel: layer.kernel, stride, padding }, path, s, { height, width, channels: layer.filters });
          break;
        }
        case 'maxpool2':
        case 'maxpool':
        case 'avgpool': {
          const size = layer.kind === 'maxpool2' ? 2 : layer.size;
          if (s.height < size || s.width < size) fail(path, `${layer.kind} needs at least ${size}x${size}, got ${s.height}x${s.width}`);
          const out = { height: Math.floor(s.height / size), width: Math.floor(s.width / size), channels: s.channels };
          s = push({ kind: layer.kind === 'avgpool' ? 'avgpool' : 'maxpool', size }, path, s, out);
          break;
        }
        case 'residual': {
          if (layer.layers.length === 0) fail(path, 'a residual block needs at least one layer');
          const begin = ops.length;
          push({ kind: 'residualBegin' }, path, s, s);
          const out = walk(layer.layers, `${path}.`, s);
          if (out.height !== s.height || out.width !== s.width || out.channels !== s.channels) {
            fail(path, `a residual block must keep its input's shape [${s.height}, ${s.width}, ${s.channels}], its layers give [${out.height}, ${out.width}, ${out.channels}]`);
          }
          s = push({ kind: 'residualEnd', begin }, path, out, out);
          break;
        }
        case 'embedding':
          if (ops.length > 0) fail(path, 'embedding must be the first layer');
          s = push({ kind: 'embedding', dim: layer.dim, vocab: spec.classes, context: s.width }, path, s, { height: 1, width: s.width, channels: layer.dim });
          break;
        case 'attention': {
          const headDim = s.channels / layer.heads;
          // the kernels keep a head's vectors in registers, as vec4s
          if (!Number.isInteger(headDim) || headDim % 4 !== 0 || headDim > MAX_HEAD_DIM) {
            fail(path, `attention: width ${s.channels} over ${layer.heads} heads must give a head width that is a multiple of 4 and at most ${MAX_HEAD_DIM}`);
          }
          push({ kind: 'dense', units: 3 * s.channels, positions: s.width }, `${path}.qkv`, s, { ...s, channels: 3 * s.channels });
          push({ kind: 'attend', heads: layer.heads }, path, { ...s, channels: 3 * s.channels }, s);
          s = push({ kind: 'dense', units: s.channels, positions: s.width }, `${path}.out`, s, s);
          break;
        }
      }
    });
    return s;
  };
  const out = walk(spec.layers, '', spec.input);
  const last = ops[ops.length - 1];
  const positions = outputPositions(spec);
  if (!last || last.kind !== 'dense' || out.channels !== spec.classes || out.height * out.width !== positions) {
    const what = sequence ? `dense with ${spec.classes} units (the vocabulary), at every position` : `dense with ${spec.classes} units (the classes)`;
    throw new Error(`model ${spec.name}: the last layer must be ${what}`);
  }
  return ops;
}

/** Whether backprop must compute op i's input gradient: only if some earlier op has parameters. */
export function needsInputGradient(ops: readonly Op[], i: number): boolean {
  return ops.slice(0, i).some((o) => PARAMETER_OPS.includes(o.kind));
}

/** Multiply-adds x2 of one training step's forward and backward passes, per sample: dense, conv2d and attention
 *  products (elementwise work, norms and pools are memory-bound and left out). */
export function trainingFlopsPerSample(spec: ModelSpec): number {
  const ops = modelOps(spec);
  let flops = 0;
  for (const op of ops) {
    let macs = 0;
    if (op.kind === 'dense') macs = shapeSize(op.input) * op.units;
    if (op.kind === 'conv2d') macs = op.output.height * op.output.width * op.filters * op.kernel * op.kernel * op.input.channels;
    if (op.kind === 'attend') {
      // q.k and p.v over the causal triangle; the backward recomputes the scores and takes four more products
      const t = op.output.width;
      flops += 2 * 7 * ((t * (t + 1)) / 2) * op.output.channels;
      continue;
    }
    // forward + weight gradient, plus the input gradient only where an earlier op has parameters
    flops += 2 * macs * (needsInputGradient(ops, op.index) ? 3 : 2);
  }
  return flops;
}
