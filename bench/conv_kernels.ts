// Times the CNN preset's conv2d and maxpool kernels at batch 64; prints one JSON line per kernel.
// Run: node --import tsx --import ./shaders/raw-import/register.mjs bench/conv_kernels.ts
import { openNodeDevice } from '../client/gpu/node_device.ts';
import { PipelineCache, type Dispatch } from '../client/gpu/dispatch.ts';
import { bufferFrom, emptyBuffer, randomArray, run } from '../client/gpu/test_support.ts';
import { conv2dBackwardDataDispatch, conv2dBackwardFilterDispatches, conv2dForwardDispatch, conv2dForwardFlops, type ConvShape } from '../client/gpu/conv2d.ts';
import { maxpoolBackwardDispatch, maxpoolForwardDispatch } from '../client/gpu/maxpool.ts';

const BATCH = 64;
const REPEATS_PER_SAMPLE = 3;
const SAMPLES = 7;

const { device, adapterName } = await openNodeDevice();
const cache = new PipelineCache(device);

/** Median milliseconds per run of `dispatches`, after one warm-up run. */
async function time(dispatches: Dispatch[]): Promise<number> {
  run(device, dispatches);
  await device.queue.onSubmittedWorkDone();
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const start = performance.now();
    for (let r = 0; r < REPEATS_PER_SAMPLE; r++) run(device, dispatches);
    await device.queue.onSubmittedWorkDone();
    samples.push((performance.now() - start) / REPEATS_PER_SAMPLE);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(SAMPLES / 2)];
}

function report(kernel: string, shape: string, ms: number, flops?: number): void {
  const gflops = flops === undefined ? undefined : Number((flops / ms / 1e6).toFixed(2));
  console.log(JSON.stringify({ kernel, shape, ms: Number(ms.toFixed(3)), gflops, adapter: adapterName }));
}

const layers: ConvShape[] = [
  { batch: BATCH, height: 28, width: 28, inChannels: 1, outChannels: 16, kernel: 3 },
  { batch: BATCH, height: 14, width: 14, inChannels: 16, outChannels: 32, kernel: 3 },
];
for (const s of layers) {
  const name = `${s.batch}x${s.height}x${s.width}x${s.inChannels}->${s.outChannels}k${s.kernel}`;
  const xLen = s.batch * s.height * s.width * s.inChannels;
  const yLen = s.batch * s.height * s.width * s.outChannels;
  const wLen = s.kernel * s.kernel * s.inChannels * s.outChannels;
  const x = bufferFrom(device, randomArray(xLen, 1));
  const w = bufferFrom(device, randomArray(wLen, 2));
  const bias = bufferFrom(device, randomArray(s.outChannels, 3));
  const dy = bufferFrom(device, randomArray(yLen, 4));
  const [y, dx, dw, db] = [yLen, xLen, wLen, s.outChannels].map((n) => emptyBuffer(device, n));
  const flops = conv2dForwardFlops(s);
  report('conv2d_forward', name, await time([conv2dForwardDispatch(cache, { shape: s, x, w, bias, y, relu: true })]), flops);
  report('conv2d_backward_data', name, await time([conv2dBackwardDataDispatch(cache, { shape: s, dy, w, dx })]), flops);
  report('conv2d_backward_filter', name, await time(conv2dBackwardFilterDispatches(cache, { shape: s, x, dy, dw, db })), flops);

  const pool = { batch: s.batch, height: s.height, width: s.width, channels: s.outChannels };
  const pooled = s.batch * Math.floor(s.height / 2) * Math.floor(s.width / 2) * s.outChannels;
  const [py, argmax, pdy] = [pooled, pooled, pooled].map((n) => emptyBuffer(device, n));
  const poolName = `${s.batch}x${s.height}x${s.width}x${s.outChannels}`;
  report('maxpool2_forward', poolName, await time([maxpoolForwardDispatch(cache, { shape: pool, x: dy, y: py, argmax })]));
  report('maxpool2_backward', poolName, await time([maxpoolBackwardDispatch(cache, { shape: pool, dy: pdy, argmax, dx: y })]));
}
device.destroy();
