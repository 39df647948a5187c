// The engine page's learning-rate schedule: a linear warm-up, then the rate held or decayed to zero along a cosine.

export interface LrSchedule {
  /** The peak rate. */
  lr: number;
  /** Steps of linear warm-up, from lr / warmup up to lr (0: none). */
  warmup: number;
  /** Steps of the whole training: the cosine decay runs from the end of the warm-up to here. No decay when absent. */
  decayEnd?: number;
}

/** The learning rate of step `step` (0 for the first). */
export function scheduledLr(s: LrSchedule, step: number): number {
  if (step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
  if (s.decayEnd === undefined) return s.lr;
  const progress = Math.min(1, (step - s.warmup) / Math.max(1, s.decayEnd - s.warmup));
  return (s.lr * (1 + Math.cos(Math.PI * progress))) / 2;
}

/** The learning rate of step `step` when training lasts a fixed time: the same warm-up in steps, then the cosine
 *  decay along `elapsed`, the fraction of the time spent (0..1), since how many steps fit is not known ahead. */
export function timedLr(s: Omit<LrSchedule, 'decayEnd'>, step: number, elapsed: number): number {
  if (step < s.warmup) return (s.lr * (step + 1)) / s.warmup;
  return (s.lr * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, elapsed))))) / 2;
}
