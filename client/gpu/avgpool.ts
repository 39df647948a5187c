// Average pooling over NHWC with non-overlapping windowH x windowW windows (global average pooling: the whole image).
import forwardCode from '../../shaders/avgpool_forward.wgsl?raw';
import backwardCode from '../../shaders/avgpool_backward.wgsl?raw';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { gridStrideDispatch } from './elementwise.ts';
import { avgpoolOutputSize, type AvgPoolShape } from '../../shared/reference/avgpool.ts';

export type { AvgPoolShape };

/** y [batch, height / windowH, width / windowW, channels] (floored): the mean of each window; one invocation per output. */
export function avgpoolForwardDispatch(cache: PipelineCache, a: { shape: AvgPoolShape; x: Binding; y: Binding }): Dispatch {
  const s = checkShape(a.shape);
  return dispatch(cache, 'avgpool forward', forwardCode, s, outputCount(s), [a.x, a.y]);
}

/** Writes every element of dx, including 0 in the rows and columns past the last whole window; one invocation per
 *  output writes its window (see the shader for why not one per input). */
export function avgpoolBackwardDispatch(cache: PipelineCache, a: { shape: AvgPoolShape; dy: Binding; dx: Binding }): Dispatch {
  const s = checkShape(a.shape);
  return dispatch(cache, 'avgpool backward', backwardCode, s, outputCount(s), [a.dy, a.dx]);
}

function outputCount(s: AvgPoolShape): number {
  const out = avgpoolOutputSize(s);
  return s.batch * out.height * out.width * s.channels;
}

/** 4 channels per step when the channels are a multiple of 4. */
function dispatch(cache: PipelineCache, label: string, code: string, s: AvgPoolShape, outputs: number, buffers: Binding[]): Dispatch {
  const vec4 = s.channels % 4 === 0;
  const constants = { BATCH: s.batch, HEIGHT: s.height, WIDTH: s.width, CHANNELS: s.channels, WINDOW_H: s.windowH, WINDOW_W: s.windowW };
  return gridStrideDispatch(cache, label, code, vec4 ? 'main4' : 'main', vec4 ? outputs / 4 : outputs, constants, buffers);
}

function checkShape(s: AvgPoolShape): AvgPoolShape {
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`avgpool shape: ${name} must be a positive integer, got ${v}`);
  }
  if (s.height < s.windowH || s.width < s.windowW) throw new Error(`avgpool ${s.windowH}x${s.windowW} needs at least ${s.windowH}x${s.windowW} input, got ${s.height}x${s.width}`);
  return s;
}
