// LSGD's periodic pull toward the leaders (pull: 'periodic'), one kernel over the whole flat parameter vector.
import code from '../../shaders/leader_pull.wgsl?raw';
import type { Binding, Dispatch, PipelineCache } from './dispatch.ts';
import { elementwiseDispatch } from './elementwise.ts';
import type { UpdatePulls } from './lsgd_update.ts';

/** params move in place; `hyper` is the update's uniform buffer (writeUpdateHyper), of which only lambdaL and lambdaG
 *  are read. A leader whose pull is off is never read, but must be a valid binding other than params. */
export function leaderPullDispatch(
  cache: PipelineCache,
  a: { length: number; pulls: UpdatePulls; params: Binding; localLeader: Binding; globalLeader: Binding; hyper: GPUBuffer },
): Dispatch {
  const constants = { USE_LOCAL: a.pulls.useLocal ? 1 : 0, USE_GLOBAL: a.pulls.useGlobal ? 1 : 0 };
  return elementwiseDispatch(cache, 'leader pull', code, a.length, [a.params, a.localLeader, a.globalLeader, a.hyper], constants);
}
