// Measures loss and accuracy of uploaded weights on held-out samples, in a worker thread.
import type { DataSplit } from '../shared/dataset.ts';
import type { ModelSpec } from '../shared/model.ts';
import { shapeSize } from '../shared/model.ts';
import { WorkerThread } from './worker_thread.ts';

export interface EvalRequest { id: number; spec: ModelSpec; weights: Float32Array; pixels: Uint8Array; labels: Uint8Array }
export interface EvalResult { loss: number; accuracy: number; losses: Float64Array; correct: Float64Array }
/** Mean loss and accuracy, and per sample (so two copies measured on the same samples can be compared pairwise). */
export interface Measured { loss: number; accuracy: number; samples: number; losses: Float64Array; correct: Float64Array }

/** `count` samples of `split` starting at `start`, wrapping around its end. */
export function heldOutWindow(split: DataSplit, size: number, start: number, count: number): { pixels: Uint8Array; labels: Uint8Array } {
  const n = Math.min(count, split.count);
  const pixels = new Uint8Array(n * size);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = (start + i) % split.count;
    pixels.set(split.pixels.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = split.labels[j];
  }
  return { pixels, labels };
}

/** What the coordinator needs to measure leader copies on validation data and report test accuracy. */
export interface LeaderEvaluator {
  evaluate(spec: ModelSpec, weights: Float32Array, split: DataSplit, start: number, count: number): Promise<Measured>;
  close(): Promise<void>;
}

export class Evaluator implements LeaderEvaluator {
  private readonly thread = new WorkerThread<EvalResult>(new URL('./eval_worker.ts', import.meta.url), 'evaluation');

  /** Loss and accuracy of `weights` on `count` samples of `split` from `start` (wrapping). */
  async evaluate(spec: ModelSpec, weights: Float32Array, split: DataSplit, start: number, count: number): Promise<Measured> {
    const { pixels, labels } = heldOutWindow(split, shapeSize(spec.input), start, count);
    const result = await this.thread.call((id) => ({ id, spec, weights, pixels, labels }) satisfies EvalRequest);
    return { ...result, samples: labels.length };
  }

  close(): Promise<void> {
    return this.thread.close();
  }
}
