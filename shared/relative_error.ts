// How far a GPU result is from its expected values, as kernel tests and the autotune's variant check measure it.

/** max |actual - expected| / max |expected|: one scale for the whole tensor, so near-zero entries do not blow up.
 *  Infinity if any compared value of `actual` is not finite. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length < expected.length) throw new Error(`got ${actual.length} values, expected ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    if (!Number.isFinite(actual[i])) return Infinity;
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-12);
}
