// Text from a byte-level language model on the CPU, one token at a time (what the dashboard shows of a run's global
// copy). Generation is incremental: every op but `attend` works per position, so each new token runs through the
// model alone, and each attend op keeps the q, k, v rows of the earlier positions (a KV cache) instead of the whole
// window being run again for every byte.
import { embeddingForward } from './embedding.ts';
import { geluForward } from './gelu.ts';
import { addBias, matmul } from './matmul.ts';
import { normForward } from './norm.ts';
import { relu } from './relu.ts';
import { opTensors, parameterLayout, tensorOf, type TensorRole } from '../layout.ts';
import { isSequenceModel, modelOps, NORM_EPS, type ModelSpec, type Op } from '../model.ts';

/** Feeds one token at the next position and returns the logits predicting the token after it ([classes]). */
export interface Decoder {
  /** Positions fed since the last reset; at most `context`. */
  readonly position: number;
  readonly context: number;
  feed(token: number): Float64Array;
  /** Forgets every position (the caches), so the next token is fed at position 0. */
  reset(): void;
}

/** One op's work on a single position's row, given the op's tensors. */
type Step = (x: Float64Array, t: number, inputs: Float64Array[]) => Float64Array;

/** An incremental decoder of a sequence model with float64 copies of its parameters. Throws for an image model. */
export function createDecoder(spec: ModelSpec, params: ArrayLike<number>): Decoder {
  if (!isSequenceModel(spec)) throw new Error(`model ${spec.name} is not a sequence model (its first layer is not embedding): only text models can generate text`);
  const ops = modelOps(spec);
  const layout = parameterLayout(spec);
  const caches: number[][] = [];
  const tensor = (op: Op, role: TensorRole) => {
    const t = tensorOf(layout, op.index, role);
    return Float64Array.from({ length: t.length }, (_, i) => params[t.offset + i]);
  };
  const steps: Step[] = ops.map((op) => {
    const p = Object.fromEntries(opTensors(op).map(({ role }) => [role, tensor(op, role)])) as Partial<Record<TensorRole, Float64Array>>;
    switch (op.kind) {
      case 'embedding': {
        const s = { batch: 1, context: 1, vocab: op.vocab, dim: op.dim };
        return (x, t) => embeddingForward(x, p.tokens!, p.positions!.subarray(t * op.dim, (t + 1) * op.dim), s);
      }
      case 'dense':
        return (x) => {
          const y = matmul(x, p.weight!, 1, op.input.channels, op.units);
          addBias(y, 1, op.units, p.bias!);
          return y;
        };
      case 'norm':
        return (x) => normForward(x, p.gamma!, p.beta!, { instances: 1, positions: 1, channels: op.input.channels, groups: 1, eps: NORM_EPS }).y;
      case 'gelu':
        return (x) => geluForward(x);
      case 'relu':
        return (x) => relu(x);
      case 'attend': {
        const cache: number[] = [];
        caches.push(cache);
        return (x) => attendLast(cache, x, op.heads, op.output.channels);
      }
      case 'residualEnd':
        return (x, _t, inputs) => x.map((v, i) => v + inputs[op.begin][i]);
      // evaluation: dropout is the identity
      case 'dropout':
      case 'residualBegin':
        return (x) => x;
      default:
        throw new Error(`op ${op.path} (${op.kind}) has no place in a sequence model`);
    }
  });
  const context = spec.input.width;
  let position = 0;
  return {
    get position() {
      return position;
    },
    context,
    feed(token) {
      if (position >= context) throw new Error(`the window of ${context} positions is full: reset (or slide) before feeding more`);
      const inputs: Float64Array[] = [Float64Array.of(token)];
      for (let i = 0; i < steps.length; i++) inputs.push(steps[i](inputs[i], position, inputs));
      position++;
      return inputs[steps.length];
    },
    reset() {
      position = 0;
      for (const cache of caches) cache.length = 0;
    },
  };
}

/** Appends the new position's q | k | v row to `cache` and returns its attention output over every cached
 *  position: the causal attention of the last row of the window (shared/reference/attention.ts), alone. */
function attendLast(cache: number[], qkv: Float64Array, heads: number, dim: number): Float64Array {
  for (const v of qkv) cache.push(v);
  const rows = cache.length / (3 * dim);
  const d = dim / heads;
  const scale = 1 / Math.sqrt(d);
  const out = new Float64Array(dim);
  const scores = new Float64Array(rows);
  for (let h = 0; h < heads; h++) {
    let max = -Infinity;
    for (let u = 0; u < rows; u++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += qkv[h * d + j] * cache[u * 3 * dim + dim + h * d + j];
      scores[u] = s * scale;
      max = Math.max(max, scores[u]);
    }
    let sum = 0;
    for (let u = 0; u < rows; u++) sum += (scores[u] = Math.exp(scores[u] - max));
    for (let u = 0; u < rows; u++) {
      const p = scores[u] / sum;
      for (let j = 0; j < d; j++) out[h * d + j] += p * cache[u * 3 * dim + 2 * dim + h * d + j];
    }
  }
  return out;
}

/** A token drawn from softmax(logits / temperature) with `random` in [0, 1); temperature 0 is the argmax (first on ties). */
export function sampleToken(logits: ArrayLike<number>, temperature: number, random: () => number): number {
  if (!(temperature >= 0)) throw new Error(`temperature must be 0 or more, got ${temperature}`);
  let argmax = 0;
  for (let c = 1; c < logits.length; c++) if (logits[c] > logits[argmax]) argmax = c;
  if (temperature === 0) return argmax;
  const weights = Array.from(logits, (z) => Math.exp((z - logits[argmax]) / temperature));
  let r = random() * weights.reduce((a, b) => a + b, 0);
  for (let c = 0; c < weights.length; c++) {
    r -= weights[c];
    if (r < 0) return c;
  }
  return argmax;
}

/**
 * `length` bytes generated after `prompt` (not included), each drawn by sampleToken. When the window (the spec's
 * context) is full, generation slides: the decoder restarts from the window's last half, fed again, and goes on.
 * The bytes need not be valid UTF-8: decode them with a TextDecoder that replaces what is not.
 */
export function sampleText(spec: ModelSpec, params: ArrayLike<number>, prompt: Uint8Array, length: number, temperature: number, random: () => number): Uint8Array {
  const decoder = createDecoder(spec, params);
  if (spec.classes > 256) throw new Error(`model ${spec.name}: sampleText writes bytes, so its vocabulary (classes) must be at most 256, got ${spec.classes}`);
  if (prompt.length === 0) throw new Error('sampleText needs a prompt of at least one byte (a newline will do)');
  const window: number[] = [];
  let logits: Float64Array = new Float64Array(0);
  const feed = (token: number) => {
    if (decoder.position === decoder.context) {
      window.splice(0, window.length - Math.floor(decoder.context / 2));
      decoder.reset();
      for (const t of window) decoder.feed(t);
    }
    window.push(token);
    logits = decoder.feed(token);
  };
  for (const b of prompt) feed(b);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = sampleToken(logits, temperature, random);
    if (i + 1 < length) feed(out[i]);
  }
  return out;
}
