// Conv2d kernels (NHWC activations, HWIO weights, stride 1, same padding): forward with fused bias and relu,
// backward-data, and backward-filter with the bias gradient. See the shaders for the register blocking.
import forwardCode from '../../shaders/conv2d_forward.wgsl?raw';
import backwardDataCode from '../../shaders/conv2d_backward_data.wgsl?raw';
import backwardFilterCode from '../../shaders/conv2d_backward_filter.wgsl?raw';
import backwardFilterReduceCode from '../../shaders/conv2d_backward_filter_reduce.wgsl?raw';
import { ceilDiv, type Binding, type Dispatch, type PipelineCache } from './dispatch.ts';
import type { ConvShape } from '../../shared/reference/conv2d.ts';

export type { ConvShape };

/** Must match the shaders: workgroup size, and the pixels x channels (or rows x channels) each invocation owns. */
const WORKGROUP = 64;
const PIXELS_PER_INVOCATION = 7;
const CHANNELS_PER_INVOCATION = 8;
const FILTER_ROWS_PER_INVOCATION = 12;
/** Backward-filter splits its reduction until about this many invocations run, enough to keep CPU threads busy. */
const FILTER_TARGET_INVOCATIONS = 2048;
const FILTER_MIN_CHUNK_PIXELS = 32;

export function conv2dForwardFlops(s: ConvShape): number {
  return 2 * s.batch * s.height * s.width * s.outChannels * s.kernel * s.kernel * s.inChannels;
}

export function conv2dForwardDispatch(cache: PipelineCache, a: { shape: ConvShape; x: Binding; w: Binding; bias: Binding; y: Binding; relu: boolean }): Dispatch {
  const s = checkShape(a.shape);
  const invocations = s.batch * s.height * ceilDiv(s.width, PIXELS_PER_INVOCATION) * ceilDiv(s.outChannels, CHANNELS_PER_INVOCATION);
  return cache.dispatch('conv2d_forward', forwardCode, { ...shapeConstants(s), relu: a.relu ? 1 : 0 }, [a.x, a.w, a.bias, a.y], grid(invocations));
}

export function conv2dBackwardDataDispatch(cache: PipelineCache, a: { shape: ConvShape; dy: Binding; w: Binding; dx: Binding }): Dispatch {
  const s = checkShape(a.shape);
  const invocations = s.batch * s.height * ceilDiv(s.width, PIXELS_PER_INVOCATION) * ceilDiv(s.inChannels, CHANNELS_PER_INVOCATION);
  return cache.dispatch('conv2d_backward_data', backwardDataCode, shapeConstants(s), [a.dy, a.w, a.dx], grid(invocations));
}

/**
 * dw and db fully overwritten. Two passes: partial sums per chunk of pixels into a scratch buffer that this
 * function creates (STORAGE, chunks * (taps + 1) * outChannels floats, owned by the returned dispatches),
 * then a sum over the chunks.
 */
export function conv2dBackwardFilterDispatches(cache: PipelineCache, a: { shape: ConvShape; x: Binding; dy: Binding; dw: Binding; db: Binding }): Dispatch[] {
  const s = checkShape(a.shape);
  const taps = s.kernel * s.kernel * s.inChannels;
  const pixels = s.batch * s.height * s.width;
  const blocks = ceilDiv(taps + 1, FILTER_ROWS_PER_INVOCATION) * ceilDiv(s.outChannels, CHANNELS_PER_INVOCATION);
  const wanted = Math.min(ceilDiv(FILTER_TARGET_INVOCATIONS, blocks), ceilDiv(pixels, FILTER_MIN_CHUNK_PIXELS));
  const chunkPixels = ceilDiv(pixels, Math.max(1, wanted));
  const chunks = ceilDiv(pixels, chunkPixels);
  const entries = (taps + 1) * s.outChannels;
  const partial = cache.device.createBuffer({ label: 'conv2d backward-filter partial sums', size: chunks * entries * 4, usage: GPUBufferUsage.STORAGE });
  return [
    cache.dispatch('conv2d_backward_filter', backwardFilterCode, { ...shapeConstants(s), chunkPixels }, [a.x, a.dy, partial], grid(chunks * blocks)),
    cache.dispatch('conv2d_backward_filter_reduce', backwardFilterReduceCode, { chunks, weights: taps * s.outChannels, cout: s.outChannels }, [partial, a.dw, a.db], grid(entries)),
  ];
}

function shapeConstants(s: ConvShape): Record<string, number> {
  return { batch: s.batch, height: s.height, width: s.width, cin: s.inChannels, cout: s.outChannels, kernel: s.kernel };
}

function checkShape(s: ConvShape): ConvShape {
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`conv2d shape: ${name} must be a positive integer, got ${v}`);
  }
  if (s.kernel % 2 !== 1) throw new Error(`conv2d shape: kernel must be odd for same padding, got ${s.kernel}`);
  return s;
}

/** Workgroups for a 1-D kernel of `invocations`, folded into y past the 65535-per-dimension limit. */
function grid(invocations: number): [number, number] {
  const groups = ceilDiv(invocations, WORKGROUP);
  const rows = ceilDiv(groups, 65535);
  return [ceilDiv(groups, rows), rows];
}
