// The whole model on the CPU in float64: the reference that GPU training, gradient checks and the
// coordinator's measurement of leader copies on validation data all agree with.
import { conv2dBackwardData, conv2dBackwardFilter, conv2dForward, type ConvShape } from './conv2d.ts';
import { addBias, matmul } from './matmul.ts';
import { maxpoolBackward, maxpoolForward, type PoolShape } from './maxpool.ts';
import { relu, reluBackward } from './relu.ts';
import { biasGrad } from './bias_grad.ts';
import { softmaxCrossEntropy } from './softmax_xent.ts';
import { parameterLayout, tensorOf, type ParameterLayout } from '../layout.ts';
import { layerOutputShapes, shapeSize, type ModelSpec, type TensorShape } from '../model.ts';

interface Trace {
  /** inputs[i] is the input of layer i; inputs[layers.length] is the logits. */
  inputs: Float64Array[];
  argmax: (Uint32Array | null)[];
}

function tensor(params: ArrayLike<number>, layout: ParameterLayout, layer: number, role: 'weight' | 'bias'): Float64Array {
  const t = tensorOf(layout, layer, role);
  const out = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = params[t.offset + i];
  return out;
}

function convShape(batch: number, inShape: TensorShape, filters: number, kernel: number): ConvShape {
  return { batch, height: inShape.height, width: inShape.width, inChannels: inShape.channels, outChannels: filters, kernel };
}

function poolShape(batch: number, s: TensorShape): PoolShape {
  return { batch, height: s.height, width: s.width, channels: s.channels };
}

function run(spec: ModelSpec, layout: ParameterLayout, params: ArrayLike<number>, x: ArrayLike<number>, batch: number): Trace {
  const shapes = layerOutputShapes(spec);
  const inputs: Float64Array[] = [Float64Array.from(x)];
  const argmax: (Uint32Array | null)[] = [];
  let inShape = spec.input;
  spec.layers.forEach((layer, i) => {
    const input = inputs[i];
    let out: Float64Array = input;
    let am: Uint32Array | null = null;
    switch (layer.kind) {
      case 'dense': {
        const k = shapeSize(inShape);
        out = matmul(input, tensor(params, layout, i, 'weight'), batch, k, layer.units);
        addBias(out, batch, layer.units, tensor(params, layout, i, 'bias'));
        break;
      }
      case 'conv2d':
        out = conv2dForward(input, tensor(params, layout, i, 'weight'), tensor(params, layout, i, 'bias'), convShape(batch, inShape, layer.filters, layer.kernel));
        break;
      case 'relu':
        out = relu(input);
        break;
      case 'maxpool2': {
        const r = maxpoolForward(input, poolShape(batch, inShape));
        out = r.y;
        am = r.argmax;
        break;
      }
      case 'flatten':
        break;
    }
    inputs.push(out);
    argmax.push(am);
    inShape = shapes[i];
  });
  return { inputs, argmax };
}

export function logits(spec: ModelSpec, params: ArrayLike<number>, x: ArrayLike<number>, batch: number): Float64Array {
  const trace = run(spec, parameterLayout(spec), params, x, batch);
  return trace.inputs[spec.layers.length];
}

export interface LossAndGradient {
  loss: number;
  correct: number;
  /** Same layout as the parameters (padding stays zero). */
  grad: Float64Array;
}

/** Mean softmax cross-entropy of a batch and its gradient with respect to every parameter. */
export function lossAndGradient(spec: ModelSpec, params: ArrayLike<number>, x: ArrayLike<number>, labels: ArrayLike<number>, batch: number): LossAndGradient {
  const layout = parameterLayout(spec);
  const shapes = layerOutputShapes(spec);
  const trace = run(spec, layout, params, x, batch);
  const sx = softmaxCrossEntropy(trace.inputs[spec.layers.length], labels, batch, spec.classes);
  const grad = new Float64Array(layout.length);
  const put = (layer: number, role: 'weight' | 'bias', g: Float64Array) => grad.set(g, tensorOf(layout, layer, role).offset);
  const inShapes = [spec.input, ...shapes];
  let dy: Float64Array = sx.dlogits;
  for (let i = spec.layers.length - 1; i >= 0; i--) {
    const layer = spec.layers[i];
    const input = trace.inputs[i];
    const inShape = inShapes[i];
    switch (layer.kind) {
      case 'dense': {
        const k = shapeSize(inShape);
        put(i, 'weight', matmul(input, dy, k, batch, layer.units, true, false));
        put(i, 'bias', biasGrad(dy, batch, layer.units));
        dy = matmul(dy, tensor(params, layout, i, 'weight'), batch, layer.units, k, false, true);
        break;
      }
      case 'conv2d': {
        const s = convShape(batch, inShape, layer.filters, layer.kernel);
        const { dw, db } = conv2dBackwardFilter(input, dy, s);
        put(i, 'weight', dw);
        put(i, 'bias', db);
        dy = conv2dBackwardData(dy, tensor(params, layout, i, 'weight'), s);
        break;
      }
      case 'relu':
        dy = reluBackward(trace.inputs[i + 1], dy);
        break;
      case 'maxpool2':
        dy = maxpoolBackward(dy, trace.argmax[i]!, poolShape(batch, inShape));
        break;
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

/** Per-sample cross-entropy and correctness (argmax == label, first max on ties): what paired comparisons of two models need. */
export interface SampleEvaluation {
  losses: Float64Array;
  correct: Uint8Array;
}

/** Mean loss and accuracy of `params` on `count` uint8 samples (scaled by 1/255), in chunks to bound memory. */
export function evaluate(spec: ModelSpec, params: ArrayLike<number>, pixels: Uint8Array, labels: Uint8Array, count: number, chunk = 128): Evaluation {
  const { losses, correct } = evaluateSamples(spec, params, pixels, labels, count, chunk);
  let lossSum = 0;
  let right = 0;
  for (let i = 0; i < count; i++) {
    lossSum += losses[i];
    right += correct[i];
  }
  return { loss: lossSum / count, accuracy: right / count };
}

export function evaluateSamples(spec: ModelSpec, params: ArrayLike<number>, pixels: Uint8Array, labels: Uint8Array, count: number, chunk = 128): SampleEvaluation {
  const size = shapeSize(spec.input);
  if (pixels.length < count * size || labels.length < count) throw new Error(`evaluate: ${count} samples need ${count * size} pixels and ${count} labels`);
  const layout = parameterLayout(spec);
  const losses = new Float64Array(count);
  const correct = new Uint8Array(count);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const x = new Float64Array(n * size);
    for (let i = 0; i < x.length; i++) x[i] = pixels[start * size + i] / 255;
    const out = run(spec, layout, params, x, n).inputs[spec.layers.length];
    losses.set(softmaxCrossEntropy(out, labels.subarray(start, start + n), n, spec.classes).losses, start);
    for (let b = 0; b < n; b++) {
      let argmax = 0;
      for (let c = 1; c < spec.classes; c++) if (out[b * spec.classes + c] > out[b * spec.classes + argmax]) argmax = c;
      correct[start + b] = argmax === labels[start + b] ? 1 : 0;
    }
  }
  return { losses, correct };
}
