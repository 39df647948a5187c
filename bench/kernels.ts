// Kernel benchmark: one JSON line per (kernel, variant, shape) on this machine's WebGPU adapter.
// Run: npm run bench:kernels. Each case is timed as the median of BATCHES submissions of up to
// DISPATCHES_PER_BATCH dispatches (fewer for slow kernels, so a batch stays near BATCH_TARGET_MS), after a
// warm-up, waiting on queue.onSubmittedWorkDone().
import { openNodeDevice } from '../client/gpu/node_device.ts';
import { encodeDispatches, PipelineCache, type Dispatch } from '../client/gpu/dispatch.ts';
import { bufferFrom, emptyBuffer, randomArray } from '../client/gpu/test_support.ts';
import { matmulDispatch, matmulFlops, MATMUL_VARIANTS, type MatmulShape } from '../client/gpu/matmul.ts';

interface KernelCase {
  kernel: string;
  variant: string;
  /** Printed as-is before the timings: form and sizes. */
  shape: Record<string, string | number>;
  flops: number;
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

const CASES: KernelCase[] = [...matmulCases()];

async function submitMs(device: GPUDevice, dispatches: Dispatch[], repeat: number): Promise<number> {
  const start = performance.now();
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let i = 0; i < repeat; i++) encodeDispatches(pass, dispatches);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

const { device, adapterName } = await openNodeDevice();
const cache = new PipelineCache(device);
for (const c of CASES) {
  const dispatches = c.build(cache);
  await submitMs(device, dispatches, 1);
  const once = await submitMs(device, dispatches, 1);
  const repeat = Math.max(1, Math.min(DISPATCHES_PER_BATCH, Math.round(BATCH_TARGET_MS / once)));
  const times: number[] = [];
  for (let i = 0; i < BATCHES; i++) times.push((await submitMs(device, dispatches, repeat)) / repeat);
  times.sort((x, y) => x - y);
  const ms = times[Math.floor(times.length / 2)];
  const line = { kernel: c.kernel, variant: c.variant, ...c.shape, ms: +ms.toFixed(3), gflops: +(c.flops / ms / 1e6).toFixed(2), adapter: adapterName };
  console.log(JSON.stringify(line));
}
device.destroy();
