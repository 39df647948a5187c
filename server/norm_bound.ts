// How far an upload may lie from the current leader: a crafted or diverged vector is refused before anyone pulls toward it.

export interface NormBound { factor: number; floor: number }

/** ||w - ref|| and ||ref||, in one pass. */
export function distanceFrom(w: Float32Array, ref: Float32Array): { distance: number; refNorm: number } {
  if (w.length !== ref.length) throw new Error(`norm bound: ${w.length} values against a reference of ${ref.length}`);
  let dist2 = 0;
  let ref2 = 0;
  for (let i = 0; i < w.length; i++) {
    const d = w[i] - ref[i];
    dist2 += d * d;
    ref2 += ref[i] * ref[i];
  }
  return { distance: Math.sqrt(dist2), refNorm: Math.sqrt(ref2) };
}

/** null when ||w - ref|| <= factor * max(||ref||, floor), else the reason, with both numbers. */
export function normBoundViolation(w: Float32Array, ref: Float32Array, bound: NormBound): string | null {
  const { distance, refNorm } = distanceFrom(w, ref);
  const limit = bound.factor * Math.max(refNorm, bound.floor);
  return distance <= limit ? null : `||w - leader|| = ${distance.toPrecision(4)} exceeds the bound ${limit.toPrecision(4)} (${bound.factor} x max(||leader||, ${bound.floor}))`;
}
