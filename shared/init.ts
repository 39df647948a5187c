// Deterministic initialisation: He-normal for layers feeding a relu, Glorot-uniform otherwise; zero biases.
import { parameterLayout, type ParameterLayout } from './layout.ts';
import type { ModelSpec } from './model.ts';
import { seededNormal, seededRandom } from './random.ts';

export function initialParameters(spec: ModelSpec, seed: number, layout: ParameterLayout = parameterLayout(spec)): Float32Array {
  const params = new Float32Array(layout.length);
  const normal = seededNormal(seed);
  const uniform = seededRandom(seed ^ 0x9e3779b9);
  for (const t of layout.tensors) {
    if (t.role === 'bias') continue;
    const fanIn = t.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const fanOut = t.shape[t.shape.length - 1] * (t.shape.length === 4 ? t.shape[0] * t.shape[1] : 1);
    const feedsRelu = spec.layers[t.layer + 1]?.kind === 'relu';
    const view = params.subarray(t.offset, t.offset + t.length);
    if (feedsRelu) {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < view.length; i++) view[i] = normal() * std;
    } else {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < view.length; i++) view[i] = (uniform() * 2 - 1) * limit;
    }
  }
  return params;
}
