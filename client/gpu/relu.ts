// ReLU forward and backward, both in place, one dispatch each.
import forwardCode from '../../shaders/relu_forward.wgsl?raw';
import backwardCode from '../../shaders/relu_backward.wgsl?raw';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { elementwiseDispatch } from './elementwise.ts';

/** x = max(x, 0) in place. */
export function reluForwardDispatch(cache: PipelineCache, a: { length: number; x: Binding }): Dispatch {
  return elementwiseDispatch(cache, 'relu forward', forwardCode, a.length, [a.x]);
}

/** dy *= (y > 0) in place on dy, where y is the forward output. */
export function reluBackwardDispatch(cache: PipelineCache, a: { length: number; y: Binding; dy: Binding }): Dispatch {
  return elementwiseDispatch(cache, 'relu backward', backwardCode, a.length, [a.y, a.dy]);
}
