// Kernel benchmark: one JSON line per (kernel, variant, shape) on this machine's WebGPU adapter.
// Run: npm run bench:kernels. Each case is timed as the median of BATCHES submissions of up to
// DISPATCHES_PER_BATCH dispatches (fewer for slow kernels, so a batch stays near BATCH_TARGET_MS), after a
// warm-up, waiting on queue.onSubmittedWorkDone().
import { openNodeDevice } from '../client/gpu/node_device.ts';
import { PipelineCache, type Dispatch } from '../client/gpu/dispatch.ts';
import { bufferFrom, emptyBuffer, randomArray } from '../client/gpu/test_support.ts';
import { matmulDispatch, matmulFlops, MATMUL_VARIANTS, type MatmulShape } from '../client/gpu/matmul.ts';
import { conv2dBackwardDataDispatch, conv2dBackwardFilterDispatches, conv2dForwardDispatch, conv2dForwardFlops, type ConvShape } from '../client/gpu/conv2d.ts';
import { maxpoolBackwardDispatch, maxpoolForwardDispatch } from '../client/gpu/maxpool.ts';
import { submitMs } from '../client/gpu/timing.ts';
import { median } from '../shared/median.ts';

interface KernelCase {
  kernel: string;
  variant: string;
  /** Printed as-is before the timings: form and sizes. */
  shape: Record<string, string | number>;
  /** GFLOP/s are printed only for kernels with a FLOP count (those of the forward pass for convolutions). */
  flops?: number;
  /** The dispatches of one repetition; buffers are made here, once. */
  build(cache: PipelineCache): Dispatch[];
}

const BATCHES = 5;
const DISPATCHES_PER_BATCH = 20;
const BATCH_TARGET_MS = 250;

/** The matmuls of one training step at batch 64: the MLP 784-256-128-10 and the CNN's dense layer. */
const MATMUL_SHAPES: (MatmulShape & { form: string })[] = [
  { form: 'NN', m: 64, k: 784, n: 256 },
  { form: 'NN', m: 64, k: 256, n: 128 },
  { form: 'NN', m: 64, k: 128, n: 10 },
  { form: 'NT', m: 64, k: 128, n: 256 },
  { form: 'NT', m: 64, k: 10, n: 128 },
  { form: 'TN', m: 784, k: 64, n: 256 },
  { form: 'TN', m: 256, k: 64, n: 128 },
  { form: 'TN', m: 128, k: 64, n: 10 },
  { form: 'NN', m: 64, k: 1568, n: 10 },
  { form: 'TN', m: 1568, k: 64, n: 10 },
  { form: 'NT', m: 64, k: 10, n: 1568 },
].map((s) => ({ ...s, transA: s.form[0] === 'T', transB: s.form[1] === 'T' }));

function matmulCases(): KernelCase[] {
  return MATMUL_VARIANTS.flatMap((variant) =>
    MATMUL_SHAPES.map(({ form, ...shape }) => ({
      kernel: 'matmul',
      variant,
      shape: { form, m: shape.m, k: shape.k, n: shape.n },
      flops: matmulFlops(shape),
      build: (cache: PipelineCache) => {
        const { device } = cache;
        const a = bufferFrom(device, randomArray(shape.m * shape.k, 1));
        const b = bufferFrom(device, randomArray(shape.k * shape.n, 2));
        return [matmulDispatch(cache, { ...shape, variant, a, b, c: emptyBuffer(device, shape.m * shape.n) })];
      },
    })),
  );
}

/** The CNN preset's two convolutions and pools at batch 64 (the wrapper picks the kernel-3 or generic shader). */
const CONV_SHAPES: ConvShape[] = [
  { batch: 64, height: 28, width: 28, inChannels: 1, outChannels: 16, kernel: 3 },
  { batch: 64, height: 14, width: 14, inChannels: 16, outChannels: 32, kernel: 3 },
];

function convCases(): KernelCase[] {
  return CONV_SHAPES.flatMap((s) => {
    const name = `${s.batch}x${s.height}x${s.width}x${s.inChannels}->${s.outChannels}k${s.kernel}`;
    const sizes = { x: s.batch * s.height * s.width * s.inChannels, y: s.batch * s.height * s.width * s.outChannels, w: s.kernel * s.kernel * s.inChannels * s.outChannels };
    const pooled = s.batch * Math.floor(s.height / 2) * Math.floor(s.width / 2) * s.outChannels;
    const pool = { batch: s.batch, height: s.height, width: s.width, channels: s.outChannels };
    const poolName = `${s.batch}x${s.height}x${s.width}x${s.outChannels}`;
    const conv = (kernel: string, build: (device: GPUDevice, cache: PipelineCache) => Dispatch[]): KernelCase => ({
      kernel, variant: 'auto', shape: { shape: name }, flops: conv2dForwardFlops(s), build: (cache) => build(cache.device, cache),
    });
    return [
      conv('conv2d_forward', (d, cache) => [conv2dForwardDispatch(cache, { shape: s, x: bufferFrom(d, randomArray(sizes.x, 1)), w: bufferFrom(d, randomArray(sizes.w, 2)), bias: bufferFrom(d, randomArray(s.outChannels, 3)), y: emptyBuffer(d, sizes.y), relu: true })]),
      conv('conv2d_backward_data', (d, cache) => [conv2dBackwardDataDispatch(cache, { shape: s, dy: bufferFrom(d, randomArray(sizes.y, 4)), w: bufferFrom(d, randomArray(sizes.w, 2)), dx: emptyBuffer(d, sizes.x) })]),
      conv('conv2d_backward_filter', (d, cache) => conv2dBackwardFilterDispatches(cache, { shape: s, x: bufferFrom(d, randomArray(sizes.x, 1)), dy: bufferFrom(d, randomArray(sizes.y, 4)), dw: emptyBuffer(d, sizes.w), db: emptyBuffer(d, s.outChannels) })),
      {
        kernel: 'maxpool2_forward', variant: 'auto', shape: { shape: poolName },
        build: (cache) => [maxpoolForwardDispatch(cache, { shape: pool, x: bufferFrom(cache.device, randomArray(sizes.y, 5)), y: emptyBuffer(cache.device, pooled), argmax: emptyBuffer(cache.device, pooled) })],
      },
      {
        kernel: 'maxpool2_backward', variant: 'auto', shape: { shape: poolName },
        build: (cache) => [maxpoolBackwardDispatch(cache, { shape: pool, dy: bufferFrom(cache.device, randomArray(pooled, 6)), argmax: emptyBuffer(cache.device, pooled), dx: emptyBuffer(cache.device, sizes.y) })],
      },
    ];
  });
}

const CASES: KernelCase[] = [...matmulCases(), ...convCases()];

const { device, adapterName } = await openNodeDevice();
const cache = new PipelineCache(device);
for (const c of CASES) {
  const dispatches = c.build(cache);
  await submitMs(device, dispatches, 1);
  const once = await submitMs(device, dispatches, 1);
  const repeat = Math.max(1, Math.min(DISPATCHES_PER_BATCH, Math.round(BATCH_TARGET_MS / once)));
  const times: number[] = [];
  for (let i = 0; i < BATCHES; i++) times.push((await submitMs(device, dispatches, repeat)) / repeat);
  const ms = median(times);
  const gflops = c.flops === undefined ? undefined : +(c.flops / ms / 1e6).toFixed(2);
  const line = { kernel: c.kernel, variant: c.variant, ...c.shape, ms: +ms.toFixed(3), gflops, adapter: adapterName };
  console.log(JSON.stringify(line));
}
device.destroy();
