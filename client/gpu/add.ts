// Elementwise y += x in place, one dispatch: residual connections in both directions.
import code from '../../shaders/add.wgsl?raw';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { elementwiseDispatch } from './elementwise.ts';

/** y += x. x and y must lie in different buffers: WebGPU refuses one buffer bound read-only and writable in a dispatch. */
export function addDispatch(cache: PipelineCache, a: { length: number; x: Binding; y: Binding }): Dispatch {
  return elementwiseDispatch(cache, 'add', code, a.length, [a.x, a.y]);
}
