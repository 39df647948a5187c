// Where a training step's time goes: each dispatch of the step timed alone (median of repeated submissions).
import { medianMsPerRepeat } from '../gpu/timing.ts';
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

export async function profileStep(trainer: Trainer, reps = 7, times = 5): Promise<StepProfile> {
  const device = trainer.handle.device;
  trainer.step();
  await trainer.flush();
  const stepMs = await medianMsPerRepeat(device, trainer.stepDispatches, times, reps);
  const dispatches: DispatchTiming[] = [];
  for (const [index, d] of trainer.stepDispatches.entries()) {
    dispatches.push({ index, label: d.label, ms: await medianMsPerRepeat(device, [d], times, reps) });
  }
  return { stepMs, dispatches };
}
