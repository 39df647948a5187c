// Turns a model spec into the dispatches of one training step (forward, loss, backward) for a fixed batch
// size. Buffers and bind groups are created here once; the trainer only replays the dispatches.
import { activeColumnsDispatch, activeColumnsLength, MAX_ACTIVE_COLUMNS } from '../gpu/active_columns.ts';
import { addDispatch } from '../gpu/add.ts';
import { attentionBackwardDispatches, attentionForwardDispatches, attentionScratchFloats } from '../gpu/attention.ts';
import { avgpoolBackwardDispatch, avgpoolForwardDispatch } from '../gpu/avgpool.ts';
import { conv2dBackwardDataDispatch, conv2dBackwardFilterDispatches, conv2dForwardDispatch } from '../gpu/conv2d.ts';
import { copyDispatch } from '../gpu/copy.ts';
import { biasGradDispatches } from '../gpu/bias_grad.ts';
import { bufferBytes, type Binding, type Dispatch, type PipelineCache } from '../gpu/dispatch.ts';
import { dropoutBackwardDispatch, dropoutForwardDispatch } from '../gpu/dropout.ts';
import { embeddingBackwardDispatches, embeddingForwardDispatch } from '../gpu/embedding.ts';
import { geluBackwardDispatch, geluForwardDispatch } from '../gpu/gelu.ts';
import { matmulDispatch, variantSkipsZeros, type MatmulArgs, type MatmulShape, type MatmulVariant, type PlannedMatmul } from '../gpu/matmul.ts';
import { maxpoolBackwardDispatch, maxpoolForwardDispatch } from '../gpu/maxpool.ts';
import { normBackwardDispatches, normBackwardScratchFloats, normForwardDispatches } from '../gpu/norm.ts';
import { reluBackwardDispatch, reluForwardDispatch } from '../gpu/relu.ts';
import { softmaxXentDispatch, softmaxXentPartialsFloats, softmaxXentRowsDispatches } from '../gpu/softmax_xent.ts';
import { tensorOf, type ParameterLayout, type TensorRole } from '../../shared/layout.ts';
import { isSequenceModel, modelOps, needsInputGradient, outputPositions, shapeSize, type ModelSpec, type Op } from '../../shared/model.ts';
import { avgpoolShapeOf, convShapeOf, normShapeOf, poolShapeOf } from '../../shared/reference/model.ts';

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
  loss: Dispatch[];
  /** Empty for a forward-only plan. */
  backward: Dispatch[];
  /** Every matmul the plan uses, for autotuning. */
  matmuls: PlannedMatmul[];
  /** One u32 per dropout op that the trainer rewrites before each step (dropoutSeed of its run step and op). */
  dropoutSeeds: { op: number; buffer: GPUBuffer }[];
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
  const param = (buffer: GPUBuffer, op: number, role: TensorRole): GPUBufferBinding => {
    const t = tensorOf(layout, op, role);
    return { buffer, offset: t.offset * 4, size: t.length * 4 };
  };
  const ops = modelOps(spec);
  const training = buffers.grads !== undefined;
  const sequence = isSequenceModel(spec);
  const n = ops.length;
  const size = (op: Op, which: 'input' | 'output') => batch * shapeSize(op[which]);
  // acts[i] holds the input of op i; in-place ops (relu, dropout, flatten, a residual's start) share their input's.
  const acts: GPUBuffer[] = [buffers.x];
  /** What an op's backward needs beyond its input and output (argmax, norm statistics, log-sum-exps). */
  const saved: Record<number, GPUBuffer[]> = {};
  const forward: Dispatch[] = [];
  const matmuls: PlannedMatmul[] = [];
  const dropoutSeeds: ModelPlan['dropoutSeeds'] = [];
  /** `hint`: the nonzero list this product gets if its variant uses one (the autotune times it with one). */
  const matmul = (s: MatmulShape, a: Binding, b: Binding, c: Binding, more: Pick<MatmulArgs, 'bias' | 'relu'> = {}, hint?: 'k' | 'm') => {
    matmuls.push({ ...s, bias: more.bias !== undefined, relu: more.relu, nonzeroAxis: hint });
    const variant = variantFor(s);
    const nonzero = hint && inputNonzero && variantSkipsZeros(variant) ? { list: inputNonzero, axis: hint } : undefined;
    return matmulDispatch(cache, { ...s, variant, a, b, c, ...more, nonzero });
  };
  // A dense first layer of an image model sees the raw batch, where many input columns (MNIST: ~37% of the pixels of
  // a batch of 64) are zero in every sample: list them once per step so its forward product and weight gradient skip
  // them, if the variants picked for those products can (on a GPU the listing would cost more than it saves).
  const firstDense = ops.findIndex((o) => o.kind !== 'flatten');
  const first = ops[firstDense];
  const units = first?.kind === 'dense' && !sequence ? first.units : 0;
  const inputSize = shapeSize(spec.input);
  const listable = units > 0 && inputSize <= MAX_ACTIVE_COLUMNS;
  let inputNonzero: GPUBuffer | null = null;
  const skips = (s: MatmulShape) => variantSkipsZeros(variantFor(s));
  if (listable && (skips({ m: batch, k: inputSize, n: units, transA: false, transB: false }) || skips({ m: inputSize, k: batch, n: units, transA: true, transB: false }))) {
    inputNonzero = device.createBuffer({ label: 'nonzero input columns', size: bufferBytes(activeColumnsLength(inputSize) * 4), usage: GPUBufferUsage.STORAGE });
    owned.push(inputNonzero);
  }
  // Inputs of open residual blocks (counted: nested blocks may start on the same buffer): their skip connection reads
  // them at the block's end, so no op may work on them in place.
  const held = new Map<GPUBuffer, number>();
  const copyOf = (input: GPUBuffer, floats: number): GPUBuffer => {
    const copy = newBuffer(floats);
    forward.push(copyDispatch(cache, { length: floats, x: input, y: copy }));
    return copy;
  };
  const writable = (input: GPUBuffer, floats: number): GPUBuffer => (held.has(input) ? copyOf(input, floats) : input);

  for (const op of ops) {
    const i = op.index;
    const input = acts[i];
    const outSize = size(op, 'output');
    const fuseRelu = ops[i + 1]?.kind === 'relu';
    let out = input;
    switch (op.kind) {
      case 'dense': {
        out = newBuffer(outSize);
        const s = { m: batch * op.positions, k: shapeSize(op.input) / op.positions, n: op.units, transA: false, transB: false };
        if (i === firstDense && inputNonzero) forward.push(activeColumnsDispatch(cache, { rows: batch, cols: s.k, x: input, perm: inputNonzero }));
        const hint = i === firstDense && listable ? 'k' : undefined;
        forward.push(matmul(s, input, param(buffers.params, i, 'weight'), out, { bias: param(buffers.params, i, 'bias'), relu: fuseRelu }, hint));
        break;
      }
      case 'conv2d':
        out = newBuffer(outSize);
        forward.push(conv2dForwardDispatch(cache, { shape: convShapeOf(batch, op), x: input, w: param(buffers.params, i, 'weight'), bias: param(buffers.params, i, 'bias'), y: out, relu: fuseRelu }));
        break;
      case 'relu': {
        const previous = ops[i - 1]?.kind;
        if (previous !== 'dense' && previous !== 'conv2d') {
          out = writable(input, outSize);
          forward.push(reluForwardDispatch(cache, { length: outSize, x: out }));
        }
        break;
      }
      case 'gelu':
        out = newBuffer(outSize);
        forward.push(geluForwardDispatch(cache, { length: outSize, x: input, y: out }));
        break;
      case 'maxpool': {
        out = newBuffer(outSize);
        const argmax = newBuffer(outSize);
        saved[i] = [argmax];
        forward.push(maxpoolForwardDispatch(cache, { shape: poolShapeOf(batch, op), x: input, y: out, argmax }));
        break;
      }
      case 'avgpool':
      case 'globalavgpool':
        out = newBuffer(outSize);
        forward.push(avgpoolForwardDispatch(cache, { shape: avgpoolShapeOf(batch, op), x: input, y: out }));
        break;
      case 'norm': {
        const shape = normShapeOf(batch, op);
        out = newBuffer(outSize);
        const mean = newBuffer(shape.instances * shape.groups);
        const rstd = newBuffer(shape.instances * shape.groups);
        saved[i] = [mean, rstd];
        forward.push(...normForwardDispatches(cache, { shape, x: input, gamma: param(buffers.params, i, 'gamma'), beta: param(buffers.params, i, 'beta'), y: out, mean, rstd }));
        break;
      }
      case 'dropout':
        // dropout is the identity when evaluating
        if (training && op.rate > 0) {
          out = writable(input, outSize);
          const seed = device.createBuffer({ label: `dropout seed ${i}`, size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
          owned.push(seed);
          dropoutSeeds.push({ op: i, buffer: seed });
          forward.push(dropoutForwardDispatch(cache, { length: outSize, rate: op.rate, x: out, seed }));
        }
        break;
      case 'residualBegin':
        held.set(input, (held.get(input) ?? 0) + 1);
        break;
      case 'residualEnd': {
        const skip = acts[op.begin];
        const count = held.get(skip)! - 1;
        if (count === 0) held.delete(skip);
        else held.set(skip, count);
        // the sum goes into the block's output unless that is the skip itself (layers that all worked in place) or an
        // output the last layer's backward reads again (relu's mask, attention's outputs)
        const own = input !== skip && !['relu', 'attend'].includes(ops[i - 1].kind);
        out = own ? input : copyOf(input, outSize);
        forward.push(addDispatch(cache, { length: outSize, x: skip, y: out }));
        break;
      }
      case 'embedding':
        out = newBuffer(outSize);
        forward.push(embeddingForwardDispatch(cache, { shape: { batch, context: op.context, vocab: op.vocab, dim: op.dim }, tokens: input, table: param(buffers.params, i, 'tokens'), positions: param(buffers.params, i, 'positions'), y: out }));
        break;
      case 'attend': {
        const shape = { batch, context: op.output.width, heads: op.heads, dim: op.output.channels };
        out = newBuffer(outSize);
        const lse = newBuffer(batch * op.heads * op.output.width);
        saved[i] = [lse];
        forward.push(...attentionForwardDispatches(cache, { shape, qkv: input, out, lse }));
        break;
      }
      case 'flatten':
        break;
    }
    acts.push(out);
  }

  const logits = acts[n];
  const rows = batch * outputPositions(spec);
  const dlogits = newBuffer(rows * spec.classes);
  // one workgroup sums a classifier's batch; a sequence model's thousands of rows need the whole grid
  const loss = sequence
    ? softmaxXentRowsDispatches(cache, { rows, classes: spec.classes, logits, labels: buffers.labels, dlogits, stats: buffers.stats, partials: newBuffer(softmaxXentPartialsFloats(rows)) })
    : [softmaxXentDispatch(cache, { batch: rows, classes: spec.classes, logits, labels: buffers.labels, dlogits, stats: buffers.stats })];

  const backward: Dispatch[] = [];
  const grads = buffers.grads;
  if (grads) {
    // dy is the gradient of op i's output; in-place ops leave it in the buffer it came in.
    let dy: GPUBuffer = dlogits;
    /** The gradient reaching each open residual block's input through its skip connection. */
    const skipGrads = new Map<number, GPUBuffer>();
    const fresh = (from: GPUBuffer, floats: number) => {
      const copy = newBuffer(floats);
      backward.push(copyDispatch(cache, { length: floats, x: from, y: copy }));
      return copy;
    };
    for (let i = n - 1; i >= 0; i--) {
      const op = ops[i];
      const input = acts[i];
      const inSize = size(op, 'input');
      const wantInput = needsInputGradient(ops, i);
      switch (op.kind) {
        case 'dense': {
          const rowsIn = batch * op.positions;
          const k = shapeSize(op.input) / op.positions;
          const dW = { m: k, k: rowsIn, n: op.units, transA: true, transB: false };
          // Zero input columns are zero rows of X^T: their weight-gradient rows are written as zeros, not computed.
          backward.push(matmul(dW, input, dy, param(grads, i, 'weight'), {}, i === firstDense && listable ? 'm' : undefined));
          backward.push(...biasGradDispatches(cache, { rows: rowsIn, cols: op.units, dy, db: param(grads, i, 'bias') }));
          if (wantInput) {
            const dx = newBuffer(inSize);
            backward.push(matmul({ m: rowsIn, k: op.units, n: k, transA: false, transB: true }, dy, param(buffers.params, i, 'weight'), dx));
            dy = dx;
          }
          break;
        }
        case 'conv2d': {
          const s = convShapeOf(batch, op);
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
        case 'gelu':
          if (wantInput) backward.push(geluBackwardDispatch(cache, { length: inSize, x: input, dy }));
          break;
        case 'maxpool':
          if (wantInput) {
            const dx = newBuffer(inSize);
            backward.push(maxpoolBackwardDispatch(cache, { shape: poolShapeOf(batch, op), dy, argmax: saved[i][0], dx }));
            dy = dx;
          }
          break;
        case 'avgpool':
        case 'globalavgpool':
          if (wantInput) {
            const dx = newBuffer(inSize);
            backward.push(avgpoolBackwardDispatch(cache, { shape: avgpoolShapeOf(batch, op), dy, dx }));
            dy = dx;
          }
          break;
        case 'norm': {
          const shape = normShapeOf(batch, op);
          const dx = newBuffer(inSize);
          const scratchFloats = normBackwardScratchFloats(shape);
          backward.push(
            ...normBackwardDispatches(cache, {
              shape, x: input, dy, gamma: param(buffers.params, i, 'gamma'), mean: saved[i][0], rstd: saved[i][1], dx,
              dgamma: param(grads, i, 'gamma'), dbeta: param(grads, i, 'beta'), scratch: scratchFloats > 0 ? newBuffer(scratchFloats) : undefined,
            }),
          );
          dy = dx;
          break;
        }
        case 'dropout': {
          const seed = dropoutSeeds.find((d) => d.op === i);
          if (wantInput && seed) backward.push(dropoutBackwardDispatch(cache, { length: inSize, rate: op.rate, dy, seed: seed.buffer }));
          break;
        }
        case 'residualEnd':
          skipGrads.set(op.begin, dy);
          // the block's layers may work on their output gradient in place: give them their own
          if (['relu', 'gelu', 'dropout', 'residualEnd'].includes(ops[i - 1].kind)) dy = fresh(dy, inSize);
          break;
        case 'residualBegin': {
          const skip = skipGrads.get(i)!;
          if (dy === skip) dy = fresh(dy, inSize);
          backward.push(addDispatch(cache, { length: inSize, x: skip, y: dy }));
          break;
        }
        case 'embedding':
          backward.push(
            ...embeddingBackwardDispatches(cache, {
              shape: { batch, context: op.context, vocab: op.vocab, dim: op.dim }, tokens: input, dy, dtable: param(grads, i, 'tokens'), dpositions: param(grads, i, 'positions'),
            }),
          );
          break;
        case 'attend': {
          const shape = { batch, context: op.output.width, heads: op.heads, dim: op.output.channels };
          const dqkv = newBuffer(inSize);
          backward.push(...attentionBackwardDispatches(cache, { shape, qkv: input, out: acts[i + 1], lse: saved[i][0], dout: dy, dqkv, scratch: newBuffer(attentionScratchFloats(shape)) }));
          dy = dqkv;
          break;
        }
        case 'flatten':
          break;
      }
      // nothing before this op has parameters, so no earlier gradient is needed
      if (!wantInput) break;
    }
  }

  return {
    forward,
    loss,
    backward,
    matmuls,
    dropoutSeeds,
    destroy: () => owned.forEach((b) => b.destroy()),
  };
}
