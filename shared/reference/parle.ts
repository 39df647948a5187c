// CPU reference for Parle (Chaudhari, Baldassi, Zecchina, Soatto, Talwalkar, Oberman 2017): replicas x_a, each
// coupled elastically to a reference x~ (the mean of the replicas), each running Entropy-SGD inside:
//
//   inner steps (tau of them):  y <- y - lr (grad f(y) + gamma (y - x_a)),   mu <- alpha mu + (1 - alpha) y
//   then the replica:           x_a <- x_a - (x_a - mu) - rho (x_a - x~)      and y, mu start again from x_a
//
// The replica step is the paper's x_a - eta (gamma (x_a - mu) + rho' (x_a - x~)) with eta gamma = 1, as
// Entropy-SGD's own outer step of 1 on its gradient x - mu takes it, and rho = eta rho' the fraction of the way
// to the reference. Knobs: gamma (how tightly the inner steps stay near the replica), rho, and tau; alpha is the
// paper's 0.75, and its scoping (gamma and rho growing during training) is left out: both stay as set.

/** The weight of the old average in mu's exponential average (the paper's value). */
export const PARLE_ALPHA = 0.75;

function sameLength(what: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) throw new Error(`parle: ${what} has ${a.length} values, expected ${n}`);
}

/** One inner step without momentum: y - lr (grad + gamma (y - x)), grad taken at y. With momentum it is
 *  lsgd_update.ts's step with the replica as the local leader and lambdaL = gamma, as the tab's trainer takes it. */
export function parleInnerStep(y: ArrayLike<number>, grad: ArrayLike<number>, replica: ArrayLike<number>, gamma: number, lr: number): Float64Array {
  sameLength('the gradient', grad, y.length);
  sameLength('the replica', replica, y.length);
  return Float64Array.from(y, (v, i) => v - lr * (grad[i] + gamma * (v - replica[i])));
}

/** The exponential average of the inner iterates after one more: alpha mu + (1 - alpha) y. */
export function parleAverage(mu: ArrayLike<number>, y: ArrayLike<number>, alpha = PARLE_ALPHA): Float64Array {
  sameLength('y', y, mu.length);
  return Float64Array.from(mu, (v, i) => alpha * v + (1 - alpha) * y[i]);
}

/** The reference variable: the mean of the replicas. */
export function parleReference(replicas: readonly ArrayLike<number>[]): Float64Array {
  if (replicas.length === 0) throw new Error('parle: no replicas to average');
  const n = replicas[0].length;
  const out = new Float64Array(n);
  for (const [k, x] of replicas.entries()) {
    sameLength(`replica ${k}`, x, n);
    for (let i = 0; i < n; i++) out[i] += x[i];
  }
  for (let i = 0; i < n; i++) out[i] /= replicas.length;
  return out;
}

/** The replica's step at the end of a round: x - (x - mu) - rho (x - reference) = mu - rho (x - reference). */
export function parleReplicaStep(replica: ArrayLike<number>, mu: ArrayLike<number>, reference: ArrayLike<number>, rho: number): Float64Array {
  sameLength('mu', mu, replica.length);
  sameLength('the reference', reference, replica.length);
  return Float64Array.from(replica, (x, i) => mu[i] - rho * (x - reference[i]));
}
