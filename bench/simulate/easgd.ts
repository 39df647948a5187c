// easgd: every tau steps a tab pushes its weights and waits; the coordinator's Easgd (server/algorithms/easgd.ts)
// moves the center toward them and answers with the center as it was, and the tab takes the elastic pull
// (shared/reference/easgd.ts), as client/worker/algorithms/easgd.ts does.
import { Easgd } from '../../server/algorithms/easgd.ts';
import { easgdWorkerPull } from '../../shared/reference/easgd.ts';
import { pushExchange } from './push_exchange.ts';

export const easgd = pushExchange((ctx, o, host) => {
  const server = new Easgd(host, Float32Array.from(ctx.initial));
  return {
    coordinator: {
      onPush: (workerId, x, step) => {
        const { center, version } = server.onPush(workerId, x, step);
        return { weights: center, version };
      },
      membershipChanged: () => server.membershipChanged(),
    },
    push: (w) => ({ x: w.params, claims: {} }),
    take: (w, x, answer) => {
      w.params = easgdWorkerPull(x, answer.weights, o.alpha);
    },
  };
});
