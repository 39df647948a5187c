// Where a training step's time goes: each dispatch of the step timed alone (median of repeated submissions).
import { encodeDispatches, type Dispatch } from '../gpu/dispatch.ts';
import type { Trainer } from './trainer.ts';

export interface DispatchTiming {
  index: number;
  label: string;
  ms: number;
}

export interface StepProfile {
  stepMs: number;
  dispatches: DispatchTiming[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall time per repetition of `dispatches`, `times` repetitions per submission. */
async function timeDispatches(device: GPUDevice, dispatches: Dispatch[], times: number, reps: number): Promise<number> {
  const samples: number[] = [];
  for (let rep = 0; rep <= reps; rep++) {
    const t0 = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let i = 0; i < times; i++) encodeDispatches(pass, dispatches);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    // The first submission warms caches and is not counted.
    if (rep > 0) samples.push((performance.now() - t0) / times);
  }
  return median(samples);
}

export async function profileStep(trainer: Trainer, reps = 7, times = 5): Promise<StepProfile> {
  const device = trainer.handle.device;
  trainer.step();
  await trainer.flush();
  const stepMs = await timeDispatches(device, trainer.stepDispatches, times, reps);
  const dispatches: DispatchTiming[] = [];
  for (const [index, d] of trainer.stepDispatches.entries()) {
    dispatches.push({ index, label: d.label, ms: await timeDispatches(device, [d], times, reps) });
  }
  return { stepMs, dispatches };
}
