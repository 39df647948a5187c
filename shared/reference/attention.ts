// CPU reference for the core of multi-head causal self-attention: from the packed q, k, v rows to the heads'
// outputs (concatenated), and back. The QKV and output projections are ordinary matmuls done elsewhere.

/** dim = D, the model width, divisible by heads; each head has D / heads columns of q, k and v. */
export interface AttentionShape {
  batch: number;
  context: number;
  heads: number;
  dim: number;
}

/**
 * qkv: [batch, context, 3 * dim], each row q | k | v. out: [batch, context, dim], heads concatenated in columns.
 * lse: [batch, heads, context], log sum_u exp(s_tu) over the keys u <= t, so the backward can recompute the
 * probabilities without storing context x context of them.
 */
export function attentionForward(qkv: ArrayLike<number>, s: AttentionShape): { out: Float64Array; lse: Float64Array } {
  const { batch, context: T, heads, dim: D } = s;
  const d = D / heads;
  const scale = 1 / Math.sqrt(d);
  const out = new Float64Array(batch * T * D);
  const lse = new Float64Array(batch * heads * T);
  const scores = new Float64Array(T);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < T; t++) {
        const q = (b * T + t) * 3 * D + h * d;
        let max = -Infinity;
        for (let u = 0; u <= t; u++) {
          scores[u] = dot(qkv, q, qkv, (b * T + u) * 3 * D + D + h * d, d) * scale;
          max = Math.max(max, scores[u]);
        }
        let sum = 0;
        for (let u = 0; u <= t; u++) sum += Math.exp(scores[u] - max);
        const logSum = max + Math.log(sum);
        lse[(b * heads + h) * T + t] = logSum;
        const o = (b * T + t) * D + h * d;
        for (let u = 0; u <= t; u++) {
          const p = Math.exp(scores[u] - logSum);
          const v = (b * T + u) * 3 * D + 2 * D + h * d;
          for (let j = 0; j < d; j++) out[o + j] += p * qkv[v + j];
        }
      }
    }
  }
  return { out, lse };
}

/** dqkv: [batch, context, 3 * dim], the gradient of the loss with respect to qkv, given dout = d loss / d out. */
export function attentionBackward(
  qkv: ArrayLike<number>,
  out: ArrayLike<number>,
  lse: ArrayLike<number>,
  dout: ArrayLike<number>,
  s: AttentionShape,
): Float64Array {
  const { batch, context: T, heads, dim: D } = s;
  const d = D / heads;
  const scale = 1 / Math.sqrt(d);
  const dqkv = new Float64Array(batch * T * 3 * D);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let t = 0; t < T; t++) {
        const q = (b * T + t) * 3 * D + h * d;
        const o = (b * T + t) * D + h * d;
        // sum_u p_tu dp_tu = dout_t . out_t, since out_t = sum_u p_tu v_u.
        const dOut = dot(dout, o, out, o, d);
        const logSum = lse[(b * heads + h) * T + t];
        for (let u = 0; u <= t; u++) {
          const k = (b * T + u) * 3 * D + D + h * d;
          const v = k + D;
          const p = Math.exp(dot(qkv, q, qkv, k, d) * scale - logSum);
          const ds = p * (dot(dout, o, qkv, v, d) - dOut) * scale;
          for (let j = 0; j < d; j++) {
            dqkv[q + j] += ds * qkv[k + j];
            dqkv[k + j] += ds * qkv[q + j];
            dqkv[v + j] += p * dout[o + j];
          }
        }
      }
    }
  }
  return dqkv;
}

function dot(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, n: number): number {
  let sum = 0;
  for (let c = 0; c < n; c++) sum += a[i + c] * b[j + c];
  return sum;
}
