// Whether a global copy may replace the current one: plain functions of two measurements on the same validation
// samples (no sockets, no clock). Paired per-sample differences make the tolerance the noise of the comparison
// itself, so a copy is refused for being worse, never for the luck of which samples were drawn.
import type { Measured } from './evaluator.ts';
import { distanceFrom } from './norm_bound.ts';

export interface GateRule {
  z: number;
  lossFloor: number;
  accuracyFloor: number;
  driftPerMinute: number;
}

export interface Comparison {
  /** Mean per-sample loss difference, candidate minus reference (negative: the candidate is better). */
  lossDiff: number;
  lossTol: number;
  accuracyDiff: number;
  accuracyTol: number;
}

/** A mean and the standard error of the mean of the paired differences f(i). */
function paired(n: number, f: (i: number) => number): { mean: number; se: number } {
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const d = f(i);
    sum += d;
    sq += d * d;
  }
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sq - n * mean * mean) / (n - 1)) : 0;
  return { mean, se: Math.sqrt(variance / n) };
}

export function compare(candidate: Measured, reference: Measured, rule: GateRule): Comparison {
  const n = candidate.losses.length;
  if (n === 0 || reference.losses.length !== n) throw new Error(`compare: ${n} and ${reference.losses.length} samples`);
  const loss = paired(n, (i) => candidate.losses[i] - reference.losses[i]);
  const acc = paired(n, (i) => candidate.correct[i] - reference.correct[i]);
  return {
    lossDiff: loss.mean,
    lossTol: Math.max(rule.z * loss.se, rule.lossFloor),
    accuracyDiff: acc.mean,
    accuracyTol: Math.max(rule.z * acc.se, rule.accuracyFloor),
  };
}

/** A copy accepted at time t with mean validation loss `loss`. */
export interface Anchor { t: number; loss: number }

/** The highest validation loss the drift bound allows now: no more than rate x age above any recent accepted copy. */
export function driftCeiling(anchors: readonly Anchor[], now: number, driftPerMinute: number): number {
  let ceiling = Infinity;
  for (const a of anchors) ceiling = Math.min(ceiling, a.loss + (driftPerMinute * (now - a.t)) / 60_000);
  return ceiling;
}

export type Verdict = { accept: true; why: string } | { accept: false; why: string };

const f4 = (x: number) => x.toFixed(4);

/**
 * The leader's own next copy must be no worse than the one it replaces (within the tolerance) and under the drift
 * ceiling. A challenger, while a leader is live, must be better by the tolerance: ties keep the leader, so a copy
 * merely as good as the current one (a re-upload with noise added) never takes the lead.
 */
export function verdict(role: 'leader' | 'challenger', c: Comparison, loss: number, ceiling: number): Verdict {
  const detail = `loss ${f4(loss)} (${c.lossDiff >= 0 ? '+' : ''}${f4(c.lossDiff)} vs the current copy, tolerance ${f4(c.lossTol)}), accuracy ${c.accuracyDiff >= 0 ? '+' : ''}${f4(c.accuracyDiff)} (tolerance ${f4(c.accuracyTol)})`;
  if (c.accuracyDiff < -c.accuracyTol) return { accept: false, why: `accuracy worse than the current copy: ${detail}` };
  if (loss > ceiling + c.lossTol) return { accept: false, why: `validation loss above the drift ceiling ${f4(ceiling)}: ${detail}` };
  if (role === 'leader') {
    return c.lossDiff <= c.lossTol ? { accept: true, why: detail } : { accept: false, why: `worse than the current copy: ${detail}` };
  }
  return c.lossDiff <= -c.lossTol ? { accept: true, why: detail } : { accept: false, why: `not better than the current copy: ${detail}` };
}

/** ||x - y|| / ||y||: how far a copy is from one the server sent. */
export function relativeDistance(x: Float32Array, y: Float32Array): number {
  const { distance, refNorm } = distanceFrom(x, y);
  return distance / Math.max(refNorm, 1e-12);
}
