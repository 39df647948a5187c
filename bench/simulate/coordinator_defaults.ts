// The coordinator's rules as it ships them: its default configuration, and the norm bound it derives from it.
import { configSchema, type Config } from '../../server/config.ts';
import type { NormBound } from '../../server/norm_bound.ts';
import { l2Norm } from '../../shared/reference/robust_aggregation.ts';

export const COORDINATOR: Config = configSchema.parse({});

/** As server/live_state.ts's normBound: factor x max(||reference||, the floor, the seeded initialisation's norm). */
export function coordinatorNormBound(initial: ArrayLike<number>): NormBound {
  return { factor: COORDINATOR.normBoundFactor, floor: Math.max(COORDINATOR.normBoundFloor, l2Norm(initial)) };
}
