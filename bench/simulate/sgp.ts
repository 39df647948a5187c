// sgp: every tau steps a tab pushes its de-biased weights x; the coordinator's Sgp (server/algorithms/sgp.ts) sends
// half of its push-sum mass to its peer on the directed exponential graph and answers with the tab's mixed x and
// push-sum weight w, which the coordinator keeps; the tab then steps with lr / w (client/worker/algorithms/sgp.ts).
// Every transfer goes through the coordinator, as on the platform: tabs have no links of their own.
import { Sgp } from '../../server/algorithms/sgp.ts';
import { pushExchange } from './push_exchange.ts';
import type { SimWorker } from './worker.ts';

export const sgp = pushExchange((ctx, _o, host) => {
  const server = new Sgp(host);
  const weights = new Map<SimWorker, number>();
  return {
    coordinator: server,
    step: (w) => ctx.trainer.trainStep(w, null, ctx.trainer.hyper.lr / (weights.get(w) ?? 1)),
    push: (w) => ({ x: w.params, claims: {} }),
    take: (w, _x, answer) => {
      w.params = Float64Array.from(answer.weights);
      weights.set(w, answer.weight ?? 1);
    },
    restart: (w) => weights.delete(w),
  };
});
