// Measures loss and accuracy of uploaded weights on held-out samples, in a worker thread.
import { Worker } from 'node:worker_threads';
import type { DataSplit } from '../shared/dataset.ts';
import type { ModelSpec } from '../shared/model.ts';
import { shapeSize } from '../shared/model.ts';

export interface EvalRequest { id: number; spec: ModelSpec; weights: Float32Array; pixels: Uint8Array; labels: Uint8Array }
export type EvalResponse = { id: number; loss: number; accuracy: number; losses: Float64Array; correct: Uint8Array } | { id: number; error: string };
/** Mean loss and accuracy, and per sample (so two copies measured on the same samples can be compared pairwise). */
export interface Measured { loss: number; accuracy: number; samples: number; losses: Float64Array; correct: Uint8Array }

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
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: Measured) => void; reject: (e: Error) => void; samples: number }>();

  constructor() {
    this.worker = new Worker(new URL('./ts_thread.mjs', import.meta.url), { workerData: { module: new URL('./eval_worker.ts', import.meta.url).href } });
    this.worker.unref();
    this.worker.on('message', (res: EvalResponse) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if ('error' in res) p.reject(new Error(`evaluation failed: ${res.error}`));
      else p.resolve({ loss: res.loss, accuracy: res.accuracy, samples: p.samples, losses: res.losses, correct: res.correct });
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`evaluation thread exited with code ${code}`)));
  }

  /** Loss and accuracy of `weights` on `count` samples of `split` from `start` (wrapping). */
  evaluate(spec: ModelSpec, weights: Float32Array, split: DataSplit, start: number, count: number): Promise<Measured> {
    const { pixels, labels } = heldOutWindow(split, shapeSize(spec.input), start, count);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, samples: labels.length });
      this.worker.postMessage({ id, spec, weights, pixels, labels } satisfies EvalRequest);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
