// The algorithms whose tabs push their weights every tau steps and wait for the coordinator's answer: easgd, grawa,
// sgp, parle. The coordinator's side is the module the coordinator runs (server/algorithms/), on a SimHost, behind
// the norm bound the coordinator checks a push against (server/baseline_host.ts); each algorithm's file says what
// its tabs push and how they take the answer. A returning tab starts from the run's model. Attackers push the last
// answer they got (or the seed) scaled, every attack period.
import type { PushAnswer, PushClaims } from '../../server/algorithms/push_exchange.ts';
import { normBoundViolation } from '../../server/norm_bound.ts';
import type { Algorithm, AlgorithmFactory, AlgorithmOptions, SimContext } from './algorithm.ts';
import { coordinatorNormBound } from './coordinator_defaults.ts';
import { SimHost } from './host.ts';
import type { SimWorker } from './worker.ts';

/** The coordinator's module as a push sees it. */
export interface PushCoordinator {
  onPush(workerId: string, x: Float32Array, step: number, claims: PushClaims): PushAnswer | string;
  membershipChanged(): void;
}

export interface PushRule {
  coordinator: PushCoordinator;
  /** One local step (the plain momentum step when absent). */
  step?(w: SimWorker): void;
  /** What the tab pushes every tau steps. */
  push(w: SimWorker): { x: Float64Array; claims: PushClaims };
  /** The tab takes the answer to its push of x. */
  take(w: SimWorker, x: Float64Array, answer: PushAnswer): void;
  /** The tab starts again from its current parameters (after leaving and coming back). */
  restart?(w: SimWorker): void;
  /** What an attacker claims with its pushes. */
  attackClaims?: PushClaims;
}

export function pushExchange(ruleOf: (ctx: SimContext, o: AlgorithmOptions, host: SimHost) => PushRule): AlgorithmFactory {
  return (ctx, o) => {
    const host = new SimHost(ctx, o);
    const rule = ruleOf(ctx, o, host);
    const bound = coordinatorNormBound(ctx.coordinator, ctx.initial);
    const stats = { attack_refused: 0, honest_quarantined: 0, pushes_refused: 0 };
    const lastAnswer = new Map<SimWorker, Float32Array>();

    /** The push crosses the wire; out of the norm bound its sender is quarantined, as the coordinator does. */
    const exchange = (w: SimWorker, x: Float64Array, claims: PushClaims, then: (answer: PushAnswer | null) => void) => {
      const step = w.step;
      ctx.when(w, ctx.network.upload(w.index, ctx.copyBytes, ctx.queue.now), () => {
        const pushed = Float32Array.from(x);
        if (normBoundViolation(pushed, host.model, bound) !== null) {
          w.quarantined = true;
          if (w.byzantine) stats.attack_refused++;
          else stats.honest_quarantined++;
          rule.coordinator.membershipChanged();
          return;
        }
        const answer = rule.coordinator.onPush(w.id, pushed, step, claims);
        if (typeof answer === 'string') {
          stats.pushes_refused++;
          return ctx.when(w, ctx.network.control(w.index, ctx.queue.now), () => then(null));
        }
        ctx.when(w, ctx.network.download(w.index, ctx.copyBytes, ctx.queue.now), () => then(answer));
      });
    };
    const loop = (w: SimWorker) =>
      ctx.later(w, w.stepSeconds, () => {
        if (rule.step) rule.step(w);
        else ctx.trainer.trainStep(w);
        ctx.countStep();
        if (w.step % o.tau !== 0) return loop(w);
        const { x, claims } = rule.push(w);
        exchange(w, x, claims, (answer) => {
          // a refused push leaves the tab as it was: it trains on
          if (answer) rule.take(w, x, answer);
          loop(w);
        });
      });
    const attack = (w: SimWorker) =>
      ctx.later(w, o.attackPeriodSeconds, () => {
        const x = Float64Array.from(lastAnswer.get(w) ?? ctx.initial, (v) => v * o.attackWeightScale);
        exchange(w, x, rule.attackClaims ?? {}, (answer) => {
          if (answer) lastAnswer.set(w, answer.weights);
        });
        attack(w);
      });
    const algorithm: Algorithm = {
      join: (w, returning) => {
        rule.coordinator.membershipChanged();
        if (w.byzantine) return attack(w);
        if (!returning) return loop(w);
        const model = host.model;
        ctx.when(w, ctx.network.download(w.index, ctx.copyBytes, ctx.queue.now), () => {
          w.params = Float64Array.from(model);
          w.velocity = new Float64Array(model.length);
          rule.restart?.(w);
          loop(w);
        });
      },
      leave: () => rule.coordinator.membershipChanged(),
      model: () => host.model,
      stats: () => ({ ...stats }),
    };
    return algorithm;
  };
}
