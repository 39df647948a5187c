// CPU reference for sync-sgd's Byzantine-robust aggregates. Each is told f, how many of the n gradients may be
// arbitrary (sent by attackers), and discards that many in its own way before averaging: the trimmed mean per
// coordinate, CGE by norm, Zeno by how much each gradient lowers the loss on held-out data.
import type { DataSplit } from '../dataset.ts';
import type { ModelSpec } from '../model.ts';
import { evaluate } from './model.ts';
import { gradientLength, meanGradient } from './sync_sgd.ts';

function checkTolerance(rule: string, f: number, n: number, least: number, why: string): void {
  if (!Number.isInteger(f) || f < 0) throw new Error(`${rule}: f must be a whole number >= 0, got ${f}`);
  if (n < least) throw new Error(`${rule} with f = ${f} ${why}, so it needs at least ${least} gradients; got ${n}`);
}

/** The n - f indices with the lowest keys; a tie goes to the earlier gradient, so the choice is reproducible. */
function keepLowest(keys: Float64Array, f: number): number[] {
  return [...keys.keys()].sort((a, b) => keys[a] - keys[b] || a - b).slice(0, keys.length - f);
}

/** Per coordinate, the mean of the values left after dropping the f largest and the f smallest. */
export function trimmedMeanGradient(grads: readonly ArrayLike<number>[], f: number): Float64Array {
  const len = gradientLength(grads);
  const n = grads.length;
  checkTolerance('trimmed mean', f, n, 2 * f + 1, `drops the ${f} largest and ${f} smallest values of every coordinate`);
  const out = new Float64Array(len);
  const column = new Float64Array(n);
  for (let i = 0; i < len; i++) {
    for (let k = 0; k < n; k++) column[k] = grads[k][i];
    column.sort();
    let sum = 0;
    for (let k = f; k < n - f; k++) sum += column[k];
    out[i] = sum / (n - 2 * f);
  }
  return out;
}

export function l2Norm(g: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < g.length; i++) sum += g[i] * g[i];
  return Math.sqrt(sum);
}

/** Comparative gradient elimination: the mean of the n - f gradients with the smallest L2 norms. */
export function cgeGradient(grads: readonly ArrayLike<number>[], f: number): Float64Array {
  gradientLength(grads);
  checkTolerance('cge', f, grads.length, f + 1, `drops the ${f} largest-norm gradients`);
  return meanGradient(keepLowest(Float64Array.from(grads, l2Norm), f).map((k) => grads[k]));
}

export interface ZenoScoring {
  /** The model every gradient was computed at. */
  weights: ArrayLike<number>;
  /** The loss on a small held-out batch, as a function of the parameters. */
  loss: (params: Float64Array) => number;
  /** The length of the descent step each gradient is tried with (the run's learning rate). */
  gamma: number;
  /** The price of a large norm, so that a gradient cannot win by size alone. */
  rho: number;
}

/**
 * Zeno's score of each gradient: L(x) - L(x - gamma g) - rho ||g||^2, the loss decrease it buys on held-out data
 * less its size. A gradient whose trial loss is not a number (it overflowed the model) scores -Infinity.
 */
export function zenoScores(grads: readonly ArrayLike<number>[], s: ZenoScoring): Float64Array {
  const len = gradientLength(grads);
  if (s.weights.length !== len) throw new Error(`zeno: the model has ${s.weights.length} values, the gradients ${len}`);
  const base = s.loss(Float64Array.from(s.weights));
  const trial = new Float64Array(len);
  return Float64Array.from(grads, (g) => {
    let norm2 = 0;
    for (let i = 0; i < len; i++) {
      trial[i] = s.weights[i] - s.gamma * g[i];
      norm2 += g[i] * g[i];
    }
    const score = base - s.loss(trial) - s.rho * norm2;
    return Number.isNaN(score) ? -Infinity : score;
  });
}

/** The mean of the n - f gradients with the highest Zeno scores. */
export function zenoGradient(grads: readonly ArrayLike<number>[], f: number, s: ZenoScoring): Float64Array {
  gradientLength(grads);
  checkTolerance('zeno', f, grads.length, f + 1, `drops the ${f} lowest-scoring gradients`);
  return meanGradient(keepLowest(zenoScores(grads, s).map((v) => -v), f).map((k) => grads[k]));
}

/** Mean cross-entropy of `spec` on `batch`, its uint8 pixels scaled by 1/255 as the tabs train on them. */
export function heldOutLoss(spec: ModelSpec, batch: DataSplit): (params: Float64Array) => number {
  return (params) => evaluate(spec, params, batch.pixels, batch.labels, batch.count).loss;
}
