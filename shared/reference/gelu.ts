// CPU reference for GELU, tanh approximation: gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

const K = Math.sqrt(2 / Math.PI);
const A = 0.044715;

export function geluForward(x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = 0.5 * x[i] * (1 + Math.tanh(K * (x[i] + A * x[i] ** 3)));
  return y;
}

/** dx = dy * gelu'(x): the derivative needs the input, so the forward keeps x. */
export function geluBackward(x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  if (x.length !== dy.length) throw new Error(`geluBackward: x has ${x.length} values but dy has ${dy.length}`);
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const t = Math.tanh(K * (v + A * v ** 3));
    dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * K * (1 + 3 * A * v * v));
  }
  return dx;
}
