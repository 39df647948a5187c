// easgd: every tau steps a worker pushes its weights and waits for the answer; the coordinator moves the center
// toward them (after the norm bound, as the coordinator checks a push) and answers with the center as it was; the
// worker takes the elastic pull (shared/reference/easgd.ts, as server/algorithms/easgd.ts and the tab do).
// A returning tab downloads the center. Attackers push the center they were last answered with, scaled.
import { easgdCenterUpdate, easgdWorkerPull } from '../../shared/reference/easgd.ts';
import { normBoundViolation } from '../../server/norm_bound.ts';
import type { Algorithm, AlgorithmFactory } from './algorithm.ts';
import { coordinatorNormBound } from './coordinator_defaults.ts';
import type { SimWorker } from './worker.ts';

export const easgd: AlgorithmFactory = (ctx, o) => {
  let center: Float64Array = Float64Array.from(ctx.initial);
  let refused = 0;
  let quarantinedHonest = 0;
  const bound = coordinatorNormBound(ctx.initial);
  const lastAnswer = new Map<SimWorker, Float64Array>();

  /** The push arrives: a copy outside the norm bound quarantines its sender; otherwise the exchange. */
  const exchange = (w: SimWorker, x: Float64Array, then: (answer: Float64Array) => void) => {
    ctx.when(w, ctx.network.upload(w.index, ctx.copyBytes, ctx.queue.now), () => {
      if (normBoundViolation(Float32Array.from(x), Float32Array.from(center), bound) !== null) {
        w.quarantined = true;
        if (w.byzantine) refused++;
        else quarantinedHonest++;
        return;
      }
      const before = center;
      center = easgdCenterUpdate(before, [x], o.alpha);
      ctx.when(w, ctx.network.download(w.index, ctx.copyBytes, ctx.queue.now), () => then(before));
    });
  };
  const loop = (w: SimWorker) =>
    ctx.later(w, w.stepSeconds, () => {
      ctx.trainer.trainStep(w);
      ctx.countStep();
      if (w.step % o.tau !== 0) return loop(w);
      const x = w.params;
      exchange(w, x, (answer) => {
        w.params = easgdWorkerPull(x, answer, o.alpha);
        loop(w);
      });
    });
  const attack = (w: SimWorker) =>
    ctx.later(w, o.attackPeriodSeconds, () => {
      const x = (lastAnswer.get(w) ?? ctx.initial).map((v) => v * o.attackWeightScale);
      exchange(w, x, (answer) => lastAnswer.set(w, answer));
      attack(w);
    });
  const algorithm: Algorithm = {
    join: (w, returning) => {
      if (w.byzantine) return attack(w);
      if (!returning) return loop(w);
      ctx.when(w, ctx.network.download(w.index, ctx.copyBytes, ctx.queue.now), () => {
        w.params = Float64Array.from(center);
        w.velocity = new Float64Array(center.length);
        loop(w);
      });
    },
    leave: () => {},
    model: () => center,
    stats: () => ({ attack_refused: refused, honest_quarantined: quarantinedHonest }),
  };
  return algorithm;
};
