// 2x2 stride-2 max-pooling over NHWC: forward records the argmax, backward routes dy through it.
import forwardCode from '../../shaders/maxpool2_forward.wgsl?raw';
import backwardCode from '../../shaders/maxpool2_backward.wgsl?raw';
import { grid, type Binding, type Dispatch, type PipelineCache } from './dispatch.ts';
import type { PoolShape } from '../../shared/reference/maxpool.ts';

export type { PoolShape };

/** argmax: u32 buffer, one per output, holding the index into x of the maximum (first one on ties). */
export function maxpoolForwardDispatch(cache: PipelineCache, a: { shape: PoolShape; x: Binding; y: Binding; argmax: Binding }): Dispatch {
  const s = checkShape(a.shape);
  return cache.dispatch('maxpool2_forward', forwardCode, constants(s), [a.x, a.y, a.argmax], grid(invocations(s)));
}

/** Writes every element of dx. */
export function maxpoolBackwardDispatch(cache: PipelineCache, a: { shape: PoolShape; dy: Binding; argmax: Binding; dx: Binding }): Dispatch {
  const s = checkShape(a.shape);
  return cache.dispatch('maxpool2_backward', backwardCode, constants(s), [a.dy, a.argmax, a.dx], grid(invocations(s)));
}

/** Invocations: one per window and group of 4 channels (see the shaders). */
function invocations(s: PoolShape): number {
  return s.batch * Math.floor(s.height / 2) * Math.floor(s.width / 2) * Math.ceil(s.channels / 4);
}

function constants(s: PoolShape): Record<string, number> {
  return { batch: s.batch, height: s.height, width: s.width, channels: s.channels };
}

function checkShape(s: PoolShape): PoolShape {
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`maxpool shape: ${name} must be a positive integer, got ${v}`);
  }
  if (s.height < 2 || s.width < 2) throw new Error(`maxpool needs at least 2x2 input, got ${s.height}x${s.width}`);
  return s;
}
