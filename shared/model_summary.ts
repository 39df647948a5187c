// What a model costs before it trains: its parameters, the FLOPs of a training step, and the GPU memory one tab holds
// for it. The memory mirrors what the trainer (client/engine/trainer.ts) and its GPU plan (client/engine/model_plan.ts)
// allocate, buffer by buffer; client/admin/model_memory.test.ts checks it against the buffers a built plan creates.
import { parameterCount, parameterLayout } from './layout.ts';
import { isSequenceModel, modelOps, needsInputGradient, outputPositions, shapeSize, trainingFlopsPerSample, type ModelSpec, type Op } from './model.ts';
import type { Optimizer } from './run_config.ts';

export interface ModelSummary {
  /** Real parameters (the layout's padding left out). */
  parameters: number;
  /** Multiply-adds x2 of a training step's forward and backward passes, per sample (trainingFlopsPerSample). */
  flopsPerSample: number;
  memoryPerTabBytes: {
    /** The flat parameter-sized vectors, padding included. */
    parameters: number;
    /** The buffers of one training step of `batch` samples (stepBufferBytes). */
    activations: number;
    total: number;
  };
}

/** Vectors of the layout's length a tab keeps whatever its optimizer: the parameters, their gradient, and the local
 *  and global leader copies. */
const PARAMETER_VECTORS = 4;
/** The optimizer's state: momentum's velocity, or AdamW's first and second moments. */
const OPTIMIZER_VECTORS: Record<Optimizer, number> = { momentum: 1, adamw: 2 };

export function modelSummary(spec: ModelSpec, batch: number, optimizer: Optimizer): ModelSummary {
  const layout = parameterLayout(spec);
  const parameters = layout.length * 4 * (PARAMETER_VECTORS + OPTIMIZER_VECTORS[optimizer]);
  const activations = stepBufferBytes(spec, batch).reduce((a, b) => a + b, 0);
  return {
    parameters: parameterCount(layout),
    flopsPerSample: trainingFlopsPerSample(spec),
    memoryPerTabBytes: { parameters, activations, total: parameters + activations },
  };
}

// Sizes the GPU code picks, repeated here because shared/ may not import client/ (the test above keeps them equal).
/** client/gpu/dispatch.ts bufferBytes: a buffer's size rounded up to 16 bytes, at least 16. */
const bufferBytes = (bytes: number) => Math.max(16, Math.ceil(bytes / 16) * 16);
/** client/gpu/active_columns.ts MAX_ACTIVE_COLUMNS. */
const MAX_ACTIVE_COLUMNS = 4000;
/** client/gpu/norm.ts: rows summed in one pass for dgamma and dbeta, and the scratch halves' alignment. */
const NORM_SINGLE_PASS_ROWS = 256;
const NORM_ALIGN_FLOATS = 64;
/** client/engine/model_plan.ts: each dropout op's seed (a u32), in a buffer of its own. */
const DROPOUT_SEED_BYTES = 16;

/** client/gpu/norm.ts normBackwardScratchFloats: partial sums of chunks of about sqrt(rows) rows, past 256 rows. */
function normScratchFloats(rows: number, channels: number): number {
  if (rows <= NORM_SINGLE_PASS_ROWS) return 0;
  const chunks = Math.ceil(rows / Math.ceil(Math.sqrt(rows)));
  return 2 * Math.ceil((chunks * channels) / NORM_ALIGN_FLOATS) * NORM_ALIGN_FLOATS;
}

/** client/gpu/softmax_xent.ts softmaxXentPartialsFloats: a sequence model's loss and correct count per row. */
const softmaxPartialsFloats = (rows: number) => 2 * rows;

/** The rows a norm's backward sums for dgamma and dbeta, and the statistics (mean, rstd) saved per position (layer
 *  norm) or per sample and group (group norm), as shared/reference/model.ts normShapeOf lays them out. */
function normShape(batch: number, op: Extract<Op, { kind: 'norm' }>): { rows: number; statistics: number } {
  const rows = batch * op.input.height * op.input.width;
  return { rows, statistics: op.groups === 0 ? rows : batch * op.groups };
}

/**
 * The byte size of each GPU buffer one training step of `batch` samples holds besides the parameter-sized vectors:
 * the minibatch (x, labels) and every buffer buildModelPlan creates: outputs of ops that do not work in place, their
 * copies where a residual block's skip input must survive, what backward reads again (maxpool's argmax, a norm's mean
 * and rstd, attention's log-sum-exps), input gradients, backward scratch, the logits' gradient, dropout seeds, and
 * the first dense layer's zero-column list wherever the plan may make one (its matmul variant decides).
 * Left out: the partial sums some kernels create for themselves (bias and conv2d filter gradients, an embedding's
 * table chunks), whatever the batch about 3 MB for resnet, 1 MB for cnn and char-transformer.
 */
export function stepBufferBytes(spec: ModelSpec, batch: number): number[] {
  const ops = modelOps(spec);
  const sequence = isSequenceModel(spec);
  const sizes: number[] = [];
  /** A new buffer of `floats` 4-byte values; its id is its place in `sizes`. */
  const alloc = (floats: number): number => sizes.push(bufferBytes(floats * 4)) - 1;
  const size = (op: Op, which: 'input' | 'output') => batch * shapeSize(op[which]);
  const x = alloc(batch * shapeSize(spec.input));
  alloc(batch * outputPositions(spec));

  const first = ops.find((o) => o.kind !== 'flatten');
  if (first?.kind === 'dense' && !sequence && shapeSize(spec.input) <= MAX_ACTIVE_COLUMNS) alloc(shapeSize(spec.input) + 1);

  // acts[i]: the buffer holding op i's input; held: inputs of open residual blocks, which no op may change in place
  const acts = [x];
  const held = new Map<number, number>();
  const writable = (input: number, floats: number) => (held.has(input) ? alloc(floats) : input);
  ops.forEach((op, i) => {
    const input = acts[i];
    const out = size(op, 'output');
    let y = input;
    switch (op.kind) {
      case 'dense':
      case 'conv2d':
      case 'gelu':
      case 'avgpool':
      case 'globalavgpool':
      case 'embedding':
        y = alloc(out);
        break;
      case 'relu':
        // fused into the product before it
        if (ops[i - 1]?.kind !== 'dense' && ops[i - 1]?.kind !== 'conv2d') y = writable(input, out);
        break;
      case 'maxpool':
        y = alloc(out);
        alloc(out);
        break;
      case 'norm': {
        y = alloc(out);
        const { statistics } = normShape(batch, op);
        alloc(statistics);
        alloc(statistics);
        break;
      }
      case 'dropout':
        if (op.rate > 0) {
          y = writable(input, out);
          sizes.push(DROPOUT_SEED_BYTES);
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
        const own = input !== skip && ops[i - 1].kind !== 'relu' && ops[i - 1].kind !== 'attend';
        y = own ? input : alloc(out);
        break;
      }
      case 'attend':
        y = alloc(out);
        alloc(batch * op.heads * op.output.width);
        break;
      case 'flatten':
        break;
    }
    acts.push(y);
  });

  const rows = batch * outputPositions(spec);
  let dy = alloc(rows * spec.classes);
  if (sequence) alloc(softmaxPartialsFloats(rows));

  // dy: the buffer holding op i's output gradient, which in-place ops pass on
  const skipGrads = new Map<number, number>();
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i];
    const inSize = size(op, 'input');
    const wantInput = needsInputGradient(ops, i);
    switch (op.kind) {
      case 'dense':
      case 'conv2d':
      case 'maxpool':
      case 'avgpool':
      case 'globalavgpool':
        if (wantInput) dy = alloc(inSize);
        break;
      case 'norm': {
        dy = alloc(inSize);
        const scratch = normScratchFloats(normShape(batch, op).rows, op.input.channels);
        if (scratch > 0) alloc(scratch);
        break;
      }
      case 'residualEnd':
        skipGrads.set(op.begin, dy);
        if (['relu', 'gelu', 'dropout', 'residualEnd'].includes(ops[i - 1].kind)) dy = alloc(inSize);
        break;
      case 'residualBegin':
        if (dy === skipGrads.get(i)) dy = alloc(inSize);
        break;
      case 'attend':
        dy = alloc(inSize);
        alloc(batch * op.heads * op.output.width);
        break;
      default:
        break;
    }
    if (!wantInput) break;
  }
  return sizes;
}
