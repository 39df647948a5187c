// size x size stride-size max-pooling over NHWC (size 2 unless the shape says; 2x2 has its own straight-line
// shaders): forward records the argmax, backward routes dy through it.
import forward2Code from '../../shaders/maxpool2_forward.wgsl?raw';
import backward2Code from '../../shaders/maxpool2_backward.wgsl?raw';
import forwardCode from '../../shaders/maxpool_forward.wgsl?raw';
import backwardCode from '../../shaders/maxpool_backward.wgsl?raw';
import { grid, type Binding, type Dispatch, type PipelineCache } from './dispatch.ts';
import type { PoolShape } from '../../shared/reference/maxpool.ts';

export type { PoolShape };

/** argmax: u32 buffer, one per output, holding the index into x of the maximum (first one on ties). */
export function maxpoolForwardDispatch(cache: PipelineCache, a: { shape: PoolShape; x: Binding; y: Binding; argmax: Binding }): Dispatch {
  const s = checkShape(a.shape);
  const code = s.size === 2 ? forward2Code : forwardCode;
  return cache.dispatch(`maxpool${s.size} forward`, code, constants(s), [a.x, a.y, a.argmax], grid(invocations(s)));
}

/** Writes every element of dx. */
export function maxpoolBackwardDispatch(cache: PipelineCache, a: { shape: PoolShape; dy: Binding; argmax: Binding; dx: Binding }): Dispatch {
  const s = checkShape(a.shape);
  const code = s.size === 2 ? backward2Code : backwardCode;
  return cache.dispatch(`maxpool${s.size} backward`, code, constants(s), [a.dy, a.argmax, a.dx], grid(invocations(s)));
}

/** Invocations: one per window and group of 4 channels (see the shaders). */
function invocations(s: Required<PoolShape>): number {
  return s.batch * Math.floor(s.height / s.size) * Math.floor(s.width / s.size) * Math.ceil(s.channels / 4);
}

/** The 2x2 shaders have no SIZE to set. */
function constants(s: Required<PoolShape>): Record<string, number> {
  const shape = { batch: s.batch, height: s.height, width: s.width, channels: s.channels };
  return s.size === 2 ? shape : { ...shape, SIZE: s.size };
}

/** The shape with its window size filled in (2 by default). */
function checkShape(shape: PoolShape): Required<PoolShape> {
  const s = { ...shape, size: shape.size ?? 2 };
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`maxpool shape: ${name} must be a positive integer, got ${v}`);
  }
  if (s.height < s.size || s.width < s.size) throw new Error(`maxpool ${s.size}x${s.size} needs at least ${s.size}x${s.size} input, got ${s.height}x${s.width}`);
  return s;
}
