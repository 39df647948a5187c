// Picks the fastest matmul variant per shape on this adapter at start-up: SwiftShader wants the
// register-blocked kernel, real GPUs may want shared-memory tiles.
import { matmulDispatch, matmulFlops, matmulVariantsFor, MATMUL_VARIANTS, type MatmulShape, type MatmulVariant } from './matmul.ts';
import { bufferBytes, type Dispatch, type PipelineCache } from './dispatch.ts';
import { submitMs } from './timing.ts';

/** Timed submissions per variant and shape; the median decides. */
const TIMED_RUNS = 3;
/** Dispatches per submission are repeated until about this much work (~10-20 ms on SwiftShader), so a run
 *  times more than submission overhead and the few-ms granularity of onSubmittedWorkDone in Node's Dawn. */
const FLOPS_PER_RUN = 2e7;
const MAX_DISPATCHES_PER_RUN = 16;
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
 *  onSubmittedWorkDone), returns the fastest variant per shape key. Must be quick (< ~2 s total for the
 *  MLP/CNN shapes on SwiftShader). */
export async function autotuneMatmul(cache: PipelineCache, shapes: MatmulShape[]): Promise<Map<string, MatmulVariant>> {
  const distinct = new Map(shapes.map((s) => [matmulKey(s), s]));
  const best = new Map<string, MatmulVariant>();
  if (distinct.size === 0) return best;
  const biggestFirst = [...distinct].sort(([, x], [, y]) => matmulFlops(y) - matmulFlops(x));
  let candidates = [...MATMUL_VARIANTS];
  // One set of scratch operands, big enough for every shape; their contents do not change the timing.
  const floats = (f: (s: MatmulShape) => number) => Math.max(...biggestFirst.map(([, s]) => f(s)));
  const scratch = (n: number) =>
    cache.device.createBuffer({ label: 'matmul autotune', size: bufferBytes(n * 4), usage: GPUBufferUsage.STORAGE });
  const a = scratch(floats((s) => s.m * s.k));
  const b = scratch(floats((s) => s.k * s.n));
  const c = scratch(floats((s) => s.m * s.n));
  try {
    for (const [key, shape] of biggestFirst) {
      const fitting = matmulVariantsFor(shape);
      const kept = candidates.filter((v) => fitting.includes(v));
      // When every survivor so far is one that does not fit this shape, the fitting ones compete afresh.
      const eligible = kept.length > 0 ? kept : fitting;
      if (eligible.length === 1) {
        best.set(key, eligible[0]);
        continue;
      }
      const count = Math.min(MAX_DISPATCHES_PER_RUN, Math.max(1, Math.ceil(FLOPS_PER_RUN / matmulFlops(shape))));
      const times = new Map<MatmulVariant, number>();
      let bestMs = Infinity;
      for (const variant of eligible) {
        const dispatches = new Array<Dispatch>(count).fill(matmulDispatch(cache, { ...shape, variant, a, b, c }));
        const ms = await medianRunMs(cache.device, dispatches, bestMs);
        times.set(variant, ms);
        bestMs = Math.min(bestMs, ms);
      }
      best.set(key, eligible.find((v) => times.get(v) === bestMs)!);
      // Variants not timed here (not worth it on this shape) stay candidates for the shapes that follow.
      candidates = candidates.filter((v) => !times.has(v) || times.get(v)! <= DROP_FACTOR * bestMs);
    }
  } finally {
    a.destroy();
    b.destroy();
    c.destroy();
  }
  return best;
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
