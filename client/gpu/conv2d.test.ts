import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openNodeDevice } from './node_device.ts';
import { PipelineCache } from './dispatch.ts';
import { bufferFrom, emptyBuffer, randomArray, readF32, relativeError, run } from './test_support.ts';
import { conv2dBackwardDataDispatch, conv2dBackwardFilterDispatches, conv2dForwardDispatch, conv2dForwardFlops, k3Block } from './conv2d.ts';
import { conv2dBackwardData, conv2dBackwardFilter, conv2dForward, convOutputSize, type ConvShape } from '../../shared/reference/conv2d.ts';
import { conv2dK3Files } from '../../shaders/gen/conv2d_k3.ts';
import { readFileSync } from 'node:fs';

const { device } = await openNodeDevice();
const cache = new PipelineCache(device);

const SHAPES: ConvShape[] = [
  { batch: 1, height: 1, width: 1, inChannels: 1, outChannels: 1, kernel: 1 },
  { batch: 3, height: 5, width: 7, inChannels: 3, outChannels: 5, kernel: 3 },
  { batch: 1, height: 7, width: 5, inChannels: 16, outChannels: 32, kernel: 5 },
  { batch: 3, height: 28, width: 28, inChannels: 1, outChannels: 16, kernel: 3 },
  { batch: 3, height: 14, width: 14, inChannels: 16, outChannels: 32, kernel: 3 },
  { batch: 1, height: 5, width: 28, inChannels: 3, outChannels: 1, kernel: 5 },
  { batch: 3, height: 7, width: 1, inChannels: 5, outChannels: 16, kernel: 3 },
  // The kernel-3 shaders: odd heights and widths around their wide 2 x 14 pixel blocks, channel counts that are not
  // multiples of their channel blocks, and the narrow backward-filter for cin < 4.
  { batch: 2, height: 9, width: 13, inChannels: 8, outChannels: 12, kernel: 3 },
  { batch: 2, height: 5, width: 17, inChannels: 1, outChannels: 9, kernel: 3 },
  { batch: 1, height: 3, width: 3, inChannels: 5, outChannels: 8, kernel: 3 },
  { batch: 1, height: 15, width: 29, inChannels: 2, outChannels: 8, kernel: 3 },
  { batch: 1, height: 1, width: 1, inChannels: 9, outChannels: 33, kernel: 3 },
  // Their square 7 x 7 x 4 blocks: 7x7 images (the resnet's second stage), heights and widths around the blocks,
  // channel counts from 4 (which only the square blocks fill) up, not multiples of 4.
  { batch: 2, height: 7, width: 7, inChannels: 12, outChannels: 20, kernel: 3 },
  { batch: 1, height: 7, width: 7, inChannels: 4, outChannels: 6, kernel: 3 },
  { batch: 2, height: 13, width: 15, inChannels: 5, outChannels: 7, kernel: 3 },
  { batch: 1, height: 21, width: 8, inChannels: 9, outChannels: 5, kernel: 3 },
  // Strides, valid and explicit padding, an even kernel, a stride past the kernel (inputs no window reads must get
  // dx = 0), and kernel 3 with channels that would fill the k3 shaders' blocks, which are for stride 1, padding 1.
  { batch: 3, height: 28, width: 28, inChannels: 5, outChannels: 7, kernel: 3, stride: 2, padding: 1 },
  { batch: 3, height: 7, width: 7, inChannels: 5, outChannels: 7, kernel: 3, stride: 2, padding: 1 },
  { batch: 3, height: 7, width: 9, inChannels: 5, outChannels: 7, kernel: 1, stride: 2, padding: 0 },
  { batch: 3, height: 9, width: 7, inChannels: 5, outChannels: 7, kernel: 3, stride: 1, padding: 0 },
  { batch: 3, height: 8, width: 7, inChannels: 5, outChannels: 7, kernel: 4, stride: 2, padding: 1 },
  { batch: 2, height: 8, width: 10, inChannels: 3, outChannels: 4, kernel: 2, stride: 3, padding: 2 },
  { batch: 1, height: 6, width: 5, inChannels: 16, outChannels: 9, kernel: 5, stride: 1, padding: 1 },
  { batch: 2, height: 9, width: 13, inChannels: 8, outChannels: 12, kernel: 3, stride: 2, padding: 1 },
  { batch: 1, height: 5, width: 17, inChannels: 8, outChannels: 9, kernel: 3, stride: 1, padding: 2 },
  { batch: 2, height: 3, width: 1, inChannels: 3, outChannels: 2, kernel: 1, stride: 2, padding: 0 },
];

const describe = (s: ConvShape) => `${s.batch}x${s.height}x${s.width}x${s.inChannels}->${s.outChannels}k${s.kernel}s${s.stride ?? 1}p${s.padding ?? 'same'}`;
const sizes = (s: ConvShape) => {
  const out = convOutputSize(s);
  return {
    x: s.batch * s.height * s.width * s.inChannels,
    y: s.batch * out.height * out.width * s.outChannels,
    w: s.kernel * s.kernel * s.inChannels * s.outChannels,
  };
};
/** NaN everywhere first, so that an element a kernel forgets to write fails the comparison. */
const unwritten = (length: number) => bufferFrom(device, new Float32Array(length).fill(NaN));

for (const [i, s] of SHAPES.entries()) {
  test(`conv2d ${describe(s)} forward (with and without relu), backward-data and backward-filter match the reference`, async () => {
    const n = sizes(s);
    const xs = randomArray(n.x, 10 * i + 1);
    const ws = randomArray(n.w, 10 * i + 2);
    const bs = randomArray(s.outChannels, 10 * i + 3);
    const dys = randomArray(n.y, 10 * i + 4);
    const [x, w, bias, dy] = [xs, ws, bs, dys].map((a) => bufferFrom(device, a));
    const [y, yRelu, dx, dw, db] = [n.y, n.y, n.x, n.w, s.outChannels].map(unwritten);
    run(device, [
      conv2dForwardDispatch(cache, { shape: s, x, w, bias, y, relu: false }),
      conv2dForwardDispatch(cache, { shape: s, x, w, bias, y: yRelu, relu: true }),
      conv2dBackwardDataDispatch(cache, { shape: s, dy, w, dx }),
      ...conv2dBackwardFilterDispatches(cache, { shape: s, x, dy, dw, db }),
    ]);
    const expectedY = conv2dForward(xs, ws, bs, s);
    const filter = conv2dBackwardFilter(xs, dys, s);
    assert.ok(relativeError(await readF32(device, y, n.y), expectedY) <= 1e-4, 'forward');
    assert.ok(relativeError(await readF32(device, yRelu, n.y), expectedY.map((v) => Math.max(v, 0))) <= 1e-4, 'forward + relu');
    assert.ok(relativeError(await readF32(device, dx, n.x), conv2dBackwardData(dys, ws, s)) <= 1e-4, 'backward-data');
    assert.ok(relativeError(await readF32(device, dw, n.w), filter.dw) <= 1e-4, 'backward-filter dw');
    assert.ok(relativeError(await readF32(device, db, s.outChannels), filter.db) <= 1e-4, 'backward-filter db');
  });
}

const RANGE_SHAPES: ConvShape[] = [
  { batch: 2, height: 9, width: 11, inChannels: 3, outChannels: 5, kernel: 3 },
  { batch: 2, height: 9, width: 11, inChannels: 3, outChannels: 5, kernel: 4, stride: 2, padding: 1 },
];

for (const s of RANGE_SHAPES) test(`conv2d ${describe(s)} reads weights and writes gradients through 256-byte-aligned ranges of flat buffers, touching nothing else`, async () => {
  const n = sizes(s);
  // Tensors at 64-float (256-byte) boundaries, as shared/layout.ts places them; the rest is filler.
  const wOffset = 64;
  const bOffset = 64 * Math.ceil((wOffset + n.w) / 64);
  const total = bOffset + 64;
  const params = randomArray(total, 7, 100);
  const xs = randomArray(n.x, 8);
  const dys = randomArray(n.y, 9);
  const range = (buffer: GPUBuffer, offset: number, length: number): GPUBufferBinding => ({ buffer, offset: offset * 4, size: length * 4 });
  const paramBuffer = bufferFrom(device, params);
  const filler = new Float32Array(total).fill(-3);
  const grads = bufferFrom(device, filler);
  const [x, dy] = [xs, dys].map((a) => bufferFrom(device, a));
  const [y, dx] = [n.y, n.x].map(unwritten);
  run(device, [
    conv2dForwardDispatch(cache, { shape: s, x, w: range(paramBuffer, wOffset, n.w), bias: range(paramBuffer, bOffset, s.outChannels), y, relu: false }),
    conv2dBackwardDataDispatch(cache, { shape: s, dy, w: range(paramBuffer, wOffset, n.w), dx }),
    ...conv2dBackwardFilterDispatches(cache, { shape: s, x, dy, dw: range(grads, wOffset, n.w), db: range(grads, bOffset, s.outChannels) }),
  ]);
  const ws = params.subarray(wOffset, wOffset + n.w);
  const bs = params.subarray(bOffset, bOffset + s.outChannels);
  assert.ok(relativeError(await readF32(device, y, n.y), conv2dForward(xs, ws, bs, s)) <= 1e-4, 'forward');
  assert.ok(relativeError(await readF32(device, dx, n.x), conv2dBackwardData(dys, ws, s)) <= 1e-4, 'backward-data');
  const g = await readF32(device, grads, total);
  const filter = conv2dBackwardFilter(xs, dys, s);
  assert.ok(relativeError(g.subarray(wOffset, wOffset + n.w), filter.dw) <= 1e-4, 'dw');
  assert.ok(relativeError(g.subarray(bOffset, bOffset + s.outChannels), filter.db) <= 1e-4, 'db');
  g.forEach((v, i) => {
    const inside = (i >= wOffset && i < wOffset + n.w) || (i >= bOffset && i < bOffset + s.outChannels);
    if (!inside) assert.equal(v, -3, `gradient buffer entry ${i} outside dw and db was written`);
  });
});

test('conv2dForwardFlops counts two flops per multiply-add, over the output pixels', () => {
  assert.equal(conv2dForwardFlops({ batch: 64, height: 14, width: 14, inChannels: 16, outChannels: 32, kernel: 3 }), 2 * 64 * 14 * 14 * 32 * 9 * 16);
  assert.equal(conv2dForwardFlops({ batch: 64, height: 28, width: 28, inChannels: 16, outChannels: 32, kernel: 3, stride: 2, padding: 1 }), 2 * 64 * 14 * 14 * 32 * 9 * 16);
  assert.equal(conv2dForwardFlops({ batch: 2, height: 7, width: 9, inChannels: 16, outChannels: 32, kernel: 1, stride: 2, padding: 0 }), 2 * 2 * 4 * 5 * 32 * 16);
});

test('conv2d keeps the kernel-3 shaders when stride and padding are given as their defaults, and only then', () => {
  const labels = (s: ConvShape) => {
    const [x, w, bias, y, dy, dx, dw, db] = Array.from({ length: 8 }, () => emptyBuffer(device, 1024));
    return [
      conv2dForwardDispatch(cache, { shape: s, x, w, bias, y, relu: false }),
      conv2dBackwardDataDispatch(cache, { shape: s, dy, w, dx }),
      ...conv2dBackwardFilterDispatches(cache, { shape: s, x, dy, dw, db }),
    ].map((d) => d.label);
  };
  // A shape tested above, so that its kernel-3 pipelines are already built.
  const base = { batch: 2, height: 9, width: 13, inChannels: 8, outChannels: 12, kernel: 3 };
  const k3 = ['conv2d_forward_k3', 'conv2d_backward_data_k3', 'conv2d_backward_filter_k3', 'conv2d_backward_filter_reduce'];
  assert.deepEqual(labels(base), k3);
  assert.deepEqual(labels({ ...base, stride: 1, padding: 1 }), k3);
  for (const s of [{ ...base, stride: 2 }, { ...base, padding: 0 }]) {
    assert.deepEqual(labels(s), ['conv2d_forward', 'conv2d_backward_data', 'conv2d_backward_filter', 'conv2d_backward_filter_reduce'], describe(s));
  }
});

test('conv2d picks the kernel-3 block that pads the least work: wide rows for 28x28 and 14x14, square blocks for 7x7', () => {
  const shape = (side: number, inChannels: number, outChannels: number): ConvShape => ({ batch: 32, height: side, width: side, inChannels, outChannels, kernel: 3 });
  assert.equal(k3Block(shape(28, 1, 24), 24), 'wide');
  assert.equal(k3Block(shape(14, 24, 24), 24), 'wide');
  assert.equal(k3Block(shape(7, 48, 48), 48), 'square');
  assert.equal(k3Block(shape(32, 3, 32), 32), 'square', '32 = 3 x 14 - 10 but 5 x 7 - 3');
  assert.equal(k3Block(shape(14, 8, 6), 6), 'square', 'only the square block takes 6 channels');
  assert.equal(k3Block(shape(14, 8, 3), 3), undefined);
  assert.equal(k3Block({ ...shape(7, 8, 8), stride: 2 }, 8), undefined);
});

test('conv2d dispatches refuse a shape no convolution has, naming the field', () => {
  const b = emptyBuffer(device, 16);
  const s: ConvShape = { batch: 1, height: 4, width: 4, inChannels: 1, outChannels: 1, kernel: 4 };
  assert.throws(() => conv2dForwardDispatch(cache, { shape: s, x: b, w: b, bias: b, y: b, relu: false }), /kernel 4 is even, so give padding/);
  assert.throws(() => conv2dBackwardDataDispatch(cache, { shape: { ...s, kernel: 3, stride: 0 }, dy: b, w: b, dx: b }), /stride must be a positive integer/);
});

test('the kernel-3 conv shaders are what their generator writes', () => {
  for (const [name, text] of Object.entries(conv2dK3Files())) {
    assert.equal(readFileSync(new URL(`../../shaders/${name}`, import.meta.url), 'utf8'), text, `${name}: rerun node --import tsx shaders/gen/conv2d_k3.ts`);
  }
});
