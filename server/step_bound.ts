// How far a tab's step may advance: the run's step and its steps stop condition come from tabs' steps, so a step
// must be one the tab could have reached since the server last accepted one from it.

/** Why `step` is implausible for a tab whose last accepted step was `last.step` at `last.at`, or null when it is not. */
export function stepImplausible(last: { step: number; stepAt: number }, step: number, now: number, maxStepsPerSec: number, tau: number): string | null {
  const allowed = last.step + Math.ceil((Math.max(0, now - last.stepAt) / 1000) * maxStepsPerSec) + tau;
  if (step <= allowed) return null;
  return `step ${step} is implausible: ${((now - last.stepAt) / 1000).toFixed(1)} s after step ${last.step} a tab can reach at most ${allowed} (maxStepsPerSec ${maxStepsPerSec})`;
}
