// grawa: every tau steps a tab pushes its weights with the norm of its last gradient; the coordinator's Grawa
// (server/algorithms/grawa.ts) answers with the inverse-gradient-norm weighted center of every member's latest push,
// and the tab is pulled toward it (shared/reference/grawa.ts). The tab on the platform pushes before the step whose
// gradient it reports and applies that gradient after the pull; here the step comes first: the same quantities, one
// step apart. Attackers claim a tiny norm, to weigh as much as the coordinator lets one claim weigh.
import { Grawa } from '../../server/algorithms/grawa.ts';
import { grawaPull } from '../../shared/reference/grawa.ts';
import { l2Norm } from '../../shared/reference/robust_aggregation.ts';
import { pushExchange } from './push_exchange.ts';
import type { SimWorker } from './worker.ts';

export const grawa = pushExchange((ctx, o, host) => {
  const server = new Grawa(host, Float32Array.from(ctx.initial));
  const norms = new Map<SimWorker, number>();
  return {
    coordinator: server,
    step: (w) => {
      const { grad } = ctx.trainer.gradient(w);
      norms.set(w, l2Norm(grad));
      ctx.trainer.applyStep(w, grad);
    },
    push: (w) => ({ x: w.params, claims: { gradNorm: norms.get(w) } }),
    take: (w, x, answer) => {
      w.params = grawaPull(x, answer.weights, o.grawaLambda);
    },
    attackClaims: { gradNorm: 1e-6 },
  };
});
