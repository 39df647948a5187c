// CPU reference for GRAWA, gradient-based weighted averaging (Dimlioglu and Choromanska, AISTATS 2024): every tau
// steps each worker is pulled toward a center that weights the workers by the inverse of their gradient norms,
// so the workers in flatter regions (smaller gradients) count more:
//
//   center = sum_i x_i / ||g_i||  /  sum_i 1 / ||g_i||,        x_i <- x_i - lambda (x_i - center)

export interface GrawaWorker {
  x: ArrayLike<number>;
  /** ||g_i||, the norm of the worker's gradient at x_i; must be positive and finite. */
  gradNorm: number;
}

/** The inverse-gradient-norm weighted average of the workers. */
export function grawaCenter(workers: readonly GrawaWorker[]): Float64Array {
  if (workers.length === 0) throw new Error('grawa: no workers to average');
  const n = workers[0].x.length;
  const out = new Float64Array(n);
  let total = 0;
  for (const [k, { x, gradNorm }] of workers.entries()) {
    if (x.length !== n) throw new Error(`grawa: worker ${k} has ${x.length} values, worker 0 has ${n}`);
    if (!(gradNorm > 0) || !Number.isFinite(gradNorm)) throw new Error(`grawa: worker ${k}'s gradient norm must be positive and finite, got ${gradNorm}`);
    const weight = 1 / gradNorm;
    total += weight;
    for (let i = 0; i < n; i++) out[i] += weight * x[i];
  }
  for (let i = 0; i < n; i++) out[i] /= total;
  return out;
}

/** The worker's pull toward the center: x - lambda (x - center). */
export function grawaPull(x: ArrayLike<number>, center: ArrayLike<number>, lambda: number): Float64Array {
  if (x.length !== center.length) throw new Error(`grawa: the worker has ${x.length} values, the center has ${center.length}`);
  return Float64Array.from(x, (v, i) => v - lambda * (v - center[i]));
}
