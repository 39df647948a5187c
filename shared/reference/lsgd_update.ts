// CPU reference for the fused Leader SGD step with momentum.

export interface UpdateHyper {
  lr: number;
  momentum: number;
  lambdaL: number;
  lambdaG: number;
  useLocal: boolean;
  useGlobal: boolean;
}

/** Leader SGD with momentum, in place on copies: g' = grad + (useLocal ? lambdaL*(x - xl) : 0) + (useGlobal ? lambdaG*(x - xg) : 0);
 *  v = momentum*v + g';  x = x - lr*v.  Returns new {params, velocity}. */
export function lsgdUpdate(
  params: ArrayLike<number>,
  grad: ArrayLike<number>,
  velocity: ArrayLike<number>,
  local: ArrayLike<number> | null,
  global: ArrayLike<number> | null,
  h: UpdateHyper,
): { params: Float64Array; velocity: Float64Array } {
  const n = params.length;
  const sameLength = (name: string, a: ArrayLike<number>) => {
    if (a.length !== n) throw new Error(`lsgdUpdate: ${name} has ${a.length} values, params has ${n}`);
  };
  sameLength('grad', grad);
  sameLength('velocity', velocity);
  if (h.useLocal) {
    if (!local) throw new Error('lsgdUpdate: useLocal is set but no local leader was given');
    sameLength('local leader', local);
  }
  if (h.useGlobal) {
    if (!global) throw new Error('lsgdUpdate: useGlobal is set but no global leader was given');
    sameLength('global leader', global);
  }
  const x = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let g = grad[i];
    if (h.useLocal) g += h.lambdaL * (params[i] - local![i]);
    if (h.useGlobal) g += h.lambdaG * (params[i] - global![i]);
    v[i] = h.momentum * velocity[i] + g;
    x[i] = params[i] - h.lr * v[i];
  }
  return { params: x, velocity: v };
}
