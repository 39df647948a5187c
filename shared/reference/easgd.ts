// CPU reference for Elastic Averaging SGD (Zhang, Choromanska, LeCun 2015): workers and a center variable
// attract each other with strength alpha.

function sameLength(what: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) throw new Error(`easgd: ${what} has ${a.length} values, the center has ${n}`);
}

/** The synchronous center update: x~ + alpha * sum_i (x_i - x~). With one worker it is the asynchronous one. */
export function easgdCenterUpdate(center: ArrayLike<number>, workers: readonly ArrayLike<number>[], alpha: number): Float64Array {
  const n = center.length;
  const out = Float64Array.from(center);
  for (const [k, x] of workers.entries()) {
    sameLength(`worker ${k}`, x, n);
    for (let i = 0; i < n; i++) out[i] += alpha * (x[i] - center[i]);
  }
  return out;
}

/** The worker's elastic pull toward the center: x - alpha * (x - x~). */
export function easgdWorkerPull(x: ArrayLike<number>, center: ArrayLike<number>, alpha: number): Float64Array {
  const n = center.length;
  sameLength('worker', x, n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = x[i] - alpha * (x[i] - center[i]);
  return out;
}
