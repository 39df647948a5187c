// Deterministic initialisation: He-normal for weights feeding a relu or gelu, Glorot-uniform for other weights,
// N(0, 0.02) for token and position embeddings, norm gains 1 except 0 for a norm that ends a residual block (the
// block starts as the identity, so a deep stack starts as shallow as its skips: Goyal et al. 2017); biases and norm
// shifts 0.
import { parameterLayout, type ParameterLayout } from './layout.ts';
import { modelOps, type ModelSpec } from './model.ts';
import { seededNormal, seededRandom } from './random.ts';

const EMBEDDING_STD = 0.02;

export function initialParameters(spec: ModelSpec, seed: number, layout: ParameterLayout = parameterLayout(spec)): Float32Array {
  const ops = modelOps(spec);
  const params = new Float32Array(layout.length);
  const normal = seededNormal(seed);
  const uniform = seededRandom(seed ^ 0x9e3779b9);
  for (const t of layout.tensors) {
    const view = params.subarray(t.offset, t.offset + t.length);
    if (t.role === 'bias' || t.role === 'beta') continue;
    if (t.role === 'gamma') {
      view.fill(ops[t.layer + 1]?.kind === 'residualEnd' ? 0 : 1);
      continue;
    }
    if (t.role === 'tokens' || t.role === 'positions') {
      for (let i = 0; i < view.length; i++) view[i] = normal() * EMBEDDING_STD;
      continue;
    }
    const fanIn = t.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const fanOut = t.shape[t.shape.length - 1] * (t.shape.length === 4 ? t.shape[0] * t.shape[1] : 1);
    const next = ops[t.layer + 1]?.kind;
    if (next === 'relu' || next === 'gelu') {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < view.length; i++) view[i] = normal() * std;
    } else {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < view.length; i++) view[i] = (uniform() * 2 - 1) * limit;
    }
  }
  return params;
}
