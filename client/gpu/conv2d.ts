// Conv2d kernels (NHWC activations, HWIO weights, any stride and zero padding): forward with fused bias and relu,
// backward-data, and backward-filter with the bias gradient. See the shaders for the register blocking.
// Kernel size 3 at stride 1 with same padding (the CNN and resnet presets) takes unrolled *_k3 shaders when the
// channel counts fill their blocks: wide blocks of rows, or square ones for 7x7 images, whichever pads less work.
import forwardCode from '../../shaders/conv2d_forward.wgsl?raw';
import forwardK3Code from '../../shaders/conv2d_forward_k3.wgsl?raw';
import backwardDataCode from '../../shaders/conv2d_backward_data.wgsl?raw';
import backwardDataK3Code from '../../shaders/conv2d_backward_data_k3.wgsl?raw';
import forwardK3SquareCode from '../../shaders/conv2d_forward_k3_square.wgsl?raw';
import backwardDataK3SquareCode from '../../shaders/conv2d_backward_data_k3_square.wgsl?raw';
import backwardFilterCode from '../../shaders/conv2d_backward_filter.wgsl?raw';
import backwardFilterK3Code from '../../shaders/conv2d_backward_filter_k3.wgsl?raw';
import backwardFilterK3NarrowCode from '../../shaders/conv2d_backward_filter_k3_narrow.wgsl?raw';
import backwardFilterReduceCode from '../../shaders/conv2d_backward_filter_reduce.wgsl?raw';
import { ceilDiv, grid, type Binding, type Dispatch, type PipelineCache } from './dispatch.ts';
import { convOutputSize, strideAndPadding, type ConvShape } from '../../shared/reference/conv2d.ts';
import { K3_BLOCKS, k3Suffix, type K3BlockName } from '../../shaders/gen/conv2d_k3_blocks.ts';

export type { ConvShape };

/** Must match the shaders: the pixels x channels (or rows x channels) each invocation owns. */
const PIXELS_PER_INVOCATION = 7;
const CHANNELS_PER_INVOCATION = 8;
const FILTER_ROWS_PER_INVOCATION = 12;
/** Backward-filter splits its reduction until about this many invocations run, enough to keep CPU threads busy. */
const FILTER_TARGET_INVOCATIONS = 2048;
const FILTER_MIN_CHUNK_PIXELS = 32;
const K3_CODE: Record<K3BlockName, { forward: string; data: string }> = {
  wide: { forward: forwardK3Code, data: backwardDataK3Code },
  square: { forward: forwardK3SquareCode, data: backwardDataK3SquareCode },
};
/** conv2d_backward_filter_k3 (input x output channels; all 9 taps) and its narrow variant for cin < 4. */
const K3_FILTER = { inChannels: 4, outChannels: 4 };
const K3_FILTER_NARROW = { inChannels: 1, outChannels: 8 };
/** The k3 backward-filter splits the rows of the batch until about this many invocations run. */
const K3_FILTER_TARGET_INVOCATIONS = 1024;

export function conv2dForwardFlops(s: ConvShape): number {
  const out = convOutputSize(s);
  return 2 * s.batch * out.height * out.width * s.outChannels * s.kernel * s.kernel * s.inChannels;
}

export function conv2dForwardDispatch(cache: PipelineCache, a: { shape: ConvShape; x: Binding; w: Binding; bias: Binding; y: Binding; relu: boolean }): Dispatch {
  const s = checkShape(a.shape);
  const buffers = [a.x, a.w, a.bias, a.y];
  const k3 = k3Block(s, s.outChannels);
  if (k3) {
    return cache.dispatch(`conv2d_forward_k3${k3Suffix(k3)}`, K3_CODE[k3].forward, { ...k3Constants(s), relu: a.relu ? 1 : 0 }, buffers, grid(k3Invocations(s, s.outChannels, k3)));
  }
  const out = convOutputSize(s);
  const invocations = s.batch * out.height * ceilDiv(out.width, PIXELS_PER_INVOCATION) * ceilDiv(s.outChannels, CHANNELS_PER_INVOCATION);
  return cache.dispatch('conv2d_forward', forwardCode, { ...shapeConstants(s), relu: a.relu ? 1 : 0 }, buffers, grid(invocations));
}

/** Writes every element of dx: 0 where no output window reads the input (strides that skip it). */
export function conv2dBackwardDataDispatch(cache: PipelineCache, a: { shape: ConvShape; dy: Binding; w: Binding; dx: Binding }): Dispatch {
  const s = checkShape(a.shape);
  const k3 = k3Block(s, s.inChannels);
  if (k3) {
    return cache.dispatch(`conv2d_backward_data_k3${k3Suffix(k3)}`, K3_CODE[k3].data, k3Constants(s), [a.dy, a.w, a.dx], grid(k3Invocations(s, s.inChannels, k3)));
  }
  // Each invocation's pixels are `stride` apart: blocks of them per residue of the column mod stride.
  const { stride } = strideAndPadding(s);
  const wBlocks = stride * ceilDiv(ceilDiv(s.width, stride), PIXELS_PER_INVOCATION);
  const invocations = s.batch * s.height * wBlocks * ceilDiv(s.inChannels, CHANNELS_PER_INVOCATION);
  return cache.dispatch('conv2d_backward_data', backwardDataCode, shapeConstants(s), [a.dy, a.w, a.dx], grid(invocations));
}

/**
 * dw and db fully overwritten. Two passes: partial sums per chunk of pixels into a scratch buffer that this
 * function creates (STORAGE, chunks * (taps + 1) * outChannels floats, owned by the returned dispatches),
 * then a sum over the chunks.
 */
export function conv2dBackwardFilterDispatches(cache: PipelineCache, a: { shape: ConvShape; x: Binding; dy: Binding; dw: Binding; db: Binding }): Dispatch[] {
  const s = checkShape(a.shape);
  const k3 = !isK3(s) ? undefined : [K3_FILTER, K3_FILTER_NARROW].find((b) => s.inChannels >= b.inChannels && s.outChannels >= b.outChannels);
  if (k3) return backwardFilterK3(cache, a, s, k3);
  const taps = s.kernel * s.kernel * s.inChannels;
  const out = convOutputSize(s);
  const pixels = s.batch * out.height * out.width;
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

/** Split-K over chunks of image rows (each invocation: all 9 taps x a block of input x output channels). */
function backwardFilterK3(cache: PipelineCache, a: { x: Binding; dy: Binding; dw: Binding; db: Binding }, s: ConvShape, block: { inChannels: number; outChannels: number }): Dispatch[] {
  const rows = s.batch * s.height;
  const blocks = ceilDiv(s.inChannels, block.inChannels) * ceilDiv(s.outChannels, block.outChannels);
  const chunkRows = ceilDiv(rows, Math.min(rows, ceilDiv(K3_FILTER_TARGET_INVOCATIONS, blocks)));
  const chunks = ceilDiv(rows, chunkRows);
  const weights = 9 * s.inChannels * s.outChannels;
  const entries = weights + s.outChannels;
  const partial = cache.device.createBuffer({ label: 'conv2d backward-filter partial sums', size: chunks * entries * 4, usage: GPUBufferUsage.STORAGE });
  const [label, code] = block === K3_FILTER ? ['conv2d_backward_filter_k3', backwardFilterK3Code] : ['conv2d_backward_filter_k3_narrow', backwardFilterK3NarrowCode];
  return [
    cache.dispatch(label, code, { ...k3Constants(s), chunkRows }, [a.x, a.dy, partial], grid(chunks * blocks)),
    cache.dispatch('conv2d_backward_filter_reduce', backwardFilterReduceCode, { chunks, weights, cout: s.outChannels }, [partial, a.dw, a.db], grid(entries)),
  ];
}

function k3Invocations(s: ConvShape, outChannels: number, name: K3BlockName): number {
  const b = K3_BLOCKS[name];
  return s.batch * ceilDiv(s.height, b.rows) * ceilDiv(s.width, b.pixels) * ceilDiv(outChannels, b.channels);
}

/** For a kernel-3 shape, the k3 block that computes the fewest padded outputs (rows, pixels and `outChannels` rounded up
 *  to its block; wide on a tie), among those whose channel block `outChannels` fills; none otherwise. */
export function k3Block(s: ConvShape, outChannels: number): K3BlockName | undefined {
  if (!isK3(s)) return undefined;
  let best: K3BlockName | undefined;
  let bestWork = Infinity;
  for (const name of Object.keys(K3_BLOCKS) as K3BlockName[]) {
    const b = K3_BLOCKS[name];
    if (outChannels < b.channels) continue;
    const work = ceilDiv(s.height, b.rows) * b.rows * ceilDiv(s.width, b.pixels) * b.pixels * ceilDiv(outChannels, b.channels) * b.channels;
    if (work < bestWork) [best, bestWork] = [name, work];
  }
  return best;
}

function k3Constants(s: ConvShape): Record<string, number> {
  return { batch: s.batch, height: s.height, width: s.width, cin: s.inChannels, cout: s.outChannels };
}

function shapeConstants(s: ConvShape): Record<string, number> {
  const out = convOutputSize(s);
  const { stride, padding } = strideAndPadding(s);
  return { batch: s.batch, height: s.height, width: s.width, cin: s.inChannels, cout: s.outChannels, kernel: s.kernel, stride, pad: padding, outHeight: out.height, outWidth: out.width };
}

/** Kernel 3 at stride 1 with same padding: the shape the *_k3 shaders are written for. */
function isK3(s: ConvShape): boolean {
  const { stride, padding } = strideAndPadding(s);
  return s.kernel === 3 && stride === 1 && padding === 1;
}

/** Throws, naming the field, unless the shape is a valid convolution. */
function checkShape(s: ConvShape): ConvShape {
  convOutputSize(s);
  return s;
}
