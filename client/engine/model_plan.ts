// Turns a model spec into the dispatches of one training step (forward, loss, backward) for a fixed batch
// size. Buffers and bind groups are created here once; the trainer only replays the dispatches.
import { activeColumnsDispatch, activeColumnsLength, MAX_ACTIVE_COLUMNS } from '../gpu/active_columns.ts';
import { conv2dBackwardDataDispatch, conv2dBackwardFilterDispatches, conv2dForwardDispatch } from '../gpu/conv2d.ts';
import { biasGradDispatches } from '../gpu/bias_grad.ts';
import { bufferBytes, type Binding, type Dispatch, type PipelineCache } from '../gpu/dispatch.ts';
import { matmulDispatch, variantSkipsZeros, type MatmulArgs, type MatmulShape, type MatmulVariant, type PlannedMatmul } from '../gpu/matmul.ts';
import { maxpoolBackwardDispatch, maxpoolForwardDispatch } from '../gpu/maxpool.ts';
import { reluBackwardDispatch, reluForwardDispatch } from '../gpu/relu.ts';
import { softmaxXentDispatch } from '../gpu/softmax_xent.ts';
import { tensorOf, type ParameterLayout } from '../../shared/layout.ts';
import { layerOutputShapes, needsInputGradient, shapeSize, type ModelSpec } from '../../shared/model.ts';

export interface PlanBuffers {
  /** Input batch, f32 [batch, ...spec.input]. */
  x: GPUBuffer;
  /** Labels, u32 [batch]. */
  labels: GPUBuffer;
  /** Flat parameters and, for a training plan, their gradients, both laid out by `layout`. */
  params: GPUBuffer;
  /** Absent: a forward-only (evaluation) plan. */
  grads?: GPUBuffer;
  /** Accumulated [loss sum, correct, samples]. */
  stats: GPUBuffer;
}

export interface ModelPlan {
  forward: Dispatch[];
  /** Loss, its gradient and the stats accumulation. */
  loss: Dispatch;
  /** Empty for a forward-only plan. */
  backward: Dispatch[];
  /** Every matmul the plan uses, for autotuning. */
  matmuls: PlannedMatmul[];
  destroy(): void;
}

export type VariantChoice = (shape: MatmulShape) => MatmulVariant;

// A function, not a constant: in Node the WebGPU globals appear only once Dawn is loaded.
const storageUsage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export function buildModelPlan(
  cache: PipelineCache,
  spec: ModelSpec,
  layout: ParameterLayout,
  batch: number,
  buffers: PlanBuffers,
  variantFor: VariantChoice,
): ModelPlan {
  const device = cache.device;
  const owned: GPUBuffer[] = [];
  const newBuffer = (floats: number) => {
    const b = device.createBuffer({ size: bufferBytes(floats * 4), usage: storageUsage() });
    owned.push(b);
    return b;
  };
  const param = (buffer: GPUBuffer, layer: number, role: 'weight' | 'bias'): GPUBufferBinding => {
    const t = tensorOf(layout, layer, role);
    return { buffer, offset: t.offset * 4, size: t.length * 4 };
  };

  const shapes = layerOutputShapes(spec);
  const inShapes = [spec.input, ...shapes];
  const n = spec.layers.length;
  // acts[i] holds the input of layer i; relu and flatten work in place, so they share their input's buffer.
  const acts: GPUBuffer[] = [buffers.x];
  const argmax: (GPUBuffer | null)[] = [];
  const forward: Dispatch[] = [];
  const matmuls: PlannedMatmul[] = [];
  /** `hint`: the nonzero list this product gets if its variant uses one (the autotune times it with one). */
  const matmul = (s: MatmulShape, a: Binding, b: Binding, c: Binding, more: Pick<MatmulArgs, 'bias' | 'relu'> = {}, hint?: 'k' | 'm') => {
    matmuls.push({ ...s, bias: more.bias !== undefined, relu: more.relu, nonzeroAxis: hint });
    const variant = variantFor(s);
    const nonzero = hint && inputNonzero && variantSkipsZeros(variant) ? { list: inputNonzero, axis: hint } : undefined;
    return matmulDispatch(cache, { ...s, variant, a, b, c, ...more, nonzero });
  };
  // A dense first layer sees the raw batch, where many input columns (MNIST: ~37% of the pixels of a batch of
  // 64) are zero in every sample: list them once per step so its forward product and weight gradient skip them,
  // if the variants picked for those products can (on a GPU the listing would cost more than it saves).
  const firstDense = spec.layers.findIndex((l) => l.kind !== 'flatten');
  const first = spec.layers[firstDense];
  const units = first?.kind === 'dense' ? first.units : 0;
  const inputSize = shapeSize(spec.input);
  const listable = units > 0 && inputSize <= MAX_ACTIVE_COLUMNS;
  let inputNonzero: GPUBuffer | null = null;
  const skips = (s: MatmulShape) => variantSkipsZeros(variantFor(s));
  if (listable && (skips({ m: batch, k: inputSize, n: units, transA: false, transB: false }) || skips({ m: inputSize, k: batch, n: units, transA: true, transB: false }))) {
    inputNonzero = device.createBuffer({ label: 'nonzero input columns', size: bufferBytes(activeColumnsLength(inputSize) * 4), usage: GPUBufferUsage.STORAGE });
    owned.push(inputNonzero);
  }

  for (let i = 0; i < n; i++) {
    const layer = spec.layers[i];
    const input = acts[i];
    const outSize = batch * shapeSize(shapes[i]);
    const fuseRelu = spec.layers[i + 1]?.kind === 'relu';
    let out = input;
    let am: GPUBuffer | null = null;
    switch (layer.kind) {
      case 'dense': {
        out = newBuffer(outSize);
        const s = { m: batch, k: shapeSize(inShapes[i]), n: layer.units, transA: false, transB: false };
        if (i === firstDense && inputNonzero) forward.push(activeColumnsDispatch(cache, { rows: batch, cols: s.k, x: input, perm: inputNonzero }));
        const hint = i === firstDense && listable ? 'k' : undefined;
        forward.push(matmul(s, input, param(buffers.params, i, 'weight'), out, { bias: param(buffers.params, i, 'bias'), relu: fuseRelu }, hint));
        break;
      }
      case 'conv2d':
        out = newBuffer(outSize);
        forward.push(
          conv2dForwardDispatch(cache, {
            shape: convShape(batch, inShapes[i], layer.filters, layer.kernel),
            x: input,
            w: param(buffers.params, i, 'weight'),
            bias: param(buffers.params, i, 'bias'),
            y: out,
            relu: fuseRelu,
          }),
        );
        break;
      case 'relu': {
        const previous = spec.layers[i - 1]?.kind;
        if (previous !== 'dense' && previous !== 'conv2d') forward.push(reluForwardDispatch(cache, { length: outSize, x: input }));
        break;
      }
      case 'maxpool2':
        out = newBuffer(outSize);
        am = newBuffer(outSize);
        forward.push(maxpoolForwardDispatch(cache, { shape: poolShape(batch, inShapes[i]), x: input, y: out, argmax: am }));
        break;
      case 'flatten':
        break;
    }
    acts.push(out);
    argmax.push(am);
  }

  const logits = acts[n];
  const dlogits = newBuffer(batch * spec.classes);
  const loss = softmaxXentDispatch(cache, { batch, classes: spec.classes, logits, labels: buffers.labels, dlogits, stats: buffers.stats });

  const backward: Dispatch[] = [];
  const grads = buffers.grads;
  if (grads) {
    // dy is the gradient of layer i's output; relu and flatten work in place, so theirs is their input's.
    let dy: GPUBuffer = dlogits;
    for (let i = n - 1; i >= 0; i--) {
      const layer = spec.layers[i];
      const input = acts[i];
      const inSize = batch * shapeSize(inShapes[i]);
      const wantInput = needsInputGradient(spec, i);
      switch (layer.kind) {
        case 'dense': {
          const k = shapeSize(inShapes[i]);
          const dW = { m: k, k: batch, n: layer.units, transA: true, transB: false };
          // Zero input columns are zero rows of X^T: their weight-gradient rows are written as zeros, not computed.
          backward.push(matmul(dW, input, dy, param(grads, i, 'weight'), {}, i === firstDense && listable ? 'm' : undefined));
          backward.push(...biasGradDispatches(cache, { rows: batch, cols: layer.units, dy, db: param(grads, i, 'bias') }));
          if (wantInput) {
            const dx = newBuffer(inSize);
            const dX = { m: batch, k: layer.units, n: k, transA: false, transB: true };
            backward.push(matmul(dX, dy, param(buffers.params, i, 'weight'), dx));
            dy = dx;
          }
          break;
        }
        case 'conv2d': {
          const s = convShape(batch, inShapes[i], layer.filters, layer.kernel);
          backward.push(...conv2dBackwardFilterDispatches(cache, { shape: s, x: input, dy, dw: param(grads, i, 'weight'), db: param(grads, i, 'bias') }));
          if (wantInput) {
            const dx = newBuffer(inSize);
            backward.push(conv2dBackwardDataDispatch(cache, { shape: s, dy, w: param(buffers.params, i, 'weight'), dx }));
            dy = dx;
          }
          break;
        }
        case 'relu':
          if (wantInput) backward.push(reluBackwardDispatch(cache, { length: inSize, y: acts[i + 1], dy }));
          break;
        case 'maxpool2':
          if (wantInput) {
            const dx = newBuffer(inSize);
            backward.push(maxpoolBackwardDispatch(cache, { shape: poolShape(batch, inShapes[i]), dy, argmax: argmax[i]!, dx }));
            dy = dx;
          }
          break;
        case 'flatten':
          break;
      }
    }
  }

  return {
    forward,
    loss,
    backward,
    matmuls,
    destroy: () => owned.forEach((b) => b.destroy()),
  };
}

function convShape(batch: number, s: { height: number; width: number; channels: number }, filters: number, kernel: number) {
  return { batch, height: s.height, width: s.width, inChannels: s.channels, outChannels: filters, kernel };
}

function poolShape(batch: number, s: { height: number; width: number; channels: number }) {
  return { batch, height: s.height, width: s.width, channels: s.channels };
}
