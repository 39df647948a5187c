// The algorithms the simulator runs, by the name they have in the JSON lines; each entry is a module of its own and
// the pull strengths it fixes.
import type { AlgorithmFactory, AlgorithmOptions } from './algorithm.ts';
import { easgd } from './easgd.ts';
import { grawa } from './grawa.ts';
import { local } from './local.ts';
import { lsgd } from './lsgd.ts';
import { parle } from './parle.ts';
import { sgp } from './sgp.ts';
import { syncSgd } from './sync_sgd.ts';

export interface AlgorithmEntry {
  factory: AlgorithmFactory;
  /** Options this algorithm fixes, over the command line's. */
  fixed?: Partial<AlgorithmOptions>;
}

export const ALGORITHMS: Record<string, AlgorithmEntry> = {
  lsgd: { factory: lsgd('periodic') },
  'lsgd-single-leader': { factory: lsgd('periodic'), fixed: { lambdaL: 0 } },
  'lsgd-penalty': { factory: lsgd('penalty') },
  easgd: { factory: easgd },
  'sync-sgd': { factory: syncSgd('mean') },
  'sync-sgd-median': { factory: syncSgd('median') },
  'sync-sgd-trimmed-mean': { factory: syncSgd('trimmed-mean') },
  'sync-sgd-cge': { factory: syncSgd('cge') },
  local: { factory: local },
  grawa: { factory: grawa },
  sgp: { factory: sgp },
  parle: { factory: parle },
};
