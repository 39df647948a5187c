// Named settings of the volunteer population. `residential` is the baseline: SwiftShader (CPU) tabs, as measured in
// bench/README.md, on residential links; each other setting changes one thing about it, so a row that differs from
// residential's says what that one thing does.
import type { VolunteerKnobs } from './volunteers.ts';

export const RESIDENTIAL: VolunteerKnobs = {
  gpuFraction: 0,
  gpuSpeedup: 30,
  stragglerFraction: 0,
  stragglerSlowdown: 10,
  downMbit: [10, 50],
  upMbit: [2, 10],
  latencyMs: [20, 80],
  coordinatorEgressMbit: 1000,
  coordinatorIngressMbit: 1000,
  tabsPerMachine: 2,
  byzantineFraction: 0,
  meanSessionSeconds: null,
  meanAwaySeconds: 30,
};

export const SETTINGS: Record<string, Partial<VolunteerKnobs>> = {
  residential: {},
  /** The same tabs on datacentre links, as the paper's experiments had them. */
  lan: { downMbit: [10_000, 10_000], upMbit: [10_000, 10_000], latencyMs: [0.1, 0.1], coordinatorEgressMbit: 100_000, coordinatorIngressMbit: 100_000 },
  'slow-links': { downMbit: [2, 10], upMbit: [0.5, 2], latencyMs: [100, 300], coordinatorEgressMbit: 100, coordinatorIngressMbit: 100 },
  /** A fifth of the tabs on a real GPU: they make most of the steps, so the same step budget is spent sooner. */
  gpu: { gpuFraction: 0.2 },
  stragglers: { stragglerFraction: 0.1 },
  churn: { meanSessionSeconds: 20, meanAwaySeconds: 10 },
  byzantine: { byzantineFraction: 0.1 },
};

export function settingKnobs(name: string, overrides: Partial<VolunteerKnobs>): VolunteerKnobs {
  const preset = SETTINGS[name];
  if (!preset) throw new Error(`unknown setting '${name}': use one of ${Object.keys(SETTINGS).join(', ')}`);
  return { ...RESIDENTIAL, ...preset, ...overrides };
}
