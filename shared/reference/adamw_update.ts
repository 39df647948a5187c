// CPU reference for the fused AdamW step (decoupled weight decay) with LSGD's penalty pull inside the optimizer.

export interface AdamwHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  lambdaL: number;
  lambdaG: number;
  useLocal: boolean;
  useGlobal: boolean;
}

/** The bias corrections of step `step` (1 for the first): c1 = 1 / (1 - beta1^step), c2 = 1 / (1 - beta2^step). */
export function adamwBiasCorrections(beta1: number, beta2: number, step: number): { c1: number; c2: number } {
  if (!Number.isInteger(step) || step < 1) throw new Error(`adamw: step must be a whole number from 1 (the first step), got ${step}`);
  return { c1: 1 / (1 - beta1 ** step), c2: 1 / (1 - beta2 ** step) };
}

/** AdamW step `step` on copies: g' = grad + (useLocal ? lambdaL (x - xl) : 0) + (useGlobal ? lambdaG (x - xg) : 0);
 *  m = beta1 m + (1 - beta1) g';  v = beta2 v + (1 - beta2) g'^2;  x = x - lr (m c1 / (sqrt(v c2) + eps) + weightDecay x),
 *  with x on the right the value before the step. Returns new {params, m, v}. */
export function adamwUpdate(
  params: ArrayLike<number>,
  grad: ArrayLike<number>,
  m: ArrayLike<number>,
  v: ArrayLike<number>,
  local: ArrayLike<number> | null,
  global: ArrayLike<number> | null,
  h: AdamwHyper,
  step: number,
): { params: Float64Array; m: Float64Array; v: Float64Array } {
  const n = params.length;
  const sameLength = (name: string, a: ArrayLike<number>) => {
    if (a.length !== n) throw new Error(`adamwUpdate: ${name} has ${a.length} values, params has ${n}`);
  };
  sameLength('grad', grad);
  sameLength('m', m);
  sameLength('v', v);
  if (h.useLocal) {
    if (!local) throw new Error('adamwUpdate: useLocal is set but no local leader was given');
    sameLength('local leader', local);
  }
  if (h.useGlobal) {
    if (!global) throw new Error('adamwUpdate: useGlobal is set but no global leader was given');
    sameLength('global leader', global);
  }
  const { c1, c2 } = adamwBiasCorrections(h.beta1, h.beta2, step);
  const x = new Float64Array(n);
  const m2 = new Float64Array(n);
  const v2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xi = params[i];
    let g = grad[i];
    if (h.useLocal) g += h.lambdaL * (xi - local![i]);
    if (h.useGlobal) g += h.lambdaG * (xi - global![i]);
    m2[i] = h.beta1 * m[i] + (1 - h.beta1) * g;
    v2[i] = h.beta2 * v[i] + (1 - h.beta2) * g * g;
    x[i] = xi - h.lr * ((m2[i] * c1) / (Math.sqrt(v2[i] * c2) + h.eps) + h.weightDecay * xi);
  }
  return { params: x, m: m2, v: v2 };
}
