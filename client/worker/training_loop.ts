// The step loop shared by the engine page and the volunteer: steps without a barrier, reads the loss back every
// few steps with one window in flight, honours pause/stop, and idles between steps at lower intensity.
import type { Trainer, WindowStats } from '../engine/trainer.ts';

export class LoopControl {
  paused = false;
  stopped = false;
  /** 1 = as fast as possible; lower values idle between steps to leave the GPU to others. */
  intensity = 1;
  private wake: () => void = () => {};

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    this.wake();
  }

  setIntensity(value: number): void {
    this.intensity = Math.min(1, Math.max(0.05, value));
  }

  waitForResume(): Promise<void> {
    return new Promise((r) => (this.wake = r));
  }
}

export interface TrainingWindow extends WindowStats {
  steps: number;
  samplesPerSec: number;
}

export interface LoopHooks {
  /** Whether to go on after the current step. */
  more(): boolean;
  onWindow(w: TrainingWindow): void;
  /** One training step; trainer.step() when absent. Awaited: sync-sgd's step waits for the averaged gradient. */
  step?(): Promise<void> | void;
  /** After every step; awaited, so it can evaluate, report or swap weights without racing the loop. */
  afterStep?(): Promise<void> | void;
  onPause?(): void;
  onResume?(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runTrainingLoop(trainer: Trainer, control: LoopControl, readbackEvery: number, hooks: LoopHooks): Promise<void> {
  let pending: Promise<WindowStats> | null = null;
  let windowStart = performance.now();
  const report = (s: WindowStats) => {
    const now = performance.now();
    hooks.onWindow({ ...s, steps: trainer.steps, samplesPerSec: (s.samples * 1000) / Math.max(1e-3, now - windowStart) });
    windowStart = now;
  };
  while (!control.stopped && hooks.more()) {
    if (control.paused) {
      if (pending) report(await pending);
      pending = null;
      hooks.onPause?.();
      await control.waitForResume();
      hooks.onResume?.();
      windowStart = performance.now();
      continue;
    }
    const t0 = performance.now();
    if (hooks.step) await hooks.step();
    else trainer.step();
    if (trainer.steps % readbackEvery === 0) {
      // One window in flight: the GPU runs this window while we wait for the previous one's numbers.
      const next = trainer.readStats();
      if (pending) report(await pending);
      pending = next;
    }
    await hooks.afterStep?.();
    if (control.intensity < 1) await sleep((performance.now() - t0) * (1 / control.intensity - 1));
  }
  if (pending) report(await pending);
}
