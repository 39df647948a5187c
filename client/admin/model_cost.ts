// A model's cost in words, as the create form shows it under the spec and the run view beside the run.
import type { ModelSpec } from '../../shared/model.ts';
import { modelSummary, type ModelSummary } from '../../shared/model_summary.ts';
import type { Optimizer } from '../../shared/run_config.ts';
import { formatBytes } from './format.ts';

export const OPTIMIZER_LABELS: Record<Optimizer, string> = { momentum: 'momentum SGD', adamw: 'AdamW' };

/** 1.01 MFLOP, 357 MFLOP, 2.4 GFLOP. */
export function formatFlops(flops: number): string {
  const units = ['FLOP', 'kFLOP', 'MFLOP', 'GFLOP', 'TFLOP'];
  let v = flops;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

export const formatCount = (n: number) => n.toLocaleString('en-US');

/** The summary's three numbers, each as a short phrase. */
function costPhrases(s: ModelSummary): { parameters: string; flops: string; memory: string } {
  const m = s.memoryPerTabBytes;
  return {
    parameters: `${formatCount(s.parameters)} parameters`,
    flops: `${formatFlops(s.flopsPerSample)} per sample (training)`,
    memory: `≈ ${formatBytes(m.total)} of GPU memory per tab (${formatBytes(m.parameters)} parameter vectors, ${formatBytes(m.activations)} activations)`,
  };
}

/** One line: parameters, training FLOPs per sample, and memory per tab for `batch` and `optimizer`, or without the
 *  memory when the batch is not a batch size yet. */
export function costLine(spec: ModelSpec, batch: number | null, optimizer: Optimizer): string {
  const valid = batch !== null && Number.isInteger(batch) && batch >= 1;
  const p = costPhrases(modelSummary(spec, valid ? batch : 1, optimizer));
  const memory = valid ? `${p.memory} at batch ${batch} with ${OPTIMIZER_LABELS[optimizer]}` : 'memory per tab: give a batch size';
  return `${p.parameters} · ${p.flops} · ${memory}`;
}
