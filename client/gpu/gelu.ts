// GELU (tanh approximation) forward, out of place, and backward, in place on dy; one dispatch each.
import forwardCode from '../../shaders/gelu_forward.wgsl?raw';
import backwardCode from '../../shaders/gelu_backward.wgsl?raw';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { elementwiseDispatch } from './elementwise.ts';

/** y = gelu(x); x is kept for the backward. */
export function geluForwardDispatch(cache: PipelineCache, a: { length: number; x: Binding; y: Binding }): Dispatch {
  return elementwiseDispatch(cache, 'gelu forward', forwardCode, a.length, [a.x, a.y]);
}

/** dy *= gelu'(x) in place on dy, where x is the forward input. */
export function geluBackwardDispatch(cache: PipelineCache, a: { length: number; x: Binding; dy: Binding }): Dispatch {
  return elementwiseDispatch(cache, 'gelu backward', backwardCode, a.length, [a.x, a.dy]);
}
