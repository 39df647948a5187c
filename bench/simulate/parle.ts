// parle: each tab keeps a replica x_a and runs Entropy-SGD inner steps on y, pulled toward the replica inside every
// step (the penalty pull with the replica as the local leader, lambdaL = gamma), folding each y into mu; every tau
// steps it pushes the replica, the coordinator's Parle (server/algorithms/parle.ts) answers with the reference (the
// mean of the members' latest replicas), and the replica takes its step, y and mu starting again from it
// (shared/reference/parle.ts, as client/worker/algorithms/parle.ts).
import { Parle } from '../../server/algorithms/parle.ts';
import { parleAverage, parleReplicaStep } from '../../shared/reference/parle.ts';
import { pushExchange } from './push_exchange.ts';
import type { SimWorker } from './worker.ts';

export const parle = pushExchange((ctx, o, host) => {
  const server = new Parle(host, Float32Array.from(ctx.initial));
  const state = new Map<SimWorker, { replica: Float64Array; mu: Float64Array }>();
  const stateOf = (w: SimWorker) => {
    let s = state.get(w);
    if (!s) state.set(w, (s = { replica: Float64Array.from(w.params), mu: Float64Array.from(w.params) }));
    return s;
  };
  return {
    coordinator: server,
    step: (w) => {
      const s = stateOf(w);
      ctx.trainer.trainStep(w, { local: s.replica, global: null, lambdaL: o.gamma, lambdaG: 0 });
      s.mu = parleAverage(s.mu, w.params);
    },
    push: (w) => ({ x: stateOf(w).replica, claims: {} }),
    take: (w, x, answer) => {
      const replica = parleReplicaStep(x, stateOf(w).mu, answer.weights, o.rho);
      state.set(w, { replica, mu: Float64Array.from(replica) });
      w.params = Float64Array.from(replica);
    },
    restart: (w) => state.delete(w),
  };
});
