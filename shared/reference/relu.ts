// CPU reference for the ReLU activation and its gradient.

export function relu(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : 0;
  return out;
}

/** dy * (y > 0): the forward output tells where the input was positive, so the input need not be kept. */
export function reluBackward(y: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  if (y.length !== dy.length) throw new Error(`reluBackward: y has ${y.length} values but dy has ${dy.length}`);
  const out = new Float64Array(dy.length);
  for (let i = 0; i < dy.length; i++) out[i] = y[i] > 0 ? dy[i] : 0;
  return out;
}
