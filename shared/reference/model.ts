// The whole model on the CPU in float64: the reference that GPU training, gradient checks and the coordinator's
// measurement of leader copies on validation data all agree with. It walks the ops of shared/model.ts.
import { attentionBackward, attentionForward } from './attention.ts';
import { addInto } from './add.ts';
import { avgpoolBackward, avgpoolForward, type AvgPoolShape } from './avgpool.ts';
import { biasGrad } from './bias_grad.ts';
import { conv2dBackwardData, conv2dBackwardFilter, conv2dForward, type ConvShape } from './conv2d.ts';
import { dropoutBackward, dropoutForward, dropoutSeed } from './dropout.ts';
import { embeddingBackward, embeddingForward } from './embedding.ts';
import { geluBackward, geluForward } from './gelu.ts';
import { addBias, matmul } from './matmul.ts';
import { maxpoolBackward, maxpoolForward, type PoolShape } from './maxpool.ts';
import { normBackward, normForward, type NormShape } from './norm.ts';
import { relu, reluBackward } from './relu.ts';
import { softmaxCrossEntropy } from './softmax_xent.ts';
import { parameterLayout, tensorOf, type ParameterLayout, type TensorRole } from '../layout.ts';
import { modelOps, NORM_EPS, outputPositions, shapeSize, type ModelSpec, type Op } from '../model.ts';

/** Dropout is on only in training, with masks named by the step (shared/reference/dropout.ts): the GPU and a replay
 *  draw the same ones. Absent: evaluation (dropout is the identity). */
export interface TrainingDraw {
  seed: number;
  step: number;
}

interface Trace {
  /** inputs[i] is the input of op i; inputs[ops.length] is the logits. */
  inputs: Float64Array[];
  /** What an op's backward needs beyond its input and output. */
  saved: (Uint32Array | { mean: Float64Array; rstd: Float64Array } | Float64Array | null)[];
}

function tensor(params: ArrayLike<number>, layout: ParameterLayout, op: number, role: TensorRole): Float64Array {
  const t = tensorOf(layout, op, role);
  const out = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = params[t.offset + i];
  return out;
}

export function convShapeOf(batch: number, op: Extract<Op, { kind: 'conv2d' }>): ConvShape {
  const s = op.input;
  return { batch, height: s.height, width: s.width, inChannels: s.channels, outChannels: op.filters, kernel: op.kernel, stride: op.stride, padding: op.padding };
}

export function poolShapeOf(batch: number, op: Extract<Op, { kind: 'maxpool' }>): PoolShape {
  return { batch, height: op.input.height, width: op.input.width, channels: op.input.channels, size: op.size };
}

export function avgpoolShapeOf(batch: number, op: Extract<Op, { kind: 'avgpool' | 'globalavgpool' }>): AvgPoolShape {
  const { height, width, channels } = op.input;
  const window = op.kind === 'avgpool' ? { windowH: op.size, windowW: op.size } : { windowH: height, windowW: width };
  return { batch, height, width, channels, ...window };
}

/** Layer norm normalises each position's channels; group norm each sample's groups over all its positions. */
export function normShapeOf(batch: number, op: Extract<Op, { kind: 'norm' }>): NormShape {
  const positions = op.input.height * op.input.width;
  return op.groups === 0
    ? { instances: batch * positions, positions: 1, channels: op.input.channels, groups: 1, eps: NORM_EPS }
    : { instances: batch, positions, channels: op.input.channels, groups: op.groups, eps: NORM_EPS };
}

function run(spec: ModelSpec, ops: Op[], layout: ParameterLayout, params: ArrayLike<number>, x: ArrayLike<number>, batch: number, draw?: TrainingDraw): Trace {
  const inputs: Float64Array[] = [Float64Array.from(x)];
  const saved: Trace['saved'] = [];
  for (const op of ops) {
    const input = inputs[op.index];
    const p = (role: TensorRole) => tensor(params, layout, op.index, role);
    let out: Float64Array = input;
    let keep: Trace['saved'][number] = null;
    switch (op.kind) {
      case 'dense': {
        const rows = batch * op.positions;
        const k = shapeSize(op.input) / op.positions;
        out = matmul(input, p('weight'), rows, k, op.units);
        addBias(out, rows, op.units, p('bias'));
        break;
      }
      case 'conv2d':
        out = conv2dForward(input, p('weight'), p('bias'), convShapeOf(batch, op));
        break;
      case 'relu':
        out = relu(input);
        break;
      case 'gelu':
        out = geluForward(input);
        break;
      case 'maxpool': {
        const r = maxpoolForward(input, poolShapeOf(batch, op));
        out = r.y;
        keep = r.argmax;
        break;
      }
      case 'avgpool':
      case 'globalavgpool':
        out = avgpoolForward(input, avgpoolShapeOf(batch, op));
        break;
      case 'norm': {
        const r = normForward(input, p('gamma'), p('beta'), normShapeOf(batch, op));
        out = r.y;
        keep = { mean: r.mean, rstd: r.rstd };
        break;
      }
      case 'dropout':
        if (draw && op.rate > 0) out = dropoutForward(input, op.rate, dropoutSeed(draw.seed, draw.step, op.index));
        break;
      case 'residualEnd':
        out = addInto(Float64Array.from(input), inputs[op.begin]);
        break;
      case 'embedding':
        out = embeddingForward(input, p('tokens'), p('positions'), { batch, context: op.context, vocab: op.vocab, dim: op.dim });
        break;
      case 'attend': {
        const r = attentionForward(input, { batch, context: op.output.width, heads: op.heads, dim: op.output.channels });
        out = r.out;
        keep = r.lse;
        break;
      }
      case 'flatten':
      case 'residualBegin':
        break;
    }
    inputs.push(out);
    saved.push(keep);
  }
  return { inputs, saved };
}

export function logits(spec: ModelSpec, params: ArrayLike<number>, x: ArrayLike<number>, batch: number): Float64Array {
  const ops = modelOps(spec);
  return run(spec, ops, parameterLayout(spec), params, x, batch).inputs[ops.length];
}

export interface LossAndGradient {
  /** Mean over the scored outputs (samples, or every position of every sequence). */
  loss: number;
  correct: number;
  /** Same layout as the parameters (padding stays zero). */
  grad: Float64Array;
}

/** Mean softmax cross-entropy of a batch and its gradient with respect to every parameter. For a sequence model x
 *  holds token ids and labels the next token at every position (batch x context of each). */
export function lossAndGradient(spec: ModelSpec, params: ArrayLike<number>, x: ArrayLike<number>, labels: ArrayLike<number>, batch: number, draw?: TrainingDraw): LossAndGradient {
  const layout = parameterLayout(spec);
  const ops = modelOps(spec);
  const trace = run(spec, ops, layout, params, x, batch, draw);
  const rows = batch * outputPositions(spec);
  const sx = softmaxCrossEntropy(trace.inputs[ops.length], labels, rows, spec.classes);
  const grad = new Float64Array(layout.length);
  const put = (op: number, role: TensorRole, g: Float64Array) => grad.set(g, tensorOf(layout, op, role).offset);
  // Gradients reaching a residualBegin's input through its skip connection, added when the backward gets there.
  const skips = new Map<number, Float64Array>();
  let dy: Float64Array = sx.dlogits;
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i];
    const input = trace.inputs[i];
    const p = (role: TensorRole) => tensor(params, layout, i, role);
    switch (op.kind) {
      case 'dense': {
        const rowsIn = batch * op.positions;
        const k = shapeSize(op.input) / op.positions;
        put(i, 'weight', matmul(input, dy, k, rowsIn, op.units, true, false));
        put(i, 'bias', biasGrad(dy, rowsIn, op.units));
        dy = matmul(dy, p('weight'), rowsIn, op.units, k, false, true);
        break;
      }
      case 'conv2d': {
        const s = convShapeOf(batch, op);
        const { dw, db } = conv2dBackwardFilter(input, dy, s);
        put(i, 'weight', dw);
        put(i, 'bias', db);
        dy = conv2dBackwardData(dy, p('weight'), s);
        break;
      }
      case 'relu':
        dy = reluBackward(trace.inputs[i + 1], dy);
        break;
      case 'gelu':
        dy = geluBackward(input, dy);
        break;
      case 'maxpool':
        dy = maxpoolBackward(dy, trace.saved[i] as Uint32Array, poolShapeOf(batch, op));
        break;
      case 'avgpool':
      case 'globalavgpool':
        dy = avgpoolBackward(dy, avgpoolShapeOf(batch, op));
        break;
      case 'norm': {
        const { mean, rstd } = trace.saved[i] as { mean: Float64Array; rstd: Float64Array };
        const r = normBackward(input, dy, p('gamma'), mean, rstd, normShapeOf(batch, op));
        put(i, 'gamma', r.dgamma);
        put(i, 'beta', r.dbeta);
        dy = r.dx;
        break;
      }
      case 'dropout':
        if (draw && op.rate > 0) dy = dropoutBackward(dy, op.rate, dropoutSeed(draw.seed, draw.step, op.index));
        break;
      case 'residualEnd':
        skips.set(op.begin, dy);
        break;
      case 'residualBegin':
        dy = addInto(Float64Array.from(dy), skips.get(i)!);
        break;
      case 'embedding': {
        const r = embeddingBackward(input, dy, { batch, context: op.context, vocab: op.vocab, dim: op.dim });
        put(i, 'tokens', r.dtable);
        put(i, 'positions', r.dpositions);
        break;
      }
      case 'attend': {
        const s = { batch, context: op.output.width, heads: op.heads, dim: op.output.channels };
        dy = attentionBackward(input, trace.inputs[i + 1], trace.saved[i] as Float64Array, dy, s);
        break;
      }
      case 'flatten':
        break;
    }
  }
  return { loss: sx.loss, correct: sx.correct, grad };
}

export interface Evaluation {
  loss: number;
  accuracy: number;
}

/** Per-sample cross-entropy and accuracy (argmax == label, first max on ties): what paired comparisons of two models
 *  need. A sequence model's sample is a window of `context` positions: its mean loss and its share of right guesses. */
export interface SampleEvaluation {
  losses: Float64Array;
  correct: Float64Array;
}

/** How many samples evaluateSamples scores in `count` samples of a split: windows of the context for a sequence
 *  model (text splits hold one byte per sample), the samples themselves for an image model. */
export function evaluationSamples(spec: ModelSpec, count: number): number {
  return Math.floor(count / outputPositions(spec));
}

/** Mean loss and accuracy of `params` on the first `count` samples of a split (see evaluationSamples). */
export function evaluate(spec: ModelSpec, params: ArrayLike<number>, pixels: Uint8Array, labels: Uint8Array, count: number, chunk = 128): Evaluation {
  const { losses, correct } = evaluateSamples(spec, params, pixels, labels, count, chunk);
  let lossSum = 0;
  let right = 0;
  for (let i = 0; i < losses.length; i++) {
    lossSum += losses[i];
    right += correct[i];
  }
  return { loss: lossSum / losses.length, accuracy: right / losses.length };
}

/** Model inputs of samples [start, start + n) of a split: pixels / 255 for images; for a sequence model windows of
 *  `context` byte tokens (sample w starts at byte w * context), labels the next byte at every position. */
export function modelInputs(spec: ModelSpec, pixels: Uint8Array, labels: Uint8Array, start: number, n: number): { x: Float64Array; y: Uint8Array } {
  const size = shapeSize(spec.input);
  const positions = outputPositions(spec);
  const x = new Float64Array(n * size);
  const sequence = positions > 1;
  for (let i = 0; i < x.length; i++) x[i] = sequence ? pixels[start * size + i] : pixels[start * size + i] / 255;
  return { x, y: labels.subarray(start * positions, (start + n) * positions) };
}

export function evaluateSamples(spec: ModelSpec, params: ArrayLike<number>, pixels: Uint8Array, labels: Uint8Array, count: number, chunk = 128): SampleEvaluation {
  const positions = outputPositions(spec);
  const samples = evaluationSamples(spec, count);
  const size = shapeSize(spec.input);
  if (samples < 1 || pixels.length < samples * size || labels.length < samples * positions) throw new Error(`evaluate: ${count} samples need ${samples * size} pixels and ${samples * positions} labels`);
  const ops = modelOps(spec);
  const layout = parameterLayout(spec);
  const losses = new Float64Array(samples);
  const correct = new Float64Array(samples);
  const rowChunk = Math.max(1, Math.floor(chunk / positions));
  for (let start = 0; start < samples; start += rowChunk) {
    const n = Math.min(rowChunk, samples - start);
    const { x, y } = modelInputs(spec, pixels, labels, start, n);
    const out = run(spec, ops, layout, params, x, n).inputs[ops.length];
    const rowLosses = softmaxCrossEntropy(out, y, n * positions, spec.classes).losses;
    for (let b = 0; b < n; b++) {
      let loss = 0;
      let right = 0;
      for (let t = 0; t < positions; t++) {
        const row = b * positions + t;
        loss += rowLosses[row];
        let argmax = 0;
        for (let c = 1; c < spec.classes; c++) if (out[row * spec.classes + c] > out[row * spec.classes + argmax]) argmax = c;
        if (argmax === y[row]) right++;
      }
      losses[start + b] = loss / positions;
      correct[start + b] = right / positions;
    }
  }
  return { losses, correct };
}
