// Dispatch helpers for the kernels that loop with a grid stride (relu, the update, the gather, bias sums).
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';

/** Workgroup size of every grid-stride shader. */
const WORKGROUP = 64;

/** Enough workgroups of 64 for `invocations`, capped at the adapter's grid-stride limit (see PipelineCache):
 *  the shader's loop covers the rest. */
export function gridStrideDispatch(
  cache: PipelineCache,
  label: string,
  code: string,
  entryPoint: string,
  invocations: number,
  constants: Record<string, number>,
  buffers: Binding[],
): Dispatch {
  const pipeline = cache.get(code, constants, entryPoint);
  const workgroups = Math.max(1, Math.min(Math.ceil(invocations / WORKGROUP), cache.maxGridStrideWorkgroups));
  return { label, pipeline, bindGroup: cache.bindGroup(pipeline, buffers), workgroups: [workgroups, 1, 1] };
}

/** An elementwise shader over LENGTH floats with two entry points: `main4` (vec4, when length is a multiple
 *  of 4; several times faster on SwiftShader) and `main` (one float per step, any length). */
export function elementwiseDispatch(
  cache: PipelineCache,
  label: string,
  code: string,
  length: number,
  buffers: Binding[],
  constants: Record<string, number> = {},
): Dispatch {
  const vec4 = length % 4 === 0;
  return gridStrideDispatch(cache, label, code, vec4 ? 'main4' : 'main', vec4 ? length / 4 : length, { ...constants, LENGTH: length }, buffers);
}
