// CPU reference for group normalization over x [instances, positions, channels] (NHWC images: positions =
// height*width). Layer norm is the case positions 1, groups 1. Statistics are per (instance, group), over the
// group's positions x channels/groups values; the variance is biased (divides by that count).

export interface NormShape {
  instances: number;
  positions: number;
  channels: number;
  groups: number;
  eps: number;
}

/** y = (x - mean) * rstd * gamma[c] + beta[c]; mean and rstd = 1/sqrt(var + eps) are [instances*groups],
 *  index n*groups + g, and are what the backward needs. */
export function normForward(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  s: NormShape,
): { y: Float64Array; mean: Float64Array; rstd: Float64Array } {
  checkLengths(s, { x, gamma, beta });
  const y = new Float64Array(x.length);
  const mean = new Float64Array(s.instances * s.groups);
  const rstd = new Float64Array(s.instances * s.groups);
  forEachGroup(s, (k, at) => {
    let sum = 0;
    at((i) => (sum += x[i]));
    const m = sum / count(s);
    let squares = 0;
    at((i) => (squares += (x[i] - m) ** 2));
    const r = 1 / Math.sqrt(squares / count(s) + s.eps);
    at((i, c) => (y[i] = (x[i] - m) * r * gamma[c] + beta[c]));
    mean[k] = m;
    rstd[k] = r;
  });
  return { y, mean, rstd };
}

/** With xhat = (x - mean) * rstd and g = dy * gamma: dx = rstd * (g - avg(g) - xhat * avg(g * xhat)), the
 *  averages over each (instance, group); dgamma[c] and dbeta[c] sum dy * xhat and dy over instances and positions. */
export function normBackward(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  gamma: ArrayLike<number>,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  s: NormShape,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  checkLengths(s, { x, dy, gamma });
  if (mean.length !== s.instances * s.groups || rstd.length !== s.instances * s.groups) {
    throw new Error(`norm: mean and rstd need instances*groups = ${s.instances * s.groups} values, got ${mean.length} and ${rstd.length}`);
  }
  const dx = new Float64Array(x.length);
  const dgamma = new Float64Array(s.channels);
  const dbeta = new Float64Array(s.channels);
  forEachGroup(s, (k, at) => {
    const xhat = (i: number) => (x[i] - mean[k]) * rstd[k];
    let sumG = 0;
    let sumGXhat = 0;
    at((i, c) => {
      sumG += dy[i] * gamma[c];
      sumGXhat += dy[i] * gamma[c] * xhat(i);
      dgamma[c] += dy[i] * xhat(i);
      dbeta[c] += dy[i];
    });
    const avgG = sumG / count(s);
    const avgGXhat = sumGXhat / count(s);
    at((i, c) => (dx[i] = rstd[k] * (dy[i] * gamma[c] - avgG - xhat(i) * avgGXhat)));
  });
  return { dx, dgamma, dbeta };
}

/** Values per (instance, group). */
const count = (s: NormShape) => (s.positions * s.channels) / s.groups;

/** Calls f(k, at) for each (instance n, group g), k = n*groups + g, where at(visit) visits every (index into x,
 *  channel) of that group. */
function forEachGroup(s: NormShape, f: (k: number, at: (visit: (i: number, c: number) => void) => void) => void): void {
  const width = s.channels / s.groups;
  for (let n = 0; n < s.instances; n++) {
    for (let g = 0; g < s.groups; g++) {
      f(n * s.groups + g, (visit) => {
        for (let p = 0; p < s.positions; p++) {
          for (let c = g * width; c < (g + 1) * width; c++) visit((n * s.positions + p) * s.channels + c, c);
        }
      });
    }
  }
}

function checkLengths(s: NormShape, arrays: Record<string, ArrayLike<number>>): void {
  if (s.channels % s.groups !== 0) throw new Error(`norm: channels ${s.channels} must be a multiple of groups ${s.groups}`);
  for (const [name, a] of Object.entries(arrays)) {
    const expected = name === 'gamma' || name === 'beta' ? s.channels : s.instances * s.positions * s.channels;
    if (a.length !== expected) throw new Error(`norm: ${name} has ${a.length} values, expected ${expected}`);
  }
}
