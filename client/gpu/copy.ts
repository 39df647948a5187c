// A buffer copy as a compute dispatch, so it can sit between the dispatches of one pass.
import code from '../../shaders/copy.wgsl?raw';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { elementwiseDispatch } from './elementwise.ts';

/** y = x over `length` floats. */
export function copyDispatch(cache: PipelineCache, a: { length: number; x: Binding; y: Binding }): Dispatch {
  return elementwiseDispatch(cache, 'copy', code, a.length, [a.x, a.y]);
}
