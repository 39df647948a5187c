// The volunteers of one simulated run, drawn from a seed: how fast each tab steps, its link, its machine, whether it
// attacks, and when it comes and goes.
import { seededRandom } from '../../shared/random.ts';
import type { Link } from './network.ts';

export interface VolunteerKnobs {
  /** Share of tabs with a real GPU, and how many times faster they step than a SwiftShader (CPU) tab. */
  gpuFraction: number;
  gpuSpeedup: number;
  /** Share of tabs `stragglerSlowdown` times slower than they would be (a busy laptop, a throttled background tab). */
  stragglerFraction: number;
  stragglerSlowdown: number;
  /** Residential links, each drawn uniformly from [min, max]. */
  downMbit: [number, number];
  upMbit: [number, number];
  latencyMs: [number, number];
  coordinatorEgressMbit: number;
  coordinatorIngressMbit: number;
  /** Honest tabs per browser (machine group). */
  tabsPerMachine: number;
  /** Share of tabs that attack; each attacker is a machine of its own, as in bench:compare --byzantine. */
  byzantineFraction: number;
  /** Churn: mean seconds a tab stays, and stays away before it comes back; null: nobody leaves. */
  meanSessionSeconds: number | null;
  meanAwaySeconds: number;
}

export interface Volunteer {
  index: number;
  id: string;
  machine: string;
  /** Virtual seconds per training step. */
  stepSeconds: number;
  byzantine: boolean;
  link: Link;
}

/** Draws `count` volunteers; `cpuStepSeconds` is a SwiftShader tab's time per step of the costed model. Exactly
 *  round(fraction x honest tabs) are GPU tabs, and as many stragglers: those that drew the lowest numbers. */
export function drawVolunteers(count: number, knobs: VolunteerKnobs, cpuStepSeconds: number, seed: number): Volunteer[] {
  const random = seededRandom(Math.imul(seed, 0x2c1b3c6d) ^ 0x5eed);
  const between = ([lo, hi]: [number, number]) => lo + (hi - lo) * random();
  const attackers = Math.round(knobs.byzantineFraction * count);
  const honest = count - attackers;
  const draws = Array.from({ length: count }, () => ({
    gpu: random(),
    straggler: random(),
    // devices of one kind still differ: +-25% around the measured speed
    device: between([0.8, 1.25]),
    link: { downBitsPerSecond: between(knobs.downMbit) * 1e6, upBitsPerSecond: between(knobs.upMbit) * 1e6, latencySeconds: between(knobs.latencyMs) / 1000 },
  }));
  const lowest = (key: 'gpu' | 'straggler', fraction: number) => {
    const ranked = draws.slice(0, honest).map((d, i) => ({ i, u: d[key] })).sort((a, b) => a.u - b.u || a.i - b.i);
    return new Set(ranked.slice(0, Math.round(fraction * honest)).map((r) => r.i));
  };
  const gpus = lowest('gpu', knobs.gpuFraction);
  const stragglers = lowest('straggler', knobs.stragglerFraction);
  return draws.map((d, index) => {
    const byzantine = index >= honest;
    const stepSeconds = (cpuStepSeconds * d.device * (stragglers.has(index) ? knobs.stragglerSlowdown : 1)) / (gpus.has(index) ? knobs.gpuSpeedup : 1);
    const machine = byzantine ? `a${index - honest}` : `m${Math.floor(index / knobs.tabsPerMachine)}`;
    return { index, id: `w${index}`, machine, stepSeconds, byzantine, link: d.link };
  });
}

/** Exponentially distributed durations from a seed: one stream per volunteer, so churn does not depend on event order. */
export function churnClock(seed: number, volunteer: number): (mean: number) => number {
  const random = seededRandom((Math.imul(seed, 0x27d4eb2d) + volunteer * 0x9e3779b1) >>> 0);
  return (mean) => -mean * Math.log(1 - random());
}
