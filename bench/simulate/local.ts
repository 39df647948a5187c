// local: independent workers, no communication; the lower bound. The reported model is the lowest-loss worker's,
// as bench:compare evaluates it (there it is uploaded for the evaluation; here those bytes are not counted).
// Attackers have nothing to attack: they idle.
import type { Algorithm, AlgorithmFactory } from './algorithm.ts';
import { lossEstimate, type SimWorker } from './worker.ts';

export const local: AlgorithmFactory = (ctx) => {
  const loop = (w: SimWorker) =>
    ctx.later(w, w.stepSeconds, () => {
      ctx.trainer.trainStep(w);
      ctx.countStep();
      loop(w);
    });
  const algorithm: Algorithm = {
    join: (w) => {
      if (!w.byzantine) loop(w);
    },
    leave: () => {},
    model: () => {
      let best: SimWorker | null = null;
      for (const w of ctx.live()) {
        const loss = lossEstimate(w);
        if (loss !== null && (best === null || loss < lossEstimate(best)!)) best = w;
      }
      return best?.params ?? ctx.initial;
    },
    stats: () => ({}),
  };
  return algorithm;
};
