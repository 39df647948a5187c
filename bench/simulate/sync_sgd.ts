// sync-sgd: a barrier per step. Every tab present when a step opens computes its gradient at the shared model and
// uploads it; when the last one is in, the coordinator aggregates them (server/algorithms/sync_sgd.ts's
// aggregateGradients: the mean or a robust rule) and broadcasts the aggregate; each tab steps and starts the next.
// A tab that leaves is no longer waited for; one that arrives joins at the next step. Attackers answer each step at
// once with the previous aggregate scaled (-10: flipped), as bench:compare's do, so they never hold the barrier up.
import { aggregateGradients } from '../../server/algorithms/sync_sgd.ts';
import type { Aggregate } from '../../shared/run_config.ts';
import { lsgdUpdate } from '../../shared/reference/lsgd_update.ts';
import type { Algorithm, AlgorithmFactory } from './algorithm.ts';
import type { SimWorker } from './worker.ts';

export function syncSgd(aggregate: Exclude<Aggregate, 'zeno'>): AlgorithmFactory {
  return (ctx, o) => {
    const { lr, momentum } = ctx.trainer.hyper;
    let model: Float64Array = Float64Array.from(ctx.initial);
    let velocity: Float64Array = new Float64Array(model.length);
    let previous: Float32Array = new Float32Array(model.length);
    let step = 0;
    let members = new Set<SimWorker>();
    const grads = new Map<SimWorker, Float32Array>();

    const compute = (w: SimWorker) => {
      const opened = step;
      const send = (g: Float32Array) =>
        ctx.when(w, ctx.network.upload(w.index, ctx.copyBytes, ctx.queue.now), () => {
          if (opened !== step) return;
          grads.set(w, g);
          closeIfComplete();
        });
      if (w.byzantine) return send(previous.map((v) => v * o.attackGradientScale));
      ctx.later(w, w.stepSeconds, () => {
        const g = Float32Array.from(ctx.trainer.gradient(w, model).grad);
        w.step++;
        ctx.countStep();
        send(g);
      });
    };
    const closeIfComplete = () => {
      if (members.size === 0 || [...members].some((m) => !grads.has(m))) return;
      const aggregated = aggregateGradients([...members].map((m) => grads.get(m)!), aggregate, o.f);
      ({ params: model, velocity } = lsgdUpdate(model, aggregated, velocity, null, null, { lr, momentum, lambdaL: 0, lambdaG: 0, useLocal: false, useGlobal: false }));
      previous = aggregated;
      step++;
      grads.clear();
      members = new Set(ctx.live());
      for (const m of members) ctx.when(m, ctx.network.download(m.index, ctx.copyBytes, ctx.queue.now), () => compute(m));
    };
    const algorithm: Algorithm = {
      join: (w, returning) => {
        // tabs arriving mid-step wait for the next broadcast, unless no step is under way
        if (members.size > 0 && returning) return;
        members.add(w);
        if (!returning) return compute(w);
        ctx.when(w, ctx.network.download(w.index, ctx.copyBytes, ctx.queue.now), () => compute(w));
      },
      leave: (w) => {
        members.delete(w);
        grads.delete(w);
        closeIfComplete();
      },
      model: () => model,
      stats: () => ({ sync_steps: step }),
    };
    return algorithm;
  };
}
