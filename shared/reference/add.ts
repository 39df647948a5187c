// CPU reference for the elementwise sum of a residual connection (forward: the block's input joins its output;
// backward: the skip's gradient joins the block's).

/** target += source, in place; returns target. */
export function addInto(target: Float64Array, source: ArrayLike<number>): Float64Array {
  if (target.length !== source.length) throw new Error(`add: target has ${target.length} values but source has ${source.length}`);
  for (let i = 0; i < target.length; i++) target[i] += source[i];
  return target;
}

export function add(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return addInto(Float64Array.from(a), b);
}
