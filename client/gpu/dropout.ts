// Dropout in place with a mask drawn from a per-step seed buffer, reproducible on the CPU (shared/reference/dropout.ts).
import code from '../../shaders/dropout.wgsl?raw';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { elementwiseDispatch } from './elementwise.ts';
import { dropoutThreshold } from '../../shared/reference/dropout.ts';

function dropoutDispatch(cache: PipelineCache, label: string, length: number, rate: number, values: Binding, seed: Binding): Dispatch {
  const constants = { THRESHOLD: dropoutThreshold(rate), SCALE: 1 / (1 - rate) };
  return elementwiseDispatch(cache, label, code, length, [values, seed], constants);
}

/** x = dropout(x) in place, rate in [0, 1). seed: a storage binding holding one u32 (dropoutSeed of the run, step
 *  and op), rewritten by the trainer before each step, so the dispatch is built once. */
export function dropoutForwardDispatch(cache: PipelineCache, a: { length: number; rate: number; x: Binding; seed: Binding }): Dispatch {
  return dropoutDispatch(cache, 'dropout forward', a.length, a.rate, a.x, a.seed);
}

/** dy through the forward's mask and scale, in place; seed must hold the forward's seed. */
export function dropoutBackwardDispatch(cache: PipelineCache, a: { length: number; rate: number; dy: Binding; seed: Binding }): Dispatch {
  return dropoutDispatch(cache, 'dropout backward', a.length, a.rate, a.dy, a.seed);
}
