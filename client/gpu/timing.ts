// Wall-clock timing of dispatches on the device: what the autotune, the step profile and the kernel benchmark share.
import { encodeDispatches, type Dispatch } from './dispatch.ts';
import { median } from '../../shared/median.ts';

/** Milliseconds for one submission of `dispatches`, repeated `repeat` times in one pass, until the GPU is done. */
export async function submitMs(device: GPUDevice, dispatches: Dispatch[], repeat = 1): Promise<number> {
  const start = performance.now();
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let i = 0; i < repeat; i++) encodeDispatches(pass, dispatches);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

/** Median milliseconds per repetition over `samples` submissions, after one warm-up submission. */
export async function medianMsPerRepeat(device: GPUDevice, dispatches: Dispatch[], repeat: number, samples: number): Promise<number> {
  await submitMs(device, dispatches, repeat);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push((await submitMs(device, dispatches, repeat)) / repeat);
  return median(times);
}
