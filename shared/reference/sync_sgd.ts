// CPU reference for synchronous data-parallel SGD's gradient aggregation.

/** The length every gradient shares; throws naming the first that differs. */
export function gradientLength(grads: readonly ArrayLike<number>[]): number {
  if (grads.length === 0) throw new Error('sync-sgd: no gradients to aggregate');
  const n = grads[0].length;
  for (const [k, g] of grads.entries()) if (g.length !== n) throw new Error(`sync-sgd: gradient ${k} has ${g.length} values, gradient 0 has ${n}`);
  return n;
}

/** The element-wise mean of the workers' gradients. */
export function meanGradient(grads: readonly ArrayLike<number>[]): Float64Array {
  const n = gradientLength(grads);
  const out = new Float64Array(n);
  for (const g of grads) for (let i = 0; i < n; i++) out[i] += g[i];
  for (let i = 0; i < n; i++) out[i] /= grads.length;
  return out;
}

/** The coordinate-wise median (the mean of the two middle values for an even count): a minority of arbitrary
 *  gradients cannot move any coordinate beyond the honest values' range. */
export function medianGradient(grads: readonly ArrayLike<number>[]): Float64Array {
  const n = gradientLength(grads);
  const out = new Float64Array(n);
  const column = new Float64Array(grads.length);
  const mid = grads.length >> 1;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < grads.length; k++) column[k] = grads[k][i];
    column.sort();
    out[i] = grads.length % 2 === 1 ? column[mid] : (column[mid - 1] + column[mid]) / 2;
  }
  return out;
}
