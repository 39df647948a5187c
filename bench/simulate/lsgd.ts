// LSGD's tabs: local momentum SGD steps; every tau steps a loss report (the running mean of the last minibatches)
// and the pull toward the leader copies held, as the tab does: `periodic`, the paper's interpolation at
// communication steps (shared/reference/leader_pull.ts), or `penalty`, added to every step's gradient
// (shared/reference/lsgd_update.ts). A tab uploads only when the coordinator asks and trains on while its copy
// travels. Attackers (bench:compare --byzantine's lsgd attack) claim loss 0.01 every period and answer each upload
// request with the newest global copy they hold, or the seed, scaled.
import { globalPullDue, leaderPull } from '../../shared/reference/leader_pull.ts';
import type { Algorithm, AlgorithmFactory } from './algorithm.ts';
import { LsgdCoordinator, type Copy } from './lsgd_coordinator.ts';
import { lossEstimate, type SimWorker } from './worker.ts';

export type Pull = 'periodic' | 'penalty';

const ATTACK_CLAIM = 0.01;

export function lsgd(pull: Pull): AlgorithmFactory {
  return (ctx, o) => {
    const held = new Map<SimWorker, { local: Float32Array | null; global: Float32Array | null }>();
    const heldOf = (w: SimWorker) => held.get(w) ?? { local: null, global: null };
    const lastCommunication = new Map<SimWorker, number>();
    const coordinator: LsgdCoordinator = new LsgdCoordinator(ctx, o, {
      requestUpload: (w) =>
        ctx.when(w, ctx.network.control(w.index, ctx.queue.now), () => {
          const weights = w.byzantine ? (heldOf(w).global ?? ctx.initial).map((v) => v * o.attackWeightScale) : w.params;
          const copy = Float32Array.from(weights);
          const step = w.step;
          ctx.when(w, ctx.network.upload(w.index, ctx.copyBytes, ctx.queue.now), () => coordinator.onUpload(w, copy, step));
        }),
      deliver: (w, kind, copy: Copy) =>
        ctx.when(w, ctx.network.download(w.index, ctx.copyBytes, ctx.queue.now), () => {
          const h = heldOf(w);
          held.set(w, { local: kind === 'global' ? h.local : copy.weights, global: kind === 'local' ? h.global : copy.weights });
        }),
    });
    // a leader is pulled toward no copy of its own, nor toward one it held before it led
    const leaders = (w: SimWorker) => ({
      local: o.lambdaL > 0 && !coordinator.isLocalLeader(w) ? heldOf(w).local : null,
      global: o.lambdaG > 0 && !coordinator.isGlobalLeader(w) ? heldOf(w).global : null,
    });

    const communicate = (w: SimWorker) => {
      const loss = lossEstimate(w)!;
      const step = w.step;
      ctx.when(w, ctx.network.control(w.index, ctx.queue.now), () => coordinator.report(w, loss, step));
      if (pull !== 'periodic') return;
      const previous = lastCommunication.get(w) ?? 0;
      lastCommunication.set(w, step);
      const { local, global } = leaders(w);
      const dueGlobal = global !== null && globalPullDue(previous, step, o.tauG);
      if (local || dueGlobal) w.params = leaderPull(w.params, local, dueGlobal ? global : null, { lambdaL: o.lambdaL, lambdaG: o.lambdaG });
    };
    const loop = (w: SimWorker) =>
      ctx.later(w, w.stepSeconds, () => {
        ctx.trainer.trainStep(w, pull === 'penalty' ? { ...leaders(w), lambdaL: o.lambdaL, lambdaG: o.lambdaG } : null);
        ctx.countStep();
        if (w.step % o.tau === 0) communicate(w);
        loop(w);
      });
    const attack = (w: SimWorker) =>
      ctx.later(w, o.attackPeriodSeconds, () => {
        w.step += o.tau;
        const step = w.step;
        ctx.when(w, ctx.network.control(w.index, ctx.queue.now), () => coordinator.report(w, ATTACK_CLAIM, step));
        attack(w);
      });

    const algorithm: Algorithm = {
      join: (w, returning) => {
        held.delete(w);
        if (w.byzantine) return attack(w);
        const copy = returning ? coordinator.welcome(w) : null;
        if (!copy) return loop(w);
        // a returning tab starts from the global copy, as the coordinator gives one to a tab that joins
        ctx.when(w, ctx.network.download(w.index, ctx.copyBytes, ctx.queue.now), () => {
          w.params = Float64Array.from(copy.weights);
          w.velocity = new Float64Array(copy.weights.length);
          held.set(w, { local: null, global: copy.weights });
          loop(w);
        });
      },
      leave: (w) => coordinator.left(w),
      model: () => coordinator.globalCopy?.weights ?? ctx.initial,
      stats: () => ({ ...coordinator.stats }),
    };
    return algorithm;
  };
}
