// The coordinator's rules as it ships them: its configuration (defaults, or `--coordinator key=value,...` over
// them, validated by the coordinator's own schema), and the norm bound it derives from it.
import { configSchema, type Config } from '../../server/config.ts';
import type { NormBound } from '../../server/norm_bound.ts';
import { l2Norm } from '../../shared/reference/robust_aggregation.ts';

export function coordinatorConfig(overrides: Record<string, string> = {}): Config {
  for (const key of Object.keys(overrides)) {
    if (!Object.hasOwn(configSchema.shape, key)) throw new Error(`--coordinator ${key}: not a setting of server/config.ts (e.g. globalCheckMinMs, challengeEveryMs, gateZ, normBoundFactor)`);
  }
  return configSchema.parse(overrides);
}

/** As server/live_state.ts's normBound: factor x max(||reference||, the floor, the seeded initialisation's norm). */
export function coordinatorNormBound(config: Config, initial: ArrayLike<number>): NormBound {
  return { factor: config.normBoundFactor, floor: Math.max(config.normBoundFloor, l2Norm(initial)) };
}
