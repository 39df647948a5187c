// Start-up choices timed on this adapter: the fastest matmul variant per shape (SwiftShader wants the
// register-blocked kernel, real GPUs may want shared-memory tiles) and how many workgroups the grid-stride
// kernels get (SwiftShader wants a few, a GPU many).
import {
  adapterTraits,
  matmulDispatch,
  matmulFlops,
  matmulVariantsFor,
  MATMUL_VARIANTS,
  variantSkipsZeros,
  type MatmulArgs,
  type MatmulShape,
  type MatmulVariant,
  type PlannedMatmul,
} from './matmul.ts';
import { bufferBytes, ceilDiv, encodeDispatches, MAX_WORKGROUPS_PER_DIM, type Dispatch, type PipelineCache } from './dispatch.ts';
import { lsgdUpdateDispatch, UPDATE_HYPER_BYTES } from './lsgd_update.ts';
import { submitMs } from './timing.ts';
import { readBuffer } from './readback.ts';
import { relativeError } from '../../shared/relative_error.ts';
import { seededRandom } from '../../shared/random.ts';

/** Timed submissions per variant and shape; the median decides. */
const TIMED_RUNS = 3;
/** Dispatches per submission are repeated until about this much work (~10-20 ms on SwiftShader), so a run
 *  times more than submission overhead and the few-ms granularity of onSubmittedWorkDone in Node's Dawn. */
const FLOPS_PER_RUN = 2e7;
const MAX_DISPATCHES_PER_RUN = 16;
/** On a fast GPU that much work takes well under a millisecond, below the timer's resolution: the first
 *  variant's run then sets a repetition count that makes a run last about this long, for all variants. */
const MIN_RUN_MS = 4;
const MAX_CALIBRATED_DISPATCHES = 1024;
/** A variant this many times slower than the best so far on its first timed run gets no more runs... */
const GIVE_UP_FACTOR = 2;
/** ...and one this many times slower than the winner is not tried on the (smaller) shapes that follow;
 *  once one variant is left, the rest get it untimed. Compiling a pipeline costs 0.1-0.6 s on SwiftShader,
 *  where the tiled kernel loses about 10x. */
const DROP_FACTOR = 4;

export function matmulKey(s: MatmulShape): string {
  return `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}:${s.m}x${s.k}x${s.n}`;
}

/** Times each variant on the adapter for each distinct shape (a few warm-up + timed reps, median, using
 *  onSubmittedWorkDone), returns the fastest variant per shape key. Each product is timed with its own epilogue
 *  and, for a variant that uses it, its nonzero hint (listing every line, so the work is the dense product's):
 *  the plan then reuses that pipeline instead of compiling another (~1 s each for `wide` and `quad` on SwiftShader). */
export async function autotuneMatmul(cache: PipelineCache, shapes: PlannedMatmul[]): Promise<Map<string, MatmulVariant>> {
  const distinct = new Map(shapes.map((s) => [matmulKey(s), s]));
  const best = new Map<string, MatmulVariant>();
  if (distinct.size === 0) return best;
  const biggestFirst = [...distinct].sort(([, x], [, y]) => matmulFlops(y) - matmulFlops(x));
  let candidates = [...MATMUL_VARIANTS];
  // One set of scratch operands, big enough for every shape; their contents do not change the timing.
  const floats = (f: (s: MatmulShape) => number) => Math.max(...biggestFirst.map(([, s]) => f(s)));
  const scratch = (n: number) =>
    cache.device.createBuffer({ label: 'matmul autotune', size: bufferBytes(n * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const a = scratch(floats((s) => s.m * s.k));
  const b = scratch(floats((s) => s.k * s.n));
  const c = scratch(floats((s) => s.m * s.n));
  /** Lists of every line (0 .. lines-1, then the count), one per length: the hint that leaves the product dense. */
  const lists = new Map<number, GPUBuffer>();
  const everyLine = (lines: number) => {
    let list = lists.get(lines);
    if (!list) {
      list = cache.device.createBuffer({ label: 'matmul autotune: every line listed', size: bufferBytes((lines + 1) * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      cache.device.queue.writeBuffer(list, 0, Uint32Array.from({ length: lines + 1 }, (_, i) => i));
      lists.set(lines, list);
    }
    return list;
  };
  const bias = scratch(floats((s) => s.n));
  const withHint = (shape: PlannedMatmul, variant: MatmulVariant): ScratchArgs => {
    const args: ScratchArgs = { ...shape, variant, a, b, c, bias: shape.bias ? bias : undefined };
    if (!shape.nonzeroAxis || !variantSkipsZeros(variant)) return args;
    const list = everyLine(shape.nonzeroAxis === 'k' ? shape.k : shape.m);
    return { ...args, nonzero: { list, axis: shape.nonzeroAxis } };
  };
  try {
    // The quad variant assumes how the adapter groups invocations into subgroups: checked once, before it is timed
    // (without it, wide takes its place).
    const adapter = adapterTraits(cache.device);
    const quadShape = biggestFirst.map(([, s]) => s).find((s) => matmulVariantsFor(s, adapter).includes('quad'));
    const quadUsable = quadShape === undefined || (await agreesWithVec4(cache, withHint(quadShape, 'quad')));
    for (const [key, shape] of biggestFirst) {
      const fitting = matmulVariantsFor(shape, adapter, quadUsable);
      const kept = candidates.filter((v) => fitting.includes(v));
      // When every survivor so far is one that does not fit this shape, the fitting ones compete afresh.
      const eligible = kept.length > 0 ? kept : fitting;
      if (eligible.length === 1) {
        best.set(key, eligible[0]);
        continue;
      }
      let count = Math.min(MAX_DISPATCHES_PER_RUN, Math.max(1, Math.ceil(FLOPS_PER_RUN / matmulFlops(shape))));
      const times = new Map<MatmulVariant, number>();
      let bestMs = Infinity;
      for (const variant of eligible) {
        const dispatch = matmulDispatch(cache, withHint(shape, variant));
        if (variant === eligible[0]) count = await calibratedCount(cache.device, dispatch, count);
        const dispatches = new Array<Dispatch>(count).fill(dispatch);
        const ms = await medianRunMs(cache.device, dispatches, bestMs);
        times.set(variant, ms);
        bestMs = Math.min(bestMs, ms);
      }
      best.set(key, eligible.find((v) => times.get(v) === bestMs)!);
      // Variants not timed here (not worth it on this shape) stay candidates for the shapes that follow.
      candidates = candidates.filter((v) => !times.has(v) || times.get(v)! <= DROP_FACTOR * bestMs);
    }
  } finally {
    for (const buffer of [a, b, c, bias, ...lists.values()]) buffer.destroy();
  }
  return best;
}

/** A product on the autotune's scratch operands. */
type ScratchArgs = MatmulArgs & { a: GPUBuffer; b: GPUBuffer; c: GPUBuffer };

/** Runs `args` and the same product with vec4 on random operands and compares the results (relative error <= 1e-4). */
async function agreesWithVec4(cache: PipelineCache, args: ScratchArgs): Promise<boolean> {
  const { device } = cache;
  const random = seededRandom(1);
  const fill = (buffer: GPUBuffer, floats: number) => device.queue.writeBuffer(buffer, 0, Float32Array.from({ length: floats }, () => random() * 2 - 1));
  fill(args.a, args.m * args.k);
  fill(args.b, args.k * args.n);
  const results: Float32Array[] = [];
  for (const run of [{ ...args, variant: 'vec4' as const, nonzero: undefined }, args]) {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, [matmulDispatch(cache, run)]);
    pass.end();
    device.queue.submit([encoder.finish()]);
    results.push(new Float32Array(await readBuffer(device, args.c, args.m * args.n * 4)));
  }
  const [expected, got] = results;
  return relativeError(got, expected) <= 1e-4;
}

/** Workgroup caps tried for the grid-stride kernels. */
const GRID_STRIDE_CAPS = [4, 16, 64, 256, 1024, MAX_WORKGROUPS_PER_DIM];
/** Updates per timed submission, so a run is well above the timer's granularity. */
const UPDATES_PER_RUN = 8;

/** Times the parameter update (the biggest grid-stride kernel) over `length` floats with each workgroup cap
 *  and sets the fastest as cache.maxGridStrideWorkgroups, before the step's dispatches are built. Caps at or
 *  above what the update needs all dispatch the same grid, so only the first of them is timed. */
export async function autotuneGridStride(cache: PipelineCache, length: number): Promise<number> {
  const { device } = cache;
  const needed = ceilDiv(length, 4 * 64);
  const caps = GRID_STRIDE_CAPS.filter((cap, i) => i === 0 || GRID_STRIDE_CAPS[i - 1] < needed);
  const vector = () => device.createBuffer({ label: 'grid-stride autotune', size: bufferBytes(length * 4), usage: GPUBufferUsage.STORAGE });
  const [params, grads, velocity, placeholder] = [vector(), vector(), vector(), vector()];
  const hyper = device.createBuffer({ label: 'grid-stride autotune', size: UPDATE_HYPER_BYTES, usage: GPUBufferUsage.UNIFORM });
  const saved = cache.maxGridStrideWorkgroups;
  let best = { cap: saved, ms: Infinity };
  let count = UPDATES_PER_RUN;
  try {
    for (const cap of caps) {
      cache.maxGridStrideWorkgroups = cap;
      const update = lsgdUpdateDispatch(cache, {
        length,
        pulls: { useLocal: false, useGlobal: false },
        params,
        grads,
        velocity,
        localLeader: placeholder,
        globalLeader: placeholder,
        hyper,
      });
      if (cap === caps[0]) count = await calibratedCount(device, update, count);
      const ms = await medianRunMs(device, new Array<Dispatch>(count).fill(update), best.ms);
      if (ms < best.ms) best = { cap, ms };
    }
  } finally {
    for (const b of [params, grads, velocity, placeholder, hyper]) b.destroy();
  }
  cache.maxGridStrideWorkgroups = best.cap;
  return best.cap;
}

/** `count` repetitions of `dispatch`, or more if those take under MIN_RUN_MS (after a warm-up run). */
async function calibratedCount(device: GPUDevice, dispatch: Dispatch, count: number): Promise<number> {
  await submitMs(device, [dispatch]);
  const ms = await submitMs(device, new Array<Dispatch>(count).fill(dispatch));
  if (ms >= MIN_RUN_MS) return count;
  return Math.min(MAX_CALIBRATED_DISPATCHES, Math.ceil((count * MIN_RUN_MS) / Math.max(ms, 0.01)));
}

/** Median wall time of TIMED_RUNS submissions after one untimed warm-up submission.
 *  Stops early when the first timed run is already far slower than `bestMs`. */
async function medianRunMs(device: GPUDevice, dispatches: Dispatch[], bestMs = Infinity): Promise<number> {
  await submitMs(device, dispatches);
  const times: number[] = [];
  for (let i = 0; i < TIMED_RUNS; i++) {
    times.push(await submitMs(device, dispatches));
    if (times[0] > GIVE_UP_FACTOR * bestMs) return times[0];
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}
